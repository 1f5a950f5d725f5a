"""Saved segments: a definition (filters over person fields) checked, turned into a query,
counted, and handed to later features as targets (:func:`segment_people`).

A definition is JSON::

    {"conditions": [
        {"field": "stage", "op": "in", "value": ["at_risk", "lapsed"]},
        {"field": "total_spent", "op": "gte", "value": 200},
        {"field": "last_activity_at", "op": "over", "value": 90},
        {"field": "consent_email", "op": "is", "value": "given"},
        {"field": "wrote_about", "op": "within", "value": {"topic": "late delivery", "days": 30}}
    ]}

Every condition must hold (AND). Operators by kind of field:

- choice and text fields: ``in`` (one of the values; a single string is a list of one);
- numbers: ``gte`` and ``lte``;
- dates: ``within`` (in the last N days) and ``over`` (more than N days ago, or never);
- consent: ``is`` ``given`` / ``refused`` / ``unknown``; yes/no fields: ``is`` true/false;
- what they wrote (``wrote_about``): ``within`` ``{"topic": T, "days": N}``, people with a
  message of theirs on topic T (as the Voice page shows it: a staff correction, else the
  model's reading) today or on the N - 1 days before (UTC calendar days, as the Voice page
  counts them). It reads the stored analyses each time, so whoever writes about T later joins.

Score fields (health, churn probability, lifetime value, expected purchases, RFM segment,
cluster, scored at) are accepted by name even where the scoring pipeline has not added
their columns yet: such a segment is *not scored yet* (no count, no members) until it has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from devotion.analytics.rfm import SEGMENTS
from devotion.people.models import Person, Stage
from devotion.retention.models import RetentionReport, ScoreSnapshot, Segment

RFM_SEGMENTS = SEGMENTS  # devotion.analytics.rfm: the one list
CONSENT_VALUES = {"given": True, "refused": False, "unknown": None}
MAX_CONDITIONS = 20
MAX_VALUES = 50
MAX_NUMBER = Decimal("1e12")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One person field a segment may filter on."""

    name: str
    label: str
    kind: str  # choice | text | number | days | consent | bool | topic
    choices: tuple[tuple[str, str], ...] = ()
    score: bool = False  # written by the scoring pipeline
    low: Decimal | None = None
    high: Decimal | None = None
    help: str = ""

    @property
    def ops(self) -> tuple[str, ...]:
        return OPS[self.kind]

    @property
    def exists(self) -> bool:
        """Whether this installation's Person has the column (score fields arrive with
        the scoring pipeline)."""
        try:
            Person._meta.get_field(self.name)
        except FieldDoesNotExist:
            return False
        return True


OPS: dict[str, tuple[str, ...]] = {
    "choice": ("in",),
    "text": ("in",),
    "number": ("gte", "lte"),
    "days": ("within", "over"),
    "consent": ("is",),
    "bool": ("is",),
    "topic": ("within",),
}
OP_LABELS = {
    "in": "is one of",
    "gte": "at least",
    "lte": "at most",
    "within": "within the last (days)",
    "over": "more than (days) ago, or never",
    "is": "is",
}


