"""Person.total_spent becomes spend in the reporting currency (each order converted with the
business's rates) and Person.spend_incomplete says when an order could not be converted:
recompute both from their orders (``devotion recount-spend`` does the same later, after the rates
change). Only the people with an order in another currency can change (before, total_spent was
the plain sum of order amounts), so only they are read: one pass over the orders, not one query
per thousand people (16 minutes on 1M people and 10M touchpoints)."""

from django.db import migrations, models


def recount(apps, schema_editor):
    from devotion.people.spend import recount_spend

    recount_spend(
        people=apps.get_model("people", "Person").objects,
        touchpoints=apps.get_model("touchpoints", "Touchpoint").objects,
        foreign_only=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_scoresnapshot_moved_to_retention"),
        ("touchpoints", "0010_models_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="spend_incomplete",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(recount, migrations.RunPython.noop, elidable=True),
    ]
