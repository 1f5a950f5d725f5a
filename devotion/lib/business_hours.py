"""Business-time arithmetic: when is a reply due, and how much working time has passed.

A :class:`BusinessHours` is a week of opening hours in one time zone plus holidays (whole local
days closed). Hours are wall-clock times in that zone, so a 09:00-17:00 day stays 09:00-17:00
across a DST change; times in and out are timezone-aware datetimes (any zone). No Django.

>>> from datetime import datetime, timezone
>>> hours = BusinessHours.parse("mon-fri 09:00-17:00", tz="Europe/London")
>>> friday_late = datetime(2026, 3, 6, 16, 30, tzinfo=timezone.utc)  # 16:30 in London
>>> hours.add(friday_late, 60).isoformat()  # 30 minutes on Friday, 30 on Monday
'2026-03-09T09:30:00+00:00'
>>> hours.minutes_between(friday_late, datetime(2026, 3, 9, 9, 30, tzinfo=timezone.utc))
60.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
# A schedule with no open minute within this many days (all holidays) is an error, not a hang.
MAX_SEARCH_DAYS = 3 * 366

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class HoursError(ValueError):
    """A schedule that cannot be read, or one with no open time at all."""


Interval = tuple[int, int]  # minutes after local midnight, end exclusive, up to 1440


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours per weekday (0 = Monday) in ``tz``, and closed ``holidays``.

    >>> always = BusinessHours.always()
    >>> always.minutes_between(
    ...     datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    ... )
    1440.0
    """

    tz: str = "UTC"
    weekly: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(
                f"unknown time zone {self.tz!r} (use a name like Europe/Paris)"
            ) from None
        for day, intervals in self.weekly.items():
            if day not in range(7):
                raise HoursError(f"weekday {day} is not 0 (Monday) to 6 (Sunday)")
            for start, end in intervals:
                if not 0 <= start < end <= DAY_MINUTES:
                    raise HoursError(f"{_fmt(start)}-{_fmt(end)} is not a range within one day")
        if not any(self.weekly.values()):
            raise HoursError("the schedule has no open hours")

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def always(cls, tz: str = "UTC") -> BusinessHours:
        """Open around the clock (holidays none): business time is wall-clock time."""
        return cls(tz=tz, weekly={day: [(0, DAY_MINUTES)] for day in range(7)})

    @classmethod
    def parse(
        cls, text: str, *, tz: str = "UTC", holidays: Iterable[date | str] = ()
    ) -> BusinessHours:
        """Read hours like ``"mon-fri 09:00-17:00; sat 10:00-14:00"`` (``24:00`` ends a day).

        Several ranges per day are separated by commas (``mon 09:00-12:00, 13:00-17:00``).

        >>> BusinessHours.parse("mon-fri 9:00-17:00").weekly[4]
        [(540, 1020)]
        >>> BusinessHours.parse("weekdays 9-5")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        devotion.lib.business_hours.HoursError: 'weekdays' is not a day or range of days ...
        """
        weekly: dict[int, list[Interval]] = {}
        for part in filter(None, (p.strip() for p in re.split(r"[;\n]", text))):
            days_text, _, ranges_text = part.partition(" ")
            days = _days(days_text.strip().lower())
            for chunk in filter(None, (c.strip() for c in ranges_text.split(","))):
                match = _RANGE.match(chunk)
                if not match:
                    raise HoursError(f"{chunk!r} is not a time range like 09:00-17:00")
                h1, m1, h2, m2 = (int(g) for g in match.groups())
                if m1 > 59 or m2 > 59 or h1 > 24 or h2 > 24:
                    raise HoursError(f"{chunk!r} is not a time range like 09:00-17:00")
                interval = (h1 * 60 + m1, h2 * 60 + m2)
                for day in days:
                    weekly.setdefault(day, []).append(interval)
        for intervals in weekly.values():
            intervals.sort()
        return cls(tz=tz, weekly=weekly, holidays=frozenset(_date(h) for h in holidays))

    def describe(self) -> str:
        """The hours as :meth:`parse` reads them.

        >>> BusinessHours.parse("mon-tue 09:00-17:00; sat 10:00-14:00").describe()
        'mon 09:00-17:00; tue 09:00-17:00; sat 10:00-14:00'
        """
        return "; ".join(
            f"{DAYS[day]} " + ", ".join(f"{_fmt(a)}-{_fmt(b)}" for a, b in self.weekly[day])
            for day in sorted(self.weekly)
            if self.weekly[day]
        )

    # -- arithmetic --------------------------------------------------------------------------

    def intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC, in order) from the local day of ``start`` on, each ending after
        ``start``; clipped so the first begins no earlier than ``start``."""
        zone = ZoneInfo(self.tz)
        start = _aware(start)
        day = start.astimezone(zone).date() - timedelta(days=1)
        for _ in range(MAX_SEARCH_DAYS):
            if day not in self.holidays:
                midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
                for a, b in self.weekly.get(day.weekday(), ()):
                    opens = _local(midnight, a, zone)
                    closes = _local(midnight, b, zone)
                    if closes > start and closes > opens:
                        yield max(opens, start), closes
            day += timedelta(days=1)
        raise HoursError(f"no open hours within {MAX_SEARCH_DAYS} days (holidays every day?)")

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of open time after ``start`` (UTC).

        An arrival outside hours starts counting at the next opening.
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        left = timedelta(minutes=minutes)
        for opens, closes in self.intervals(start):
            if left <= closes - opens:
                return opens + left
            left -= closes - opens
        raise AssertionError("unreachable: intervals() raises first")  # pragma: no cover

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Open minutes in ``[start, end)``; 0 when ``end`` is not after ``start``."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0.0
        total = timedelta()
        for opens, closes in self.intervals(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total.total_seconds() / 60

    def before(self, end: datetime, minutes: float) -> datetime:
        """The latest moment from which ``minutes`` of open time run until ``end`` (UTC).

        The inverse of :meth:`add` (to the second): ``add(before(end, m), m)`` is ``end``.

        >>> office = BusinessHours.parse("mon-fri 09:00-17:00")
        >>> office.before(datetime(2026, 3, 9, 9, 30, tzinfo=UTC), 60).isoformat()
        '2026-03-06T16:30:00+00:00'
        """
        if minutes <= 0:
            return _aware(end)
        end = _aware(end)
        low, high = end - timedelta(days=30), end
        while self.minutes_between(low, end) < minutes:
            low -= timedelta(days=30)
            if end - low > timedelta(days=MAX_SEARCH_DAYS):
                raise HoursError(f"no open hours within {MAX_SEARCH_DAYS} days")
        # minutes_between(start, end) falls as start rises: bisect to the second.
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if self.minutes_between(middle, end) >= minutes:
                low = middle
            else:
                high = middle
        return (low + timedelta(milliseconds=500)).replace(microsecond=0)

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` falls within opening hours."""
        opens, _ = next(self.intervals(at))
        return opens <= _aware(at)


def _local(midnight: datetime, minutes: int, zone: ZoneInfo) -> datetime:
    """The UTC moment of wall-clock ``minutes`` after local ``midnight``.

    Added as wall-clock time, then converted: 09:00 is 09:00 whatever the offset that day.
    A time a DST change skips (02:30 on a spring-forward night) is read with the offset
    before the change, which lands it inside the new hour.
    """
    local = (midnight.replace(tzinfo=None) + timedelta(minutes=minutes)).replace(tzinfo=zone)
    return local.astimezone(UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("business-time arithmetic needs timezone-aware datetimes")
    return value.astimezone(UTC)


def _days(text: str) -> list[int]:
    if text in DAYS:
        return [DAYS.index(text)]
    first, _, last = text.partition("-")
    if first in DAYS and last in DAYS:
        a, b = DAYS.index(first), DAYS.index(last)
        return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    if text in {"daily", "every"}:
        return list(range(7))
    raise HoursError(f"{text!r} is not a day or range of days like mon-fri")


def _date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise HoursError(f"holiday {value!r} is not a date like 2026-12-25") from None


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


__all__ = ["BusinessHours", "HoursError"]
