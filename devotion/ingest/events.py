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

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import attrgetter
from typing import Any

from devotion.lib.money import MoneyError, currency_code, decimals
from devotion.lib.normalize import normalize_email, normalize_phone
from devotion.touchpoints import kinds

TOUCHPOINT_KINDS = frozenset(kinds.TOUCHPOINT_KINDS)
KINDS = frozenset(kinds.EVENT_KINDS)
DIRECTIONS = {"in": "in", "inbound": "in", "out": "out", "outbound": "out", "": ""}
MAX_TEXT = 100_000
FUTURE_SLACK = timedelta(days=1)
# The earliest date anything may carry: earlier ones are typos or placeholders (0001-01-01),
# and some cannot even be converted to UTC.
MIN_DATE = datetime(1900, 1, 1, tzinfo=UTC)
# How much JSON ``extra`` may hold: nesting and characters in all its keys and strings.
EXTRA_DEPTH = 10
EXTRA_CHARS = 100_000
CHANNELS = kinds.CHANNEL_NAMES
PLATFORM_CHANNELS = kinds.PLATFORM_CHANNELS
FACT_KEY_MAX = 100
FACT_VALUE_MAX = 500
CENT = Decimal("0.01")
ZERO = Decimal(0)


class Reject(ValueError):
    """An event that cannot be stored; the message says why, for the rejects report."""


# Characters no field may hold: C0 controls but tab, line feed and carriage return; DEL; C1
# controls; lone surrogates (JSON's "\ud800", which is no character and cannot be stored).
# PostgreSQL cannot store NUL at all; the others hide text or garble terminals and exports.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _check_chars(text: str, key: str) -> None:
    """Reject ``text`` if it holds a character no field may (see :data:`_UNWANTED`).

    >>> _check_chars("Ada" + chr(0), "person.name")
    Traceback (most recent call last):
    ...
    devotion.ingest.events.Reject: person.name contains a NUL byte (\\x00)
    """
    if text.isprintable():  # the common case: one pass in C, no regex
        return
    found = _UNWANTED.search(text)
    if found is None:
        return  # tabs, line ends, non-breaking spaces...: text as people write it
    char = found.group()
    if char == "\x00":
        raise Reject(f"{key} contains a NUL byte (\\x00)")
    if "\ud800" <= char <= "\udfff":
        raise Reject(f"{key} contains a lone surrogate (U+{ord(char):04X}), which is not text")
    raise Reject(f"{key} contains a control character (U+{ord(char):04X})")


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


def printable(reason: str) -> str:
    """``reason`` with the characters no field may hold written as escapes, so a reason that
    quotes a hostile value can itself be stored and shown.

    >>> printable("order #1" + chr(0) + " was cancelled")
    'order #1\\\\x00 was cancelled'
    """
    if reason.isprintable():
        return reason
    return _UNWANTED.sub(lambda found: repr(found.group())[1:-1], reason)


def _text(raw: Mapping[str, Any], key: str, limit: int = 500, prefix: str = "") -> str:
    """``raw[key]`` as stripped text ("" when absent); reasons name it ``prefix + key``."""
    value = raw.get(key)
    if value is None:
        return ""
    if type(value) is str:  # the common case first: this runs ~15 times per event
        text = value.strip()
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Reject(f"{prefix}{key} must be text")
    else:
        text = str(value).strip()
    if len(text) > limit:
        raise Reject(f"{prefix}{key} is longer than {limit} characters")
    if not text.isprintable():
        _check_chars(text, prefix + key)
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
        parsed = parsed.replace(tzinfo=UTC)
    elif parsed.tzinfo is not UTC:
        try:
            parsed = parsed.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
            raise _out_of_range(value, key) from None
    if parsed < MIN_DATE:
        raise _out_of_range(value, key)
    return parsed


def _out_of_range(value: Any, key: str) -> Reject:
    shown = value.isoformat() if isinstance(value, datetime) else str(value).strip()
    return Reject(
        f"{key} {shown!r} is a date out of range: allowed from 1900-01-01 to one day from now"
    )


def check_date(moment: datetime, key: str, now: datetime | None = None) -> datetime:
    """``moment`` (UTC), or :class:`Reject` when it is more than a day in the future."""
    current = now or datetime.now(UTC)
    if moment > current + FUTURE_SLACK:
        raise _out_of_range(moment, key)
    return moment


class _BadNumber(ValueError):
    pass


_MAX_AMOUNT = Decimal("1e12")  # what the database's DECIMAL(14, 2) holds
# Money as written by people and exports, once the plain form failed: "1,234.50" (commas
# between groups of exactly three digits), "12,50" (a decimal comma: one comma, one or two
# digits after it), "1.234,50" (dots between groups of three, then a decimal comma).
_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_THOUSANDS = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"-?[0-9]+,[0-9]{1,2}")
_DOTTED_THOUSANDS = re.compile(r"-?[0-9]{1,3}(\.[0-9]{3})+,[0-9]{1,2}")
_EXPONENT = re.compile(r"-?[0-9.]+e[+-]?[0-9]+")
_SYMBOLS = str.maketrans("", "", "$€£¥")