def _model_choices(name: str, default: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The values a Person field stores, when the model declares them (so a filter matches
    what the scoring pipeline writes), else ``default``."""
    try:
        choices = getattr(Person._meta.get_field(name), "choices", None)
    except FieldDoesNotExist:
        return default
    return tuple((str(v), str(label)) for v, label in choices) if choices else default


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("stage", "Journey stage", "choice", tuple(Stage.choices)),
        FieldSpec("country", "Country", "text", help="Two-letter codes, comma-separated."),
        FieldSpec("is_advocate", "Advocate", "bool"),
        FieldSpec("consent_email", "E-mail consent", "consent"),
        FieldSpec("consent_sms", "SMS consent", "consent"),
        FieldSpec("consent_profiling", "Profiling consent", "consent"),
        FieldSpec("last_activity_at", "Last contact", "days"),
        FieldSpec("first_seen_at", "First seen", "days"),
        FieldSpec("order_count", "Orders", "number", low=Decimal(0)),
        FieldSpec("total_spent", "Spend", "number", low=Decimal(0)),
        FieldSpec(
            "health_score", "Health score", "number", score=True, low=Decimal(0), high=Decimal(100)
        ),
        FieldSpec(
            "churn_probability",
            "Churn probability",
            "number",
            score=True,
            low=Decimal(0),
            high=Decimal(1),
            help="From 0 to 1 (0.3 is 30 %).",
        ),
        FieldSpec("lifetime_value", "Lifetime value", "number", score=True, low=Decimal(0)),
        FieldSpec(
            "expected_purchases_90d",
            "Expected purchases, next 90 days",
            "number",
            score=True,
            low=Decimal(0),
        ),
        FieldSpec(
            "expected_purchases_365d",
            "Expected purchases, next 365 days",
            "number",
            score=True,
            low=Decimal(0),
        ),
        FieldSpec(
            "rfm_segment",
            "RFM segment",
            "choice",
            _model_choices("rfm_segment", tuple((name, name) for name in RFM_SEGMENTS)),
            score=True,
        ),
        FieldSpec("cluster", "Behavioural cluster", "text", score=True),
        FieldSpec("scored_at", "Scored", "days", score=True),
        FieldSpec(
            "wrote_about",
            "Wrote about a topic",
            "topic",
            help="A topic as the Voice page names it, and how many days back.",
        ),
    )
}


class DefinitionError(ValueError):
    """A segment definition that cannot be used, with a sentence saying what to fix."""


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value}

    def describe(self) -> str:
        """In words.

        >>> Condition("total_spent", "gte", 300).describe()
        'Spend at least 300'
        >>> Condition("last_activity_at", "over", 90).describe()
        'Last contact more than 90 days ago (or never)'
        >>> Condition("stage", "in", ["at_risk", "lapsed"]).describe()
        'Journey stage: At risk or Lapsed'
        >>> Condition("wrote_about", "within", {"topic": "late delivery", "days": 7}).describe()
        'Wrote about "late delivery" in the last 7 days'
        """
        spec = FIELDS[self.field]
        if spec.kind in ("choice", "text"):
            labels = dict(spec.choices)
            return f"{spec.label}: {' or '.join(labels.get(v, v) for v in self.value)}"
        if spec.kind == "number":
            return f"{spec.label} {OP_LABELS[self.op]} {self.value}"
        if spec.kind == "days":
            if self.op == "within":
                return f"{spec.label} in the last {self.value} days"
            return f"{spec.label} more than {self.value} days ago (or never)"
        if spec.kind == "consent":
            return f"{spec.label} {self.value}"
        if spec.kind == "topic":
            return f'Wrote about "{self.value["topic"]}" in the last {self.value["days"]} days'
        return f"{spec.label}: {'yes' if self.value else 'no'}"


def _number(where: str, raw: Any, spec: FieldSpec) -> float | int:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise DefinitionError(f"{where}: the value must be a number.")
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise DefinitionError(f"{where}: {raw!r} is not a number.") from None
    if not number.is_finite() or abs(number) > MAX_NUMBER:
        raise DefinitionError(f"{where}: {raw!r} is not a number we can compare with.")
    if spec.low is not None and number < spec.low:
        raise DefinitionError(f"{where}: {spec.label} is never below {spec.low}.")
    if spec.high is not None and number > spec.high:
        raise DefinitionError(f"{where}: {spec.label} is never above {spec.high}.")
    return int(number) if number == number.to_integral_value() else float(number)


MAX_TOPIC = 100  # TextAnalysis.topic's length


def _topic_days(where: str, raw: Any) -> dict[str, Any]:
    """``{"topic": T, "days": N}`` checked: a topic name and a whole number of days (≥ 1)."""
    if not isinstance(raw, dict) or set(raw) != {"topic", "days"}:
        raise DefinitionError(f'{where}: the value is {{"topic": "...", "days": N}}.')
    topic = raw["topic"].strip() if isinstance(raw["topic"], str) else ""
    if not topic or len(topic) > MAX_TOPIC:
        raise DefinitionError(f"{where}: name a topic of up to {MAX_TOPIC} characters.")
    days = _number(where, raw["days"], FieldSpec("days", "Days", "number", low=Decimal(1)))
    if days != int(days) or days > 36600:
        raise DefinitionError(f"{where}: give a whole number of days from 1 to 36600.")
    return {"topic": topic, "days": int(days)}


def parse_condition(index: int, raw: Any) -> Condition:
    """One condition checked and normalised, or a :class:`DefinitionError` saying why not."""
    where = f"Condition {index + 1}"
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where} must be an object with field, op and value.")
    name, op, value = raw.get("field"), raw.get("op"), raw.get("value")
    if not isinstance(name, str) or name not in FIELDS:
        raise DefinitionError(f"{where}: unknown field {name!r}; use one of {', '.join(FIELDS)}.")
    spec = FIELDS[name]
    if op not in spec.ops:
        raise DefinitionError(
            f"{where}: {spec.label} takes the operator {' or '.join(spec.ops)}, not {op!r}."
        )
    if spec.kind in ("choice", "text"):
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values:
            raise DefinitionError(f"{where}: give {spec.label} at least one value.")
        if len(values) > MAX_VALUES or not all(isinstance(v, str) for v in values):
            raise DefinitionError(f"{where}: {spec.label} takes up to {MAX_VALUES} texts.")
        values = [v.strip() for v in values if v.strip()]
        if spec.name == "country":
            values = [v.upper() for v in values]
        allowed = {code for code, _ in spec.choices}
        wrong = [v for v in values if allowed and v not in allowed]
        if wrong or not values or any(len(v) > 100 for v in values):
            raise DefinitionError(
                f"{where}: {spec.label} cannot be {', '.join(map(repr, wrong or values))}"
                + (f"; use {', '.join(sorted(allowed))}." if allowed else ".")
            )
        return Condition(name, op, sorted(set(values)))
    if spec.kind == "number":
        return Condition(name, op, _number(where, value, spec))
    if spec.kind == "days":
        days = _number(where, value, FieldSpec(name, spec.label, "number", low=Decimal(0)))
        if days != int(days) or days > 36600:
            raise DefinitionError(f"{where}: give a whole number of days up to 36600.")
        return Condition(name, op, int(days))
    if spec.kind == "topic":
        return Condition(name, op, _topic_days(where, value))
    if spec.kind == "consent":
        if value not in CONSENT_VALUES:
            raise DefinitionError(f"{where}: {spec.label} is given, refused or unknown.")
        return Condition(name, op, value)
    if not isinstance(value, bool):
        raise DefinitionError(f"{where}: {spec.label} is true or false.")
    return Condition(name, op, value)


def parse_definition(raw: Any) -> list[Condition]:
    """A definition's conditions, checked (see the module docstring for the shape).

    >>> [c.describe() for c in parse_definition({"conditions": [
    ...     {"field": "stage", "op": "in", "value": "at_risk"},
    ...     {"field": "total_spent", "op": "gte", "value": "200"}]})]
    ['Journey stage: At risk', 'Spend at least 200']
    >>> parse_definition({"conditions": [{"field": "shoe_size", "op": "gte", "value": 9}]})
    Traceback (most recent call last):
    ...
    devotion.retention.segments.DefinitionError: Condition 1: unknown field 'shoe_size'; ...
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("conditions", []), list):
        raise DefinitionError('A definition is {"conditions": [...]}.')
    conditions = raw.get("conditions", [])
    if len(conditions) > MAX_CONDITIONS:
        raise DefinitionError(f"A segment has at most {MAX_CONDITIONS} conditions.")
    return [parse_condition(i, c) for i, c in enumerate(conditions)]


