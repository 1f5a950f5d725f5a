"""The unified timeline: every order, message, answer, review, comment, call and note."""

from __future__ import annotations

from django.db import models

from devotion.people.models import Person
from devotion.touchpoints.kinds import TOUCHPOINT_KINDS


class Direction(models.TextChoices):
    INBOUND = "in", "From the customer"
    OUTBOUND = "out", "From us"
    NONE = "", "Neither"


class Touchpoint(models.Model):
    """One thing a person did or said, or that we said to them, on any channel.

    ``(source, external_id)`` is unique: re-sending or re-importing the same record is a no-op.
    ``thread`` groups the messages of one ticket or conversation.
    """

    # No separate FK index: tp_person_time (person, -occurred_at) serves every person look-up.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    kind = models.CharField(max_length=20, choices=list(TOUCHPOINT_KINDS.items()))
    channel = models.CharField(max_length=16, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices, blank=True)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=40)
    external_id = models.CharField(max_length=200)
    thread = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    rating = models.SmallIntegerField(null=True, blank=True)
    # Indexed only where set (tp_staff below): most touchpoints name no staff member.
    staff = models.ForeignKey(
        "team.StaffMember",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        db_index=False,
    )
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="touchpoint_source_id")
        ]
        # Every index costs each of the millions of imported rows (~3 µs on SQLite, see
        # docs/benchmarks.md): only what a query uses. A feature that lists touchpoints by
        # kind across people, or order lines by product, adds its index with it.
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="tp_person_time"),
            # Only messages in a conversation have a thread; orders and the rest stay out.
            models.Index(fields=["thread"], name="tp_thread", condition=~models.Q(thread="")),
            models.Index(
                fields=["staff"], name="tp_staff", condition=models.Q(staff__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source}:{self.external_id}"


class OrderLine(models.Model):
    """One product on an order, for recommendations and win-back analysis."""

    # No foreign key constraint in the database: lines are only ever written in the
    # transaction that creates their order (which nobody else can see, let alone delete, until
    # it commits) and deleted with it by Django's CASCADE. On PostgreSQL the constraint's check
    # locked each line's order once more and cost ~13% of the server's time in a bulk import
    # (docs/benchmarks.md). The column stays indexed.
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="lines", db_constraint=False
    )
    product_id = models.CharField(max_length=200)
    product_name = models.CharField(max_length=500, blank=True)
    quantity = models.IntegerField(default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"
