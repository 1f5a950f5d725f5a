"""Template filters of the web app: readable phone numbers, short relative times, money,
counts and audit details."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from devotion.lib.money import format_money, format_money_whole
from devotion.people.models import Channel

register = template.Library()


@register.filter
@lru_cache(maxsize=10_000)  # parsing is costly and list pages show the same numbers again
def phone(value: str) -> str:
    """An E.164 number in the international format people read: ``+1 415-555-0123``.

    >>> phone("+14155550123")
    '+1 415-555-0123'
    >>> phone("not a number")
    'not a number'
    """
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def ago(value: datetime | None) -> str:
    """A relative time with one unit, "3 days ago" or "in 2 hours" (naturaltime says
    "1 week, 2 days ago", too long for a table column); the date itself beyond a year.

    >>> from datetime import UTC
    >>> ago(datetime(1, 1, 1, tzinfo=UTC)), ago(datetime(9999, 12, 31, tzinfo=UTC))
    ('1 Jan 1', '31 Dec 9999')
    """
    if value is None or value == "":
        return ""
    now = timezone.now()
    if abs((now - value).days) > 365:
        return day(value)
    if value > now:
        return f"in {timeuntil(value, now, depth=1)}"
    if (now - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, now, depth=1)} ago"


@register.filter
def channel_label(value: str) -> str:
    """The label of a channel code: "review_site" -> "Review site"; unknown codes readable.

    >>> channel_label("review_site"), channel_label("instagram")
    ('Review site', 'Instagram')
    """
    if value in Channel.values:
        return str(Channel(value).label)
    return value.replace("_", " ").capitalize()


# Lists render these for every row: plain Python formatting is several times cheaper than
# the localised `date:'c'`, `floatformat` and `intcomma` filters, which matters at 50 rows.


def local(value: datetime) -> datetime:
    """``value`` in the business time zone (``DEVOTION_TIME_ZONE``); a date too close to
    year 1 or 9999 to shift stays as stored rather than failing the page.

    >>> from datetime import UTC
    >>> local(datetime(9999, 12, 31, 23, 0, tzinfo=UTC)).year
    9999
    """
    if timezone.is_naive(value):
        return value
    try:
        return timezone.localtime(value)
    except (OverflowError, ValueError):
        return value


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter
def day(value: datetime | date | None) -> str:
    """The one way pages write a date: "7 Dec 2026", in the business time zone.

    >>> from datetime import UTC
    >>> day(datetime(2026, 12, 7, 14, 5, tzinfo=UTC)), day(None), day(date(1, 1, 1))
    ('7 Dec 2026', '', '1 Jan 1')
    """
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = local(value)
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


@register.filter
def when(value: datetime | None) -> str:
    """The one way pages write a moment: "7 Dec 2026, 14:05", in the business time zone.

    >>> from datetime import UTC
    >>> when(datetime(2026, 12, 7, 14, 5, tzinfo=UTC))
    '7 Dec 2026, 14:05'
    """
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        return day(value)
    moment = local(value)
    return f"{day(moment)}, {moment:%H:%M}"


@register.filter
def iso(value: datetime | None) -> str:
    """ISO 8601 in the current time zone, for <time datetime="...">.

    >>> from datetime import UTC
    >>> iso(datetime(2025, 3, 1, 10, 0, tzinfo=UTC))
    '2025-03-01T10:00:00+00:00'
    """
    if value is None or value == "":
        return ""
    return local(value).isoformat()


@register.filter
def money(value: Decimal | float | None, currency: str = "") -> str:
    """An amount in its currency, with that currency's decimals, in the business's locale
    (``DEVOTION_LOCALE``); no currency means the reporting currency (``DEVOTION_CURRENCY``).

    >>> money(Decimal("1234.5"), "USD"), money(Decimal("5000"), "JPY"), money(None)
    ('$1,234.50', '¥5,000', '')
    """
    if value is None or value == "":
        return ""
    code = currency or settings.REPORTING_CURRENCY
    return _money(Decimal(value), code, settings.MONEY_LOCALE)


@register.filter
def money_whole(value: Decimal | float | None, currency: str = "") -> str:
    """An estimate (a lifetime value) in whole units of its currency, reporting currency by
    default.

    >>> money_whole(Decimal("639.7"))
    '$640'
    """
    if value is None or value == "":
        return ""
    return format_money_whole(value, currency or settings.REPORTING_CURRENCY, settings.MONEY_LOCALE)


@lru_cache(maxsize=10_000)
def _money(value: Decimal, currency: str, locale: str) -> str:
    try:
        return format_money(value, currency, locale)
    except ValueError:  # a code Babel does not know ("XYZ" from an old import): say it as is
        return f"{value:,.2f} {currency}"


@register.filter
def thousands(value: int | None) -> str:
    """A whole number with thousands separators.

    >>> thousands(12345)
    '12,345'
    """
    if value is None:
        return ""
    return f"{int(value):,}"


@register.filter
def details(value: dict[str, object] | None) -> str:
    """An audit entry's details as "key value" pairs, lists joined by commas.

    >>> details({"loser_id": 3439, "events": ["person.created", "people.merged"]})
    'loser_id 3439 · events person.created, people.merged'
    """
    if not value:
        return ""
    parts = []
    for key, item in value.items():
        if isinstance(item, dict):
            item = ", ".join(f"{k} {v}" for k, v in item.items())
        elif isinstance(item, list | tuple):
            item = ", ".join(str(v) for v in item)
        parts.append(f"{key} {item}")
    return " · ".join(parts)