def scores_computed() -> bool:
    """Whether the scoring pipeline has run here (it leaves a snapshot per person scored)."""
    return ScoreSnapshot.objects.exists()


def score_fields(segment: Segment) -> list[str]:
    """The score fields a segment filters on."""
    names = [c.get("field") for c in segment.conditions if isinstance(c, dict)]
    return [n for n in names if isinstance(n, str) and n in FIELDS and FIELDS[n].score]


def not_scored_fields(segment: Segment, computed: bool | None = None) -> list[str]:
    """The score fields the segment filters on that hold nothing yet: their column is not in
    this installation, or no scoring run has filled them. ``computed`` is
    :func:`scores_computed`, passed in by callers that ask for many segments (asked here
    only when the segment uses a score field)."""
    scores = score_fields(segment)
    if not scores:
        return []
    if computed is None:
        computed = scores_computed()
    return [n for n in scores if not (computed and FIELDS[n].exists)]


def _condition_q(condition: Condition, now: datetime) -> Q:
    name, op, value = condition.field, condition.op, condition.value
    kind = FIELDS[name].kind
    if kind in ("choice", "text"):
        chosen = Q(**{f"{name}__in": value})
        # Restating "not empty" lets SQLite use the partial indexes on the RFM segment and
        # cluster (it uses one only when the query states its condition).
        return chosen & ~Q(**{name: ""}) if "" not in value else chosen
    if kind == "number":
        return Q(**{f"{name}__{op}": value})
    if kind == "days":
        since = now - timedelta(days=value)
        if op == "within":
            return Q(**{f"{name}__gte": since})
        return Q(**{f"{name}__lt": since}) | Q(**{f"{name}__isnull": True})
    if kind == "topic":
        return Q(pk__in=_wrote_about(value["topic"], value["days"], now))
    if kind == "consent":
        flag = CONSENT_VALUES[value]
        return Q(**{f"{name}__isnull": True}) if flag is None else Q(**{name: flag})
    return Q(**{name: value})