def _number(value: Any, places: int = 2) -> Decimal:
    """A money amount quantized to cents; raises :class:`_BadNumber` saying what is wrong.

    ``places`` is how many decimals the currency has (0 for JPY): more is an error, not
    something to round away silently.
    """
    if isinstance(value, bool):
        raise _BadNumber("is not a number")
    places = min(places, 2)
    if type(value) is int:
        number = Decimal(value)
    else:
        text = value if type(value) is str else str(value)
        # Plain numbers ("12.50", "-3") are the common case: Decimal reads them directly, and
        # string checks (no regex) catch what it reads but we do not take (1e3, NaN, 1_000).
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal(_money_text(text))
        else:
            if not number.is_finite() or "e" in text or "E" in text or "_" in text:
                number = Decimal(_money_text(text))  # says why, or reads "1,234"
    if abs(number) >= _MAX_AMOUNT:
        raise _BadNumber("is out of range (at most 999,999,999,999.99)")
    cents = number.quantize(CENT)
    if cents != number or (places < 2 and cents != number.quantize(Decimal(1).scaleb(-places))):
        shown = "no decimals" if places == 0 else f"at most {places} decimals"
        raise _BadNumber(f"has more decimals than the currency allows ({shown})")
    return cents if cents else ZERO.quantize(CENT)  # -0 is 0


def _money_text(value: str) -> str:
    """``value`` as a plain number ("1,234.50" -> "1234.50"), or :class:`_BadNumber`."""
    text = value.translate(_SYMBOLS).strip()  # "$5", "-$5", "5 €"
    if text.startswith("+"):
        text = text[1:]
    if _PLAIN.fullmatch(text):
        return text
    if "," in text:
        if _THOUSANDS.fullmatch(text):
            return text.replace(",", "")
        if _DECIMAL_COMMA.fullmatch(text):
            return text.replace(",", ".")
        if _DOTTED_THOUSANDS.fullmatch(text):
            return text.replace(".", "").replace(",", ".")
        raise _BadNumber(
            "is ambiguous: write 1234.50, 1,234.50 (commas between groups of three digits) "
            "or 1234,50"
        )
    lowered = text.lower()
    if lowered in {"nan", "inf", "infinity", "-inf", "-infinity", "snan"}:
        raise _BadNumber("is not a finite number")
    if _EXPONENT.fullmatch(lowered):
        raise _BadNumber("is not a plain number (no exponents like 1e3)")
    raise _BadNumber("is not a number")


def parse_decimal(value: Any, key: str, places: int = 2) -> Decimal | None:
    """Read a money amount ("1,234.50", 12, "12.5", "12,50"); empty means None.

    >>> parse_decimal("1,234.50", "amount"), parse_decimal("12,50", "amount")
    (Decimal('1234.50'), Decimal('12.50'))
    >>> parse_decimal("12,34,5", "amount")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    devotion.ingest.events.Reject: amount '12,34,5' is ambiguous: ...
    """
    if value is None or value == "":
        return None
    try:
        return _number(value, places)
    except _BadNumber as exc:
        raise Reject(f"{key} {value!r} {exc}") from None


def _identities(
    person: Mapping[str, Any], source: str
) -> tuple[list[tuple[str, str, str]], dict[tuple[str, str, str], str]]:
    keys: list[tuple[str, str, str]] = []
    raws: dict[tuple[str, str, str], str] = {}
    email_raw = _text(person, "email", 320, "person.") if "email" in person else ""
    if email_raw:
        email = normalize_email(email_raw)
        if email is None:
            raise Reject(f"person.email {email_raw!r} is not an e-mail address")
        keys.append(("email", "", email))
        raws[keys[-1]] = email_raw
    phone_raw = _text(person, "phone", 64, "person.") if "phone" in person else ""
    if phone_raw:
        phone = normalize_phone(phone_raw)
        if phone is None:
            raise Reject(f"person.phone {phone_raw!r} is not a phone number")
        keys.append(("phone", "", phone))
        raws[keys[-1]] = phone_raw
    ext = _text(person, "external_id", 200, "person.") if "external_id" in person else ""
    if ext:
        keys.append(("external", source, ext))
        raws[keys[-1]] = ext
    if not keys:
        raise Reject("no identity: give person.email, person.phone or person.external_id")
    return keys, raws


@lru_cache(maxsize=512)
def _places(currency: str) -> int:
    """How many decimals ``currency``'s amounts may have, or -1 when it is no ISO 4217 code."""
    try:
        return decimals(currency_code(currency))
    except MoneyError:
        return -1


