"""What the demo business is made of: its sizes, customer archetypes, places, seasons, and
the generated customer."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Size:
    customers: int
    prospects: int
    months: int
    duplicate_pairs: int


SIZES = {
    "small": Size(customers=150, prospects=40, months=18, duplicate_pairs=2),
    "default": Size(customers=3000, prospects=800, months=22, duplicate_pairs=5),
}

# (archetype, share, mean days between orders)
ARCHETYPES = (
    ("regular", 0.18, 35.0),
    ("occasional", 0.33, 120.0),
    ("one_off", 0.32, 0.0),
    ("drifter", 0.13, 45.0),
    ("won_back", 0.04, 50.0),
)
LOCALES = (
    ("en_US", "US", 0.68),
    ("en_GB", "GB", 0.15),
    ("en_CA", "CA", 0.1),
    ("en_AU", "AU", 0.07),
)
DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "post.example")
US_AREAS = ("212", "415", "312", "617", "503", "206", "512", "720", "404", "305", "612", "919")
MAX_SEASON = 2.2


def season(day: date) -> float:
    """How busy the shop is on ``day`` relative to an ordinary day.

    >>> season(date(2025, 12, 5)) > season(date(2025, 3, 5))
    True
    """
    if day.month == 11:
        return 2.2 if day.day >= 21 else 1.6  # Black Friday week and the run-up to it
    if day.month == 12:
        return 2.0 if day.day <= 18 else 0.8
    if day.month == 7:
        return 2.0 if 8 <= day.day <= 21 else 1.2  # the summer sale
    return {1: 0.7, 2: 0.8}.get(day.month, 1.0)


@dataclass(slots=True)
class Customer:
    """One generated human and what the generator decided about them."""

    index: int
    name: str
    first: str
    email: str
    phone: str
    country: str
    archetype: str
    mood: float
    birthday: date
    pet: str
    colour: str
    child: str
    orders: list[float] = field(default_factory=list)
    second_email: str = ""


def ascii_key(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
