"""Normalising identity values so the same person is recognised across sources."""

from __future__ import annotations

import os
import re
from functools import lru_cache

import phonenumbers

# An e-mail address, strictly (after lower-casing): a dot-atom local part of at most 64
# characters (RFC 5322: letters, digits and !#$%&'*+/=?^_`{|}~- between single dots), "@",
# and a domain of dot-separated labels (letters, digits, inner hyphens, at most 63 each)
# ending in a top-level domain of 2-63 letters (or an IDNA "xn--" one); at most 254 in all.
# No quoted local parts, comments or IP-literal domains: nobody's shop sends those, and
# anything else (spaces, <>, (), quotes) is a typo or an attack. The columnar import checks
# plain ASCII addresses with EMAIL_PATTERN_ASCII in DuckDB, so keep the two the same; other
# addresses may also use letters beyond ASCII (zoë@example.com, ada@bücher.de).
_ATEXT = "a-z0-9!#$%&'*+/=?^_`{|}~-"
EMAIL_PATTERN_ASCII = (
    f"[{_ATEXT}]{{1,64}}(\\.[{_ATEXT}]{{1,64}})*"
    "@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
_EMAIL_ASCII = re.compile(EMAIL_PATTERN_ASCII)
# Letters and digits beyond ASCII are allowed where ASCII letters are.
_WIDE = "[^\\W_\\x00-\\x7f]"
_EMAIL_WIDE = re.compile(
    f"(?:[{_ATEXT}]|{_WIDE})+(?:\\.(?:[{_ATEXT}]|{_WIDE})+)*"
    f"@(?:(?:[a-z0-9]|{_WIDE})(?:(?:[a-z0-9-]|{_WIDE}){{0,61}}(?:[a-z0-9]|{_WIDE}))?\\.)+"
    f"(?:(?:[a-z]|{_WIDE}){{2,63}}|xn--[a-z0-9-]{{1,59}})"
)
DEFAULT_REGION = os.environ.get("DEVOTION_PHONE_REGION", "US")


@lru_cache(maxsize=200_000)  # imports see the same customers' addresses again and again
def normalize_email(raw: str) -> str | None:
    """Lower-cased, trimmed e-mail, or None when it is not an address.

    >>> normalize_email("  Ada.Lovelace@Example.COM ")
    'ada.lovelace@example.com'
    >>> normalize_email("not an email") is None
    True
    >>> normalize_email("<script>alert(1)</script>@example.com") is None
    True
    >>> normalize_email("Zoë@Bücher.de")
    'zoë@bücher.de'
    """
    value = raw.strip().lower()
    if not value or len(value) > 254 or value.find("@") > 64:
        return None
    if value.isascii():
        return value if _EMAIL_ASCII.fullmatch(value) else None
    if any(len(label) > 63 for label in value.rpartition("@")[2].split(".")):
        return None
    return value if _EMAIL_WIDE.fullmatch(value) else None


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
