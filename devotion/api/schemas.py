"""Input and output schemas of the REST API.

The event input schemas (``EventIn`` and friends) document the canonical event shape in the
OpenAPI schema; they are not used to validate requests. Events are validated one by one by
:func:`devotion.ingest.events.validate_event`, so one bad event in a batch of 1,000 is
rejected with its reason while the other 999 are stored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from devotion.touchpoints.kinds import CHANNEL_ALIASES, CHANNELS, EVENT_KINDS
from devotion.voice.schemas_text import AnalysisOut

# ----------------------------------------------------------------------------- events (in)

# The one list of kinds (devotion/touchpoints/kinds.py), as an enum in the OpenAPI schema.
EventKind = Literal[EVENT_KINDS]  # type: ignore[valid-type]
# ... and the one list of channels (validation also takes the aliases named in the description).
EventChannel = Literal[tuple(CHANNELS)]  # type: ignore[valid-type]


class PersonRefIn(Schema):
    """Who the event is about. At least one of email, phone, external_id is required."""

    email: str | None = Field(None, description="E-mail address (matched case-insensitively).")
    phone: str | None = Field(
        None, description="Phone number in any common format; normalised to E.164."
    )
    external_id: str | None = Field(
        None, description="The person's id in the source system (e.g. a Shopify customer id)."
    )
    name: str | None = Field(None, description="Full name.", examples=["Ada Lovelace"])
    first_name: str | None = Field(None, description="Used when name is absent.")
    last_name: str | None = Field(None, description="Used when name is absent.")
    country: str | None = Field(None, description="ISO 3166 two-letter country code.")


class OrderLineIn(Schema):
    """One product on an order."""

    product_id: str | None = Field(None, description="SKU or product id (or use sku).")
    product_name: str | None = None
    quantity: int = Field(1, ge=1, le=1_000_000)
    unit_price: Decimal | str | None = None
    discount: Decimal | str | None = Field(None, description="Discount on the line, in money.")


class EventIn(Schema):
    """One event in the canonical shape (see docs/events.md for every field)."""

    kind: EventKind = Field(
        description="What happened. 'customer' is a profile record with no touchpoint."
    )
    source: str = Field(
        description="The system it comes from, lower-case (shopify, zendesk, web…).",
        max_length=40,
        examples=["shopify"],
    )
    external_id: str | None = Field(
        None,
        max_length=200,
        description="The record's id in the source; (source, external_id) is unique, so "
        "re-sending an event is a harmless duplicate. Required except for kind=customer.",
    )
    occurred_at: datetime | None = Field(
        None,
        description="When it happened, ISO 8601; naive times are UTC. Required except for "
        "kind=customer; from 1900-01-01 to one day in the future.",
    )
    person: PersonRefIn
    channel: EventChannel | None = Field(  # type: ignore[valid-type]
        None,
        description="How it came in. Also accepted, and stored as the channel they name: "
        + ", ".join(f"{alias} ({channel})" for alias, channel in CHANNEL_ALIASES.items())
        + ". Anything else is rejected.",
    )
    direction: Literal["in", "out", "inbound", "outbound", ""] | None = Field(
        None, description="'in' from the customer, 'out' from the business."
    )
    thread: str | None = Field(None, description="Groups the messages of one ticket/conversation.")
    subject: str | None = Field(None, max_length=500)
    text: str | None = Field(None, max_length=100_000, description="Message, review or answer.")
    amount: Decimal | str | None = Field(
        None,
        description="Order total: 42.5, '42.50', '1,234.50' (commas between groups of three "
        "digits), '12,50' (a decimal comma), '$12'; no more decimals than the currency has, "
        "below 1,000,000,000,000. Defaults to the sum of lines.",
    )
    currency: str | None = Field(None, description="ISO 4217 code.", examples=["USD"])
    rating: int | None = Field(
        None, ge=0, le=10, description="Review stars (1-5), NPS (0-10) or CSAT (1-5)."
    )
    staff: str | None = Field(None, description="Name of the staff member involved or named.")
    lines: list[OrderLineIn] | None = None
    facts: dict[str, str] | None = Field(
        None, description="Personal facts learned, e.g. {'birthday': '1990-05-01'}."
    )
    consent: dict[str, bool] | None = Field(
        None, description="Consent flags: email, sms, profiling."
    )
    extra: dict[str, Any] | None = Field(None, description="Anything else, kept as-is.")


class EventBatchIn(Schema):
    """A batch of 1 to 1,000 events, stored together; each gets its own result."""

    events: list[EventIn] = Field(min_length=1, max_length=1000)


EVENT_EXAMPLE = {
    "kind": "order",
    "source": "shopify",
    "external_id": "1001",
    "occurred_at": "2025-03-01T10:00:00Z",
    "person": {"email": "ada@example.com", "name": "Ada Lovelace", "external_id": "cust-7"},
    "channel": "web",
    "amount": "42.50",
    "currency": "USD",
    "lines": [{"product_id": "SKU-1", "product_name": "Mug", "quantity": 2, "unit_price": "21.25"}],
}

# ---------------------------------------------------------------------------- events (out)


class EventResultOut(Schema):
    index: int = Field(description="Position of the event in the request (0 for a single one).")
    status: Literal["created", "updated", "duplicate", "rejected"]
    person_id: int | None = None
    touchpoint_id: int | None = None
    reason: str | None = Field(None, description="Why the event was rejected.")


class EventsOut(Schema):
    results: list[EventResultOut]
    created: int
    updated: int
    duplicate: int
    rejected: int


# ---------------------------------------------------------------------------------- errors


class ErrorBody(Schema):
    code: str = Field(description="Stable snake_case code to branch on.")
    message: str = Field(description="A sentence for people; may change.")
    details: Any = None


class ErrorOut(Schema):
    error: ErrorBody


# ---------------------------------------------------------------------------------- people


class PersonSummaryOut(Schema):
    id: int
    display_name: str
    primary_email: str
    primary_phone: str
    stage: str
    last_activity_at: datetime | None
    order_count: int
    total_spent: Decimal = Field(
        description="Spend in the reporting currency (DEVOTION_CURRENCY): each order converted "
        "with the business's rates; orders in a currency without a rate are left out."
    )
    spend_incomplete: bool = Field(
        description="True when an order in a currency without a rate is left out of total_spent."
    )
    health_score: float | None
    churn_probability: float | None


class PeopleListOut(Schema):
    items: list[PersonSummaryOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class IdentityOut(Schema):
    kind: str
    source: str
    value: str


class FactOut(Schema):
    key: str
    value: str
    learned_at: datetime
    expires_at: datetime | None
    source: str = Field(description="Where it was learned: a note, or 'touchpoint <id>'.")
    touchpoint_id: int | None


class TouchpointOut(Schema):
    id: int
    kind: str
    channel: str
    direction: str
    occurred_at: datetime
    source: str
    external_id: str
    thread: str
    subject: str
    text: str
    amount: Decimal | None
    currency: str
    rating: int | None
    staff: str | None
    extra: dict[str, Any]
    analysis: AnalysisOut | None = Field(
        description="What the text says (voice app); null when it has no text or is not "
        "analysed yet."
    )


class TimelineOut(Schema):
    items: list[TouchpointOut]
    next_cursor: str | None


class AggregatesOut(Schema):
    order_count: int
    total_spent: Decimal = Field(
        description="Spend in the reporting currency (`currency`): each order in another "
        "currency converted with the business's rate (DEVOTION_FX_RATES) and rounded to "
        "cents; orders in a currency without a rate are left out (see spend_incomplete)."
    )
    currency: str = Field(description="The reporting currency (ISO 4217), e.g. USD.")
    spend_incomplete: bool = Field(
        description="True when an order in a currency without a rate is left out of total_spent."
    )
    spent_by_currency: dict[str, Decimal] = Field(
        description='Order amounts added up per currency, e.g. {"EUR": "100.00", "JPY": "5000"}; '
        "orders without a currency count in the reporting currency."
    )
    first_seen_at: datetime | None
    last_activity_at: datetime | None


class HealthFactorOut(Schema):
    key: str = Field(
        description="recency, frequency, spend_trend, open_problems, unanswered, survey, "
        "feeling (its max_points is 0 for a person with no analysed message: out of play)"
    )
    label: str
    points: float = Field(description="Points this factor earned (at most max_points).")
    max_points: float = Field(description="The factor's weight (editable by a manager).")
    explanation: str


class ChurnReasonOut(Schema):
    feature: str
    text: str = Field(description="The reason in plain words.")
    weight: float = Field(description="Its push on the log-odds of leaving (higher: stronger).")


class RfmOut(Schema):
    recency: int = Field(ge=0, le=5, description="1-5 (5: most recent fifth); 0 if never ordered.")
    frequency: int = Field(ge=0, le=5)
    monetary: int = Field(ge=0, le=5)


class ScoresOut(Schema):
    health_score: float | None = Field(description="0-100 from the health scorecard.")
    previous_health_score: float | None
    health_trend: float | None = Field(description="This score minus the previous one.")
    health_factors: list[HealthFactorOut]
    churn_probability: float | None = Field(
        description="Probability of no order in the next 90 days (0-1)."
    )
    churn_reasons: list[ChurnReasonOut] = Field(description="Top reasons, strongest first.")
    expected_purchases_90d: float | None
    expected_purchases_365d: float | None
    lifetime_value: Decimal | None = Field(
        description="Expected value of their purchases over the next 3 years (BG/NBD + "
        "Gamma-Gamma, discounted 10% a year), in the reporting currency."
    )
    rfm: RfmOut
    rfm_segment: str
    rfm_segment_meaning: str
    cluster: str
    cluster_description: str
    computed_at: datetime | None = Field(description="When these scores were computed.")


class ConsentStatusOut(Schema):
    status: Literal["given", "refused", "unknown"] = Field(
        description="unknown until an import, the API or staff recorded it."
    )
    recorded_at: datetime | None = Field(description="When it was given or refused.")
    source: str = Field(description='Where it was recorded ("shopify", "api", ...); "" if unknown.')


class ConsentOut(Schema):
    email: ConsentStatusOut
    sms: ConsentStatusOut
    profiling: ConsentStatusOut


class PersonOut(Schema):
    id: int
    display_name: str
    primary_email: str
    primary_phone: str
    stage: str
    is_advocate: bool
    preferred_channel: str
    preferred_tone: str
    country: str
    consent: ConsentOut
    aggregates: AggregatesOut
    scores: ScoresOut
    identities: list[IdentityOut]
    facts: list[FactOut]
    merged_into: int | None = Field(
        description="Always null here: a merged person's id answers 301 to the survivor."
    )
    merged_from: list[int] = Field(description="Ids of people merged into this one.")
    created_at: datetime
    recent_touchpoints: list[TouchpointOut] = Field(description="The 20 most recent, newest first.")


class MergedOut(Schema):
    """The body of a 301 for a person merged into another."""

    merged_into: int
    location: str
    error: ErrorBody
