"""Retention records: the trained scoring models (versioned files), each scoring run, every
person's scores per run with the factors and reasons behind them, the health weights; saved
segments, retention and acquisition spend, and the reports of the retention analysis
(cohorts, win-backs, satisfied defectors)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from devotion.people.models import Person

# A person's current scores as the export and the scores API read them from Person (with the
# id and e-mail they are keyed by), in the export's column order.
PERSON_SCORE_FIELDS = (
    "id",
    "primary_email",
    "health_score",
    "churn_probability",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "lifetime_value",
    "rfm_segment",
    "cluster",
    "stage",
    "scored_at",
)


class ScoringModel(models.Model):
    """One trained set of scoring models (churn, BG/NBD + Gamma-Gamma, clusters), saved as a
    versioned file under ``DEVOTION_HOME/models/``, with the churn model's report card.

    Training and scoring are separate steps: a run trains a new version only when asked
    (``--retrain``) or when none fits; scoring reads the latest version's file.
    """

    version = models.PositiveIntegerField(unique=True)
    path = models.CharField(max_length=500)  # the pickled models, relative to DEVOTION_HOME
    trained_at = models.DateTimeField()
    trained_as_of = models.DateField()  # only events before this day were read
    horizon_days = models.PositiveIntegerField(default=90)
    customers = models.PositiveIntegerField(default=0)  # people with an order by then
    # The churn model's report card: labelled customers, share who left, backtest figures.
    trained_on = models.PositiveIntegerField(default=0)
    churn_rate = models.FloatField(null=True, blank=True)
    backtest_people = models.PositiveIntegerField(default=0)
    roc_auc = models.FloatField(null=True, blank=True)
    pr_auc = models.FloatField(null=True, blank=True)
    calibration = models.JSONField(default=list, blank=True)  # [{predicted, observed, count}]
    # Fitted parameters (BG/NBD r, alpha, a, b per week; Gamma-Gamma p, q, v) and clusters.
    parameters = models.JSONField(default=dict, blank=True)
    clusters = models.JSONField(default=dict, blank=True)  # name -> description
    notes = models.JSONField(default=list, blank=True)  # what could not be trained, and why

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"scoring models v{self.version} (as of {self.trained_as_of})"


class ScoringRun(models.Model):
    """One run of ``devotion score`` (or the nightly job, or a manager's recompute): as of
    which day, with which models, how many people it scored, and how stages moved."""

    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model = models.ForeignKey(
        ScoringModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    as_of = models.DateField()  # scores use events before this day only
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    people = models.PositiveIntegerField(default=0)  # people seen before as_of
    customers = models.PositiveIntegerField(default=0)  # of them, with an order: scored
    weights = models.JSONField(default=dict, blank=True)  # health weights used
    segments = models.JSONField(default=dict, blank=True)  # RFM segment -> people
    stage_moves = models.JSONField(default=dict, blank=True)  # "active>at_risk" -> people
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"scoring run {self.pk} as of {self.as_of}"


class ScoreSnapshot(models.Model):
    """One person's scores from one scoring run, with the factors behind each score."""

    # No index of their own: snapshot_person_time and snapshot_run_segment start with them (a
    # run writes a row per customer, and every index is written a million times a night).
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="score_snapshots", db_index=False
    )
    run = models.ForeignKey(
        ScoringRun, null=True, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    computed_at = models.DateTimeField()
    health_score = models.FloatField(null=True, blank=True)
    # [{key, points, max, value, fraction}] per scorecard factor (analytics/health.py).
    health_factors = models.JSONField(default=list, blank=True)
    previous_health_score = models.FloatField(null=True, blank=True)
    health_trend = models.FloatField(null=True, blank=True)  # this score minus the previous
    churn_probability = models.FloatField(null=True, blank=True)
    churn_reasons = models.JSONField(default=list, blank=True)  # [{feature, text, weight}]
    expected_purchases_90d = models.FloatField(null=True, blank=True)
    expected_purchases_365d = models.FloatField(null=True, blank=True)
    lifetime_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    rfm_r = models.PositiveSmallIntegerField(default=0)
    rfm_f = models.PositiveSmallIntegerField(default=0)
    rfm_m = models.PositiveSmallIntegerField(default=0)
    rfm_segment = models.CharField(max_length=40, blank=True)
    cluster = models.CharField(max_length=80, blank=True)
    cluster_description = models.CharField(max_length=300, blank=True)
    stage = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-computed_at"], name="snapshot_person_time"),
            models.Index(fields=["run", "rfm_segment"], name="snapshot_run_segment"),
        ]

    def __str__(self) -> str:
        return f"scores of {self.person_id} at {self.computed_at:%Y-%m-%d}"


class HealthWeights(models.Model):
    """The health scorecard's weights as a manager set them (one row; defaults until then)."""

    weights = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "health weights"

    def __str__(self) -> str:
        return "health weights"

    @classmethod
    def current(cls) -> dict[str, float]:
        """The weights in force: the saved ones over the defaults."""
        from devotion.analytics.health import check_weights

        row = cls.objects.order_by("-id").first()
        saved: dict[str, Any] = row.weights if row else {}
        try:
            return check_weights(saved)
        except ValueError:
            return check_weights({})


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
