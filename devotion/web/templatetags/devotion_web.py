"""Template filters of the web app: readable phone numbers and short relative times."""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from devotion.people.models import Channel

register = template.Library()


@register.filter
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
    "1 week, 2 days ago", too long for a table column)."""
    if value is None:
        return ""
    now = timezone.now()
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
