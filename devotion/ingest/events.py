"""The one canonical event shape every source is mapped to, and its validation.

Plain Python with no Django import: the API, every file import and the demo generator build
a ``dict`` in this shape and call :func:`validate_event`, which either returns an
:class:`Event` or raises :class:`Reject` with a reason a person can act on.

The shape (``docs/events.md`` documents each field)::

    {"kind": "order", "source": "shopify", "external_id": "1001",
     "occurred_at": "2025-03-01T10:00:00Z",
     "person": {"email": "ada@example.com", "phone": "+1 415 555 0123",
                "external_id": "cust-7", "name": "Ada Lovelace"},
     "channel": "web", "direction": "in", "thread": "", "subject": "", "text": "",
     "amount": "42.50", "currency": "USD", "rating": null, "staff": "Sam Lee",
     "lines": [{"product_id": "SKU-1", "product_name": "Mug", "quantity": 2,
                "unit_price": "21.25", "discount": "0"}],
     "facts": {"birthday": "1990-05-01"}, "consent": {"email": true}, "extra": {}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

from devotion.lib.normalize import normalize_email, normalize_phone
from devotion.touchpoints import kinds

TOUCHPOINT_KINDS = frozenset(kinds.TOUCHPOINT_KINDS)
KINDS = frozenset(kinds.EVENT_KINDS)
DIRECTIONS = {"in": "in", "inbound": "in", "out": "out", "outbound": "out", "": ""}
MAX_TEXT = 100_000
FUTURE_SLACK = timedelta(days=1)
FACT_KEY_MAX = 100
FACT_VALUE_MAX = 500
CENT = Decimal("0.01")
ZERO = Decimal(0)


class Reject(ValueError):
    """An event that cannot be stored; the message says why, for the rejects report."""


@dataclass(slots=True)
class Line:
    product_id: str
    product_name: str
    quantity: int
    unit_price: Decimal | None
    discount: Decimal

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by the million (import batches cross to another process): a plain tuple
        # of the fields costs half what the dataclass's generic state does.
        return Line, _LINE_FIELDS(self)


@dataclass(slots=True)
class Event:
    """A validated event. ``identities`` holds normalised (kind, source, value) keys."""

    kind: str
    source: str
    external_id: str
    occurred_at: datetime | None
    identities: list[tuple[str, str, str]]
    raw_identities: dict[tuple[str, str, str], str]
    name: str = ""
    country: str = ""
    channel: str = ""
    direction: str = ""
    thread: str = ""
    subject: str = ""
    text: str = ""
    amount: Decimal | None = None  # for an order without one: the sum of its lines
    currency: str = ""
    rating: int | None = None
    staff: str = ""
    lines: list[Line] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    consent: dict[str, bool] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_touchpoint(self) -> bool:
        return self.kind != "customer"

    def __reduce__(self) -> tuple[Any, ...]:
        return Event, _EVENT_FIELDS(self)


_LINE_FIELDS = attrgetter(*Line.__slots__)
_EVENT_FIELDS = attrgetter(*Event.__slots__)


def _text(raw: Mapping[str, Any], key: str, limit: int = 500) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if type(value) is str:  # the common case first: this runs ~15 times per event
        text = value.strip()
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Reject(f"{key} must be text")
    else:
        text = str(value).strip()
    if len(text) > limit:
        raise Reject(f"{key} is longer than {limit} characters")
    return text


def parse_datetime(value: Any, key: str = "occurred_at") -> datetime:
    """Read an ISO 8601 date or date-time; naive times are taken as UTC.

    >>> parse_datetime("2025-03-01T10:00:00Z")
    datetime.datetime(2025, 3, 1, 10, 0, tzinfo=datetime.timezone.utc)
    >>> parse_datetime("2025-03-01").isoformat()
    '2025-03-01T00:00:00+00:00'
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith((" UTC", " utc")):
            text = text[:-4]
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise Reject(
                f"{key} {value!r} is not a date-time; use ISO 8601 like 2025-03-01T10:00:00Z"
            ) from None
    else:
        raise Reject(f"{key} is missing")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)


class _BadNumber(ValueError):
    pass


_MAX_AMOUNT = Decimal("1e12")


