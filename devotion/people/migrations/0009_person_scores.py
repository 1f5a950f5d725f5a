from django.db import migrations, models


class Migration(migrations.Migration):
    """The current scores of each person, denormalised for fast lists (issue 14)."""

    dependencies = [
        ("people", "0008_spend_incomplete"),
    ]

    operations = [
        migrations.RenameField("person", "segment", "rfm_segment"),
        migrations.AlterField(
            model_name="person", name="cluster", field=models.CharField(blank=True, max_length=80)
        ),
        migrations.AddField(
            model_name="person",
            name="expected_purchases_90d",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="person",
            name="expected_purchases_365d",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="person", name="scored_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(health_score__isnull=False),
                fields=["health_score", "id"],
                name="person_health",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(churn_probability__isnull=False),
                fields=["churn_probability", "id"],
                name="person_churn",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(lifetime_value__isnull=False),
                fields=["lifetime_value", "id"],
                name="person_ltv",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("rfm_segment", ""), _negated=True),
                fields=["rfm_segment", "id"],
                name="person_rfm_segment",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("cluster", ""), _negated=True),
                fields=["cluster", "id"],
                name="person_cluster",
            ),
        ),
    ]
