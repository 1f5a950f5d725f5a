"""Retention: score snapshots, saved segments, retention and acquisition spend, and the
reports of the retention analysis (cohorts, win-backs, satisfied defectors)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
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


class Segment(models.Model):
    """A named group of people, kept live: saved filters over person fields (see
    ``retention/segments.py`` for the definition's shape), or a built-in rule the retention
    analysis evaluates (``builtin`` names it; its members are those of the latest report)."""

    class Builtin(models.TextChoices):
        NONE = "", "Saved filters"
        SATISFIED_DEFECTORS = "satisfied_defectors", "Satisfied defectors"
        DISCOUNT_WONT_PAY = "discount_wont_pay", "Another discount won't pay back"

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=500, blank=True)
    definition = models.JSONField(default=dict, blank=True)
    builtin = models.CharField(max_length=40, choices=Builtin.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return list(self.definition.get("conditions", [])) if self.definition else []


class RetentionSpend(models.Model):
    """What the business spent in one month on winning new customers and on keeping the ones
    it has, as a manager entered it."""

    month = models.DateField(unique=True, help_text="The first day of the month.")
    acquisition_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    retention_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"spend {self.month:%Y-%m}"


class RetentionReport(models.Model):
    """One run of the retention analysis: cohorts, win-backs and their decay, the people a
    discount would not pay back, satisfied defectors, monthly acquired and retained
    customers, and each segment's size, as JSON the Retention page reads (never computed in
    a request)."""

    computed_at = models.DateTimeField()
    as_of = models.DateField()
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["-computed_at", "-id"], name="retention_report_newest")]

    def __str__(self) -> str:
        return f"retention report of {self.computed_at:%Y-%m-%d %H:%M}"

    @classmethod
    def latest(cls) -> RetentionReport | None:
        return cls.objects.order_by("-computed_at", "-id").first()

    @classmethod
    def latest_two(cls) -> tuple[RetentionReport | None, RetentionReport | None]:
        """The newest report and the one before it (for movement since the last run)."""
        rows = list(cls.objects.order_by("-computed_at", "-id")[:2])
        return (rows[0] if rows else None, rows[1] if len(rows) > 1 else None)
