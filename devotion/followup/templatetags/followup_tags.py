"""Template filters of the follow-up screens."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils import timezone

from devotion.followup.queue import describe_left
from devotion.lib.money import format_money

register = template.Library()


@register.filter
def left(value: timedelta | None) -> str:
    """Time left before a promise breaks ("42 min", "3 h late")."""
    return describe_left(value) if value is not None else "—"


@register.filter
def until(value: datetime | None) -> str:
    """Time from now to ``value``, as :func:`left` says it."""
    return describe_left(value - timezone.now()) if value is not None else "—"


@register.filter
def duration(value: timedelta | None) -> str:
    """A duration ("1 h 5 min"), or a dash."""
    return describe_left(value) if value is not None else "—"


@register.filter
def money(value: Decimal | None) -> str:
    """An amount in the reporting currency, as the locale writes it."""
    if value is None:
        return "—"
    return format_money(Decimal(value), settings.REPORTING_CURRENCY, settings.MONEY_LOCALE)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def words(value: str) -> str:
    """A key as words: "preferred_channel" → "preferred channel"."""
    return str(value).replace("_", " ")
