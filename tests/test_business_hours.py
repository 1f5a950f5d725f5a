"""Business-time arithmetic: opening hours, holidays, time zones, DST, arrivals after hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devotion.lib.business_hours import BusinessHours, HoursError

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = BusinessHours.parse("mon-fri 09:00-17:00", tz="Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_an_arrival_within_hours_counts_from_arrival():
    # Tuesday 10:00 Paris + 60 business minutes = 11:00.
    assert OFFICE.add(paris(2026, 3, 3, 10, 0), 60) == paris(2026, 3, 3, 11, 0)


def test_an_arrival_after_hours_starts_counting_at_the_next_opening():
    assert OFFICE.add(paris(2026, 3, 3, 20, 15), 60) == paris(2026, 3, 4, 10, 0)
    assert OFFICE.add(paris(2026, 3, 3, 6, 0), 30) == paris(2026, 3, 3, 9, 30)


def test_the_weekend_is_skipped():
    friday_late = paris(2026, 3, 6, 16, 30)
    assert OFFICE.add(friday_late, 60) == paris(2026, 3, 9, 9, 30)
    assert OFFICE.minutes_between(friday_late, paris(2026, 3, 9, 9, 30)) == 60


def test_holidays_are_closed_all_day():
    hours = BusinessHours.parse("mon-fri 09:00-17:00", tz="Europe/Paris", holidays=["2026-12-25"])
    thursday = paris(2026, 12, 24, 16, 0)
    # Thursday 16-17, Friday the 25th closed, weekend closed: Monday 28th 09:00-10:00.
    assert hours.add(thursday, 120) == paris(2026, 12, 28, 10, 0)


def test_hours_stay_on_the_wall_clock_across_the_spring_dst_change():
    # Paris moves to summer time on Sunday 29 March 2026: Friday 16:00 CET + 2 h of business
    # time is Monday 10:00 CEST, 65 real hours later, not 66.
    friday = paris(2026, 3, 27, 16, 0)
    monday = OFFICE.add(friday, 120)
    assert monday == paris(2026, 3, 30, 10, 0)
    assert monday.astimezone(PARIS).utcoffset() == timedelta(hours=2)
    assert (monday - friday) == timedelta(hours=65)


def test_around_the_clock_hours_count_the_real_length_of_a_dst_day():
    always = BusinessHours.always("Europe/Paris")
    start = paris(2026, 10, 25, 0, 0)  # the autumn night has 25 hours
    end = paris(2026, 10, 26, 0, 0)
    assert always.minutes_between(start, end) == 25 * 60


def test_other_time_zones_count_in_their_own_hours():
    hours = BusinessHours.parse("mon-fri 09:00-17:00", tz="America/New_York")
    # 15:00 UTC on a Monday in June is 11:00 in New York.
    assert hours.add(datetime(2026, 6, 1, 15, 0, tzinfo=UTC), 60) == datetime(
        2026, 6, 1, 12, 0, tzinfo=NEW_YORK
    )


def test_several_ranges_a_day_and_a_lunch_break():
    hours = BusinessHours.parse("mon-fri 09:00-12:00, 13:00-17:00", tz="UTC")
    start = datetime(2026, 3, 3, 11, 30, tzinfo=UTC)
    assert hours.add(start, 60) == datetime(2026, 3, 3, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weekdays 9-5", "is not a day or range of days"),
        ("mon 17:00-09:00", "is not a range within one day"),
        ("mon 09:00-25:00", "is not a time range"),
        ("", "no open hours"),
    ],
)
def test_bad_hours_are_refused_with_a_reason(text, message):
    with pytest.raises(HoursError, match=message):
        BusinessHours.parse(text)


def test_unknown_time_zones_and_bad_holidays_are_refused():
    with pytest.raises(HoursError, match="unknown time zone"):
        BusinessHours.parse("mon 09:00-17:00", tz="Mars/Olympus")
    with pytest.raises(HoursError, match="is not a date"):
        BusinessHours.parse("mon 09:00-17:00", holidays=["25/12/2026"])


def test_a_schedule_that_is_never_open_is_an_error_not_a_hang():
    every_monday = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(200)]
    hours = BusinessHours.parse("mon 09:00-17:00", holidays=every_monday)
    with pytest.raises(HoursError, match="no open hours within"):
        hours.add(datetime(2026, 1, 1, tzinfo=UTC), 10)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.add(datetime(2026, 1, 1), 5)


# ---------------------------------------------------------------------------------- properties

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
schedules = st.sampled_from(
    [
        OFFICE,
        BusinessHours.parse("mon-sat 08:30-12:00, 14:00-19:00", tz="America/New_York"),
        BusinessHours.parse("daily 00:00-24:00", tz="Australia/Sydney", holidays=["2026-01-26"]),
        BusinessHours.parse("fri-mon 22:00-24:00; tue 00:00-02:00", tz="Europe/London"),
    ]
)


@given(hours=schedules, start=moments, minutes=st.integers(min_value=0, max_value=5000))
def test_adding_then_measuring_gives_the_minutes_back(hours, start, minutes):
    end = hours.add(start, minutes)
    assert end >= start
    assert abs(hours.minutes_between(start, end) - minutes) < 1e-6


@given(hours=schedules, start=moments, a=st.integers(0, 3000), b=st.integers(0, 3000))
def test_more_minutes_never_end_earlier(hours, start, a, b):
    low, high = sorted((a, b))
    assert hours.add(start, low) <= hours.add(start, high)


@given(hours=schedules, start=moments, minutes=st.integers(min_value=1, max_value=3000))
def test_a_due_time_falls_within_opening_hours_or_at_a_closing(hours, start, minutes):
    end = hours.add(start, minutes)
    just_before = end - timedelta(seconds=1)
    assert hours.is_open(just_before)


@given(hours=schedules, start=moments, pause=st.integers(0, 2000), total=st.integers(1, 3000))
def test_a_pause_splits_the_target_without_losing_time(hours, start, pause, total):
    # Used before a pause + counted from the resumption = the whole target.
    used = min(pause, total)
    paused_at = hours.add(start, used)
    resumed_at = paused_at + timedelta(hours=7)
    due = hours.add(resumed_at, total - used)
    assert (
        abs(
            hours.minutes_between(start, paused_at) + hours.minutes_between(resumed_at, due) - total
        )
        < 1e-6
    )
