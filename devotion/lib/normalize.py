"""Normalising identity values so the same person is recognised across sources."""

from __future__ import annotations

import os
import re
from functools import lru_cache

import phonenumbers

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_REGION = os.environ.get("DEVOTION_PHONE_REGION", "US")


@lru_cache(maxsize=200_000)  # imports see the same customers' addresses again and again
def normalize_email(raw: str) -> str | None:
    """Lower-cased, trimmed e-mail, or None when it is not an address.

    >>> normalize_email("  Ada.Lovelace@Example.COM ")
    'ada.lovelace@example.com'
    >>> normalize_email("not an email") is None
    True
    """
    value = raw.strip().lower()
    if not value:
        return None
    return value if _EMAIL.match(value) else None


@lru_cache(maxsize=200_000)
def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of a phone number (``+14155550123``), or None when it cannot be a number.

    Numbers without a country code are read in ``region`` (``DEVOTION_PHONE_REGION``).

    >>> normalize_phone("(415) 555-0123")
    '+14155550123'
    >>> normalize_phone("+44 20 7946 0958")
    '+442079460958'
    >>> normalize_phone("call me") is None
    True
    """
    value = raw.strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
