"""Scores over time: one snapshot per person per scoring run (filled by the retention issue)."""

from __future__ import annotations

from django.db import models

from devotion.people.models import Person


class ScoreSnapshot(models.Model):
    """One person's scores from one scoring run, with the factors behind each score."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="score_snapshots")
    run_id = models.CharField(max_length=40)
    computed_at = models.DateTimeField()
    health_score = models.FloatField(null=True, blank=True)
    churn_probability = models.FloatField(null=True, blank=True)
    lifetime_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    segment = models.CharField(max_length=40, blank=True)
    factors = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "-computed_at"], name="snapshot_person_time")]

    def __str__(self) -> str:
        return f"scores of {self.person_id} at {self.computed_at:%Y-%m-%d}"