def _number(value: Any) -> Decimal:
    """A money amount quantized to cents; raises :class:`_BadNumber` saying what is wrong."""
    if isinstance(value, bool):
        raise _BadNumber("is not a number")
    try:
        # Plain numbers ("12.50", 12) parse directly; only the rest needs cleaning up.
        number = Decimal(value if type(value) is str or type(value) is int else str(value))
    except InvalidOperation:
        text = str(value).strip().replace(",", "")
        for symbol in ("$", "€", "£"):
            text = text.replace(symbol, "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _BadNumber("is not a number") from None
    if not number.is_finite() or abs(number) >= _MAX_AMOUNT:
        raise _BadNumber("is out of range")
    return number.quantize(CENT)


def parse_decimal(value: Any, key: str) -> Decimal | None:
    """Read a money amount ("1,234.50", 12, "12.5"); empty means None.

    >>> parse_decimal("1,234.50", "amount")
    Decimal('1234.50')
    """
    if value is None or value == "":
        return None
    try:
        return _number(value)
    except _BadNumber as exc:
        raise Reject(f"{key} {value!r} {exc}") from None


def _identities(
    person: Mapping[str, Any], source: str
) -> tuple[list[tuple[str, str, str]], dict[tuple[str, str, str], str]]:
    keys: list[tuple[str, str, str]] = []
    raws: dict[tuple[str, str, str], str] = {}
    email_raw = _text(person, "email", 320) if "email" in person else ""
    if email_raw:
        email = normalize_email(email_raw)
        if email is None:
            raise Reject(f"person.email {email_raw!r} is not an e-mail address")
        keys.append(("email", "", email))
        raws[keys[-1]] = email_raw
    phone_raw = _text(person, "phone", 64) if "phone" in person else ""
    if phone_raw:
        phone = normalize_phone(phone_raw)
        if phone is None:
            raise Reject(f"person.phone {phone_raw!r} is not a phone number")
        keys.append(("phone", "", phone))
        raws[keys[-1]] = phone_raw
    ext = _text(person, "external_id", 200) if "external_id" in person else ""
    if ext:
        keys.append(("external", source, ext))
        raws[keys[-1]] = ext
    if not keys:
        raise Reject("no identity: give person.email, person.phone or person.external_id")
    return keys, raws


def _lines(raw: Any) -> list[Line]:
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise Reject("lines must be a list")
    lines = []
    for number, item in enumerate(raw, start=1):
        if type(item) is not dict and not isinstance(item, Mapping):
            raise Reject(f"lines[{number}] must be an object")
        product_id = _text(item, "product_id", 200) or (
            _text(item, "sku", 200) if "sku" in item else ""
        )
        name = _text(item, "product_name", 500)
        if not product_id and not name:
            raise Reject(f"lines[{number}] needs product_id or product_name")
        quantity_raw = item.get("quantity", 1)
        try:
            quantity = (
                quantity_raw if type(quantity_raw) is int else int(str(quantity_raw).strip() or 1)
            )
        except ValueError:
            raise Reject(
                f"lines[{number}].quantity {quantity_raw!r} is not a whole number"
            ) from None
        if not 0 < quantity <= 1_000_000:
            raise Reject(f"lines[{number}].quantity must be between 1 and 1000000")
        price, discount = item.get("unit_price"), item.get("discount")
        try:
            unit_price = None if price is None or price == "" else _number(price)
        except _BadNumber as exc:
            raise Reject(f"lines[{number}].unit_price {price!r} {exc}") from None
        try:
            cut = ZERO if discount is None or discount == "" else _number(discount)
        except _BadNumber as exc:
            raise Reject(f"lines[{number}].discount {discount!r} {exc}") from None
        lines.append(Line(product_id or name, name, quantity, unit_price, cut))
    return lines


def _facts(raw: Any) -> dict[str, str]:
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, Mapping):
        raise Reject("facts must be an object of key: value")
    facts = {}
    for key, value in raw.items():
        if value is None or str(value).strip() == "":
            continue
        key_text = str(key).strip().lower().replace(" ", "_")
        if not key_text or len(key_text) > FACT_KEY_MAX:
            raise Reject(f"fact key {key!r} must be 1-{FACT_KEY_MAX} characters")
        value_text = str(value).strip()
        if len(value_text) > FACT_VALUE_MAX:
            raise Reject(f"fact {key_text} is longer than {FACT_VALUE_MAX} characters")
        facts[key_text] = value_text
    return facts


def _consent(raw: Any) -> dict[str, bool]:
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, Mapping):
        raise Reject('consent must be an object like {"email": true}')
    consent = {}
    for key in ("email", "sms", "profiling"):
        if key in raw and raw[key] not in (None, ""):
            value = raw[key]
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in {"true", "yes", "1", "y"}:
                    value = True
                elif lowered in {"false", "no", "0", "n"}:
                    value = False
            if not isinstance(value, bool):
                raise Reject(f"consent.{key} {raw[key]!r} is not true or false")
            consent[key] = value
    return consent