def _wrote_about(topic: str, days: int, now: datetime) -> QuerySet[Any]:
    """Ids of the people with a message on ``topic`` today or the ``days - 1`` days before
    (UTC days: the Voice page's weeks are whole UTC days, so a problem's window of N days
    selects exactly the people it counted)."""
    from devotion.voice.topics import customer_texts, on_topic

    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - timedelta(days=days - 1)
    found = customer_texts().filter(on_topic(topic), occurred_at__gte=since)
    return found.values("touchpoint__person_id")


class NotScoredYet(Exception):
    """The segment filters on score fields this installation does not have yet."""


def builtin_member_ids(builtin: str, report: RetentionReport | None = None) -> list[int]:
    """Members of a built-in segment as of the latest retention analysis (none before it)."""
    report = report if report is not None else RetentionReport.latest()
    if report is None:
        return []
    return list(report.data.get("builtin_members", {}).get(builtin, []))


def segment_q(
    segment: Segment,
    *,
    now: datetime | None = None,
    report: RetentionReport | None = None,
    computed: bool | None = None,
) -> Q:
    """The filter that selects the segment's members among live people.

    Raises :class:`NotScoredYet` when it needs fields this installation has not got, and
    :class:`DefinitionError` when its stored definition is no longer valid."""
    if segment.builtin:
        return Q(pk__in=builtin_member_ids(segment.builtin, report))
    missing = not_scored_fields(segment, computed)
    if missing:
        raise NotScoredYet(", ".join(missing))
    now = now or timezone.now()
    q = Q()
    for condition in parse_definition(segment.definition):
        q &= _condition_q(condition, now)
    return q


def segment_people(segment: Segment) -> QuerySet[Person]:
    """The segment's live members, as a query later features can narrow, order and act on.

    Raises :class:`NotScoredYet` when the segment needs score fields not there yet."""
    return Person.objects.live().filter(segment_q(segment))


def live_counts(
    segments: Iterable[Segment],
    report: RetentionReport | None = None,
    computed: bool | None = None,
) -> dict[int, int | None]:
    """Each segment's live member count, all in one query (None: not scored yet or invalid;
    one more query to learn whether scores exist, when a segment filters on them)."""
    segments = list(segments)
    if computed is None and any(score_fields(s) for s in segments):
        computed = scores_computed()
    now = timezone.now()
    filters: dict[str, Q] = {}
    counts: dict[int, int | None] = {}
    for segment in segments:
        try:
            q = segment_q(segment, now=now, report=report, computed=computed)
        except (NotScoredYet, DefinitionError):
            counts[segment.pk] = None
            continue
        if q == Q(pk__in=[]):
            counts[segment.pk] = 0  # a built-in before any analysis: no query needed
        else:
            filters[f"s{segment.pk}"] = q
    if filters:
        totals = Person.objects.live().aggregate(
            **{key: Count("pk", filter=q) for key, q in filters.items()}
        )
        counts.update({int(key[1:]): value for key, value in totals.items()})
    return counts
