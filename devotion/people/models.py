"""People: customers and prospects, how we recognise them, what we know about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import models


class Stage(models.TextChoices):
    """Where a person is in their journey with the business."""

    PROSPECT = "prospect", "Prospect"
    NEW = "new", "New"
    ACTIVE = "active", "Active"
    AT_RISK = "at_risk", "At risk"
    LAPSED = "lapsed", "Lapsed"
    WON_BACK = "won_back", "Won back"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    SMS = "sms", "SMS"
    CHAT = "chat", "Chat"
    WEB = "web", "Web"
    SOCIAL = "social", "Social"
    STORE = "store", "In store"
    REVIEW_SITE = "review_site", "Review site"
    OTHER = "other", "Other"


def stage_for_order_count(order_count: int, current: str) -> str:
    """The journey stage the order rules give: first order -> new, repeat -> active.

    Stages set by later analysis (at risk, lapsed, won back) are kept until a scoring run
    revisits them; a prospect always moves on with a first order.

    >>> stage_for_order_count(0, "prospect"), stage_for_order_count(1, "prospect")
    ('prospect', 'new')
    >>> stage_for_order_count(3, "new")
    'active'
    """
    if order_count <= 0:
        return current
    if current in (Stage.PROSPECT, Stage.NEW, ""):
        return (Stage.NEW if order_count == 1 else Stage.ACTIVE).value
    return current


CONSENT_PURPOSES = (
    ("email", "E-mail marketing"),
    ("sms", "SMS marketing"),
    ("profiling", "Profiling"),
)


def consent_status(value: bool | None) -> str:
    """ "given", "refused" or "unknown" (never recorded) for a stored consent value.

    >>> consent_status(True), consent_status(False), consent_status(None)
    ('given', 'refused', 'unknown')
    """
    return "unknown" if value is None else ("given" if value else "refused")


@dataclass(frozen=True, slots=True)
class Consent:
    """One consent purpose of a person as pages, the API and exports show it."""

    purpose: str
    label: str
    status: str  # given | refused | unknown
    recorded_at: datetime | None
    source: str


class PersonQuerySet(models.QuerySet["Person"]):
    def live(self) -> PersonQuerySet:
        """People not merged into someone else: the ones lists and search should show."""
        return self.filter(merged_into__isnull=True)


class Person(models.Model):
    """One customer or prospect, however many systems and channels they show up in.

    Aggregates (order count, spend, last activity) and scores are denormalised here so that
    lists sort and filter on indexed columns; the truth stays in touchpoints and snapshots.
    A person merged into another keeps their row (with ``merged_into`` set) so the merge can
    be undone.
    """

    display_name = models.CharField(max_length=300, blank=True)
    # Lower-cased "first last" and "last first" for prefix search on an index.
    name_key = models.CharField(max_length=300, blank=True)
    name_key_rev = models.CharField(max_length=300, blank=True)
    primary_email = models.CharField(max_length=320, blank=True)
    primary_phone = models.CharField(max_length=32, blank=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PROSPECT)
    is_advocate = models.BooleanField(default=False)
    preferred_channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    preferred_tone = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)

    # Consent per purpose: None until recorded (unknown), then given (True) or refused
    # (False), with when it was recorded and where ("shopify", "api", "staff: Sam").
    consent_email = models.BooleanField(null=True, blank=True, default=None)
    consent_email_at = models.DateTimeField(null=True, blank=True)
    consent_email_source = models.CharField(max_length=100, blank=True)
    consent_sms = models.BooleanField(null=True, blank=True, default=None)
    consent_sms_at = models.DateTimeField(null=True, blank=True)
    consent_sms_source = models.CharField(max_length=100, blank=True)
    consent_profiling = models.BooleanField(null=True, blank=True, default=None)
    consent_profiling_at = models.DateTimeField(null=True, blank=True)
    consent_profiling_source = models.CharField(max_length=100, blank=True)

    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    order_count = models.PositiveIntegerField(default=0)
    # Spend in the reporting currency (DEVOTION_CURRENCY): each order converted with the
    # business's rates (DEVOTION_FX_RATES) and rounded to cents, then added up
    # (devotion/people/spend.py). An order in a currency without a rate is left out and
    # ``spend_incomplete`` says so: the list sorts by this number, so it must mean one thing.
    total_spent = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    spend_incomplete = models.BooleanField(default=False)

    # Current scores, written in bulk by the scoring run (devotion/retention/scoring.py);
    # history, factors and reasons in retention.ScoreSnapshot. Null until scored, and for
    # people without an order.
    health_score = models.FloatField(null=True, blank=True)
    churn_probability = models.FloatField(null=True, blank=True)
    lifetime_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    expected_purchases_90d = models.FloatField(null=True, blank=True)
    expected_purchases_365d = models.FloatField(null=True, blank=True)
    rfm_segment = models.CharField(max_length=40, blank=True)
    cluster = models.CharField(max_length=80, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    # Indexed only where set (person_merged_into below): almost nobody is merged, and a full
    # index took an entry for every person inserted or updated by an import.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_people",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["-last_activity_at"], name="person_last_activity"),
            models.Index(fields=["stage", "-last_activity_at"], name="person_stage_activity"),
            # Plain B-tree indexes (not db_index, which adds unused LIKE indexes on PostgreSQL):
            # search matches prefixes as index ranges, see people/search.py.
            models.Index(fields=["name_key"], name="person_name_key"),
            models.Index(fields=["name_key_rev"], name="person_name_key_rev"),
            # The customers list's sorts (read forwards or backwards; name sorts on
            # person_name_key) and filters: every one an index range at a million people.
            models.Index(fields=["order_count", "id"], name="person_orders"),
            models.Index(fields=["total_spent", "id"], name="person_spend"),
            models.Index(fields=["first_seen_at", "id"], name="person_first_seen"),
            models.Index(fields=["country", "-last_activity_at"], name="person_country_activity"),
            # Recorded consent only: "unknown" is most people, read by walking a sort index.
            *(
                models.Index(
                    fields=[f"consent_{purpose}", "-last_activity_at"],
                    name=f"person_consent_{purpose}",
                    condition=models.Q(**{f"consent_{purpose}__isnull": False}),
                )
                for purpose in ("email", "sms", "profiling")
            ),
            # Scores, for lists sorted or filtered by them: only scored people are indexed,
            # so an import's new (unscored) people cost these indexes nothing.
            *(
                models.Index(
                    fields=[name, "id"],
                    name=f"person_{short}",
                    condition=models.Q(**{f"{name}__isnull": False}),
                )
                for name, short in (
                    ("health_score", "health"),
                    ("churn_probability", "churn"),
                    ("lifetime_value", "ltv"),
                )
            ),
            models.Index(
                fields=["rfm_segment", "id"],
                name="person_rfm_segment",
                condition=~models.Q(rfm_segment=""),
            ),
            models.Index(
                fields=["cluster", "id"], name="person_cluster", condition=~models.Q(cluster="")
            ),
            models.Index(
                fields=["merged_into"],
                name="person_merged_into",
                condition=models.Q(merged_into__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.primary_email or f"Person {self.pk}"

    @staticmethod
    def name_keys(display_name: str) -> tuple[str, str]:
        """Search keys for a name: ("ada lovelace", "lovelace ada")."""
        words = display_name.lower().split()
        if not words:
            return "", ""
        return " ".join(words), " ".join(words[-1:] + words[:-1])

    def consents(self) -> list[Consent]:
        """Each consent purpose: given, refused or unknown, and when and where it was recorded.

        >>> [c.status for c in Person(consent_email=True, consent_sms=False).consents()]
        ['given', 'refused', 'unknown']
        """
        return [
            Consent(
                purpose,
                label,
                consent_status(getattr(self, f"consent_{purpose}")),
                getattr(self, f"consent_{purpose}_at"),
                getattr(self, f"consent_{purpose}_source"),
            )
            for purpose, label in CONSENT_PURPOSES
        ]

    def set_name(self, display_name: str) -> None:
        self.display_name = display_name.strip()
        self.name_key, self.name_key_rev = self.name_keys(self.display_name)


class IdentityKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    EXTERNAL = "external", "Id in a source system"


class Identity(models.Model):
    """A normalised e-mail, phone or source-system id that belongs to exactly one person.

    ``source`` is empty for e-mails and phones (the same address is the same person wherever
    it came from) and names the system for external ids ("shopify", "zendesk").
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    source = models.CharField(max_length=40, blank=True)
    value = models.CharField(max_length=320)
    raw_value = models.CharField(max_length=320, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # value before source: search finds a source id by (kind, value) alone.
            models.UniqueConstraint(fields=["kind", "value", "source"], name="identity_unique")
        ]
        indexes = [
            # The customers list's source filter: people with an id in that system.
            models.Index(
                fields=["source", "person"],
                name="identity_source_person",
                condition=~models.Q(source=""),
            )
        ]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.kind}:{self.source + ':' if self.source else ''}{self.value}"


class Merge(models.Model):
    """One person merged into another: why, by whom, and enough to undo it.

    ``snapshot`` records the ids of every identity, touchpoint and fact that moved, and the
    loser's own fields, so ``undo`` can put each back where it was.
    """

    winner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges_won")
    loser = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges_lost")
    reason = models.CharField(max_length=300)
    automatic = models.BooleanField(default=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    snapshot = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.loser_id} -> {self.winner_id} ({self.reason})"


class PersonalFact(models.Model):
    """Something personal we learned (birthday, pet's name, preference), and where we learned it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="facts")
    key = models.CharField(max_length=100)
    value = models.CharField(max_length=500)
    learned_from = models.ForeignKey(
        "touchpoints.Touchpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facts_learned",
    )
    # Where it came from when not a touchpoint: "import: customers.csv", "agent: Sam".
    source_note = models.CharField(max_length=200, blank=True)
    learned_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key", "-learned_at"]
        indexes = [models.Index(fields=["person", "key"], name="fact_person_key")]
        constraints = [
            models.UniqueConstraint(fields=["person", "key", "value"], name="fact_unique_value")
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"
