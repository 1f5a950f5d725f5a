"""Person.total_spent becomes spend in the reporting currency (each order converted with the
business's rates) and Person.spend_incomplete says when an order could not be converted:
recompute both for everyone from their orders (``devotion recount-spend`` does the same later,
after the rates change)."""

from django.db import migrations, models


def recount(apps, schema_editor):
    from devotion.people.spend import recount_spend

    recount_spend(
        people=apps.get_model("people", "Person").objects,
        touchpoints=apps.get_model("touchpoints", "Touchpoint").objects,
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