def _lines(raw: Any, places: int = 2) -> list[Line]:
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise Reject("lines must be a list")
    lines = []
    for number, item in enumerate(raw, start=1):
        if type(item) is not dict and not isinstance(item, Mapping):
            raise Reject(f"lines[{number}] must be an object")
        where = f"lines[{number}]."
        product_id = _text(item, "product_id", 200, where) or (
            _text(item, "sku", 200, where) if "sku" in item else ""
        )
        name = _text(item, "product_name", 500, where)
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
            unit_price = None if price is None or price == "" else _number(price, places)
        except _BadNumber as exc:
            raise Reject(f"lines[{number}].unit_price {price!r} {exc}") from None
        try:
            cut = ZERO if discount is None or discount == "" else _number(discount, places)
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
        if isinstance(value, Mapping | list):
            raise Reject(f"facts {str(key)[:FACT_KEY_MAX]!r} must be text, not a list or object")
        key_text = str(key).strip().lower().replace(" ", "_")
        if not key_text or len(key_text) > FACT_KEY_MAX:
            raise Reject(
                f"fact key {str(key)[:FACT_KEY_MAX]!r} must be 1-{FACT_KEY_MAX} characters"
            )
        _check_chars(key_text, "facts key")
        value_text = str(value).strip()
        if len(value_text) > FACT_VALUE_MAX:
            raise Reject(f"facts.{key_text} is longer than {FACT_VALUE_MAX} characters")
        _check_chars(value_text, f"facts.{key_text}")
        facts[key_text] = value_text
    return facts


def _check_extra(value: Any, where: str, depth: int = 0, budget: int = EXTRA_CHARS) -> int:
    """Check the JSON ``extra`` holds only what can be stored (no NUL, control characters,
    lone surrogates, NaN or infinite numbers), nests at most :data:`EXTRA_DEPTH` deep and
    holds at most :data:`EXTRA_CHARS` characters; returns the budget left."""
    if depth > EXTRA_DEPTH:
        raise Reject(f"extra nests deeper than {EXTRA_DEPTH} levels")
    if type(value) is str:
        if not value.isprintable():
            _check_chars(value, where)
        budget -= len(value)
    elif type(value) is dict:
        for key, item in value.items():
            key = str(key)
            if not key.isprintable():
                _check_chars(key, f"{where} key")
            budget = _check_extra(item, f"{where}.{key[:40]}", depth + 1, budget - len(key))
    elif type(value) is list:
        for item in value:
            budget = _check_extra(item, where, depth + 1, budget)
    elif type(value) is float and not math.isfinite(value):
        raise Reject(f"{where} is not a finite number")
    elif value is not None and type(value) not in (int, bool, float):
        raise Reject(f"{where} must be plain JSON (text, numbers, true/false, lists, objects)")
    if budget < 0:
        raise Reject(f"extra holds more than {EXTRA_CHARS} characters")
    return budget


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
        check_date(occurred_at, "occurred_at", now)

    name = _text(person, "name", 300, "person.") if "name" in person else ""
    if not name and ("first_name" in person or "last_name" in person):
        name = " ".join(
            part
            for part in (
                _text(person, "first_name", 150, "person."),
                _text(person, "last_name", 150, "person."),
            )
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
    if extra:
        _check_extra(extra, "extra")
    currency = _text(raw, "currency", 3).upper() if "currency" in raw else ""
    text = raw.get("text")
    if text is not None and not isinstance(text, str):
        raise Reject("text must be a string")
    if text:
        if len(text) > MAX_TEXT:
            raise Reject(f"text is longer than {MAX_TEXT} characters")
        if not text.isprintable():
            _check_chars(text, "text")
    channel = ""
    if "channel" in raw:
        written = _text(raw, "channel", 40).lower()
        channel = CHANNELS.get(written, "") if written else ""
        if written and not channel:
            raise Reject(
                f"channel {written!r} is not one of: {', '.join(kinds.CHANNELS)} "
                "(see docs/events.md for the other names accepted)"
            )
        if channel in PLATFORM_CHANNELS and written != channel:
            # "instagram" is stored as channel "social": keep which platform it was.
            extra = {"platform": written, **extra}

    places = _places(currency) if currency else 2
    if places < 0:
        raise Reject(f"currency {currency!r} is not an ISO 4217 code (e.g. USD, EUR, JPY)")
    amount = parse_decimal(raw["amount"], "amount", places) if "amount" in raw else None
    lines = _lines(raw["lines"], places) if "lines" in raw else []
    if amount is None and kind == "order" and lines:
        amount = ZERO
        for line in lines:
            if line.unit_price is not None:
                amount += line.unit_price * line.quantity
            amount -= line.discount
        if abs(amount) >= _MAX_AMOUNT:
            raise Reject("lines add up to more than 999,999,999,999.99: give the order's amount")
    return Event(
        kind=kind,
        source=source,
        external_id=external_id,
        occurred_at=occurred_at,
        identities=identities,
        raw_identities=raw_identities,
        name=name,
        country=_text(person, "country", 2, "person.").upper() if "country" in person else "",
        channel=channel,
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