def validate_event(raw: Mapping[str, Any], *, now: datetime | None = None) -> Event:
    """Check one raw event and return it normalised, or raise :class:`Reject`.

    >>> e = validate_event({"kind": "order", "source": "shop", "external_id": "1",
    ...     "occurred_at": "2025-01-02T03:04:05Z", "amount": "9.50",
    ...     "person": {"email": "A@B.co"}})
    >>> e.identities, e.amount
    ([('email', '', 'a@b.co')], Decimal('9.50'))
    >>> validate_event({"kind": "order", "source": "shop", "person": {"email": "a@b.co"}})
    ... # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    devotion.ingest.events.Reject: external_id is missing
    """
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise Reject("an event must be a JSON object")
    kind = _text(raw, "kind", 40).lower()
    if not kind:
        raise Reject("kind is missing")
    if kind not in KINDS:
        raise Reject(f"kind {kind!r} is not one of: {', '.join(sorted(KINDS))}")
    source = _text(raw, "source", 40).lower()
    if not source:
        raise Reject("source is missing")
    person = raw.get("person") or {}
    if type(person) is not dict and not isinstance(person, Mapping):
        raise Reject("person must be an object")
    identities, raw_identities = _identities(person, source)

    external_id = _text(raw, "external_id", 200)
    occurred_raw = raw.get("occurred_at")
    occurred_at: datetime | None = None
    if kind == "customer":
        if occurred_raw not in (None, ""):
            occurred_at = parse_datetime(occurred_raw)
    else:
        if not external_id:
            raise Reject("external_id is missing")
        occurred_at = parse_datetime(occurred_raw)
    if occurred_at is not None:
        limit = (now or datetime.now(UTC)) + FUTURE_SLACK
        if occurred_at > limit:
            raise Reject(f"occurred_at {occurred_at.isoformat()} is in the future")

    name = _text(person, "name", 300) if "name" in person else ""
    if not name and ("first_name" in person or "last_name" in person):
        name = " ".join(
            part
            for part in (_text(person, "first_name", 150), _text(person, "last_name", 150))
            if part
        )
    # Optional fields are only looked at when present: this runs for every imported row.
    direction_raw = _text(raw, "direction", 10).lower() if "direction" in raw else ""
    if direction_raw not in DIRECTIONS:
        raise Reject(f"direction {direction_raw!r} must be in or out")
    rating_raw = raw.get("rating")
    rating: int | None = None
    if rating_raw not in (None, ""):
        try:
            number = float(str(rating_raw).strip())
        except ValueError:
            raise Reject(f"rating {rating_raw!r} is not a number") from None
        if not number.is_integer():  # "4.0" from a spreadsheet is fine; 4.5 stars is not 4
            raise Reject(f"rating {rating_raw!r} must be a whole number (0-10)")
        rating = int(number)
        if not 0 <= rating <= 10:
            raise Reject(f"rating {rating} must be between 0 and 10")
    extra = raw.get("extra") or {}
    if type(extra) is not dict and not isinstance(extra, Mapping):
        raise Reject("extra must be an object")
    currency = _text(raw, "currency", 3).upper() if "currency" in raw else ""
    text = raw.get("text")
    if text is not None and not isinstance(text, str):
        raise Reject("text must be a string")
    if text and len(text) > MAX_TEXT:
        raise Reject(f"text is longer than {MAX_TEXT} characters")

    amount = parse_decimal(raw["amount"], "amount") if "amount" in raw else None
    lines = _lines(raw["lines"]) if "lines" in raw else []
    if amount is None and kind == "order" and lines:
        amount = ZERO
        for line in lines:
            if line.unit_price is not None:
                amount += line.unit_price * line.quantity
            amount -= line.discount
    return Event(
        kind=kind,
        source=source,
        external_id=external_id,
        occurred_at=occurred_at,
        identities=identities,
        raw_identities=raw_identities,
        name=name,
        country=_text(person, "country", 2).upper() if "country" in person else "",
        channel=_text(raw, "channel", 16).lower() if "channel" in raw else "",
        direction=DIRECTIONS[direction_raw],
        thread=_text(raw, "thread", 200) if "thread" in raw else "",
        subject=_text(raw, "subject", 500) if "subject" in raw else "",
        text=text.strip() if text else "",
        amount=amount,
        currency=currency,
        rating=rating,
        staff=_text(raw, "staff", 200) if "staff" in raw else "",
        lines=lines,
        facts=_facts(raw["facts"]) if "facts" in raw else {},
        consent=_consent(raw["consent"]) if "consent" in raw else {},
        extra=dict(extra) if extra else {},
    )
