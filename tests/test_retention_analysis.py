"""The retention analysis job over stored touchpoints: win-backs with discounts from order
lines or coupons, satisfied defectors, cohorts, as-of backtests, the job record, and the
built-in segments it fills."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from devotion.core.models import Job
from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.retention import analysis
from devotion.retention.models import RetentionReport, Segment
from devotion.retention.segments import segment_people

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)


def _at(day: date) -> str:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat()


def _orders(make_event, email: str, days: list[date], **kw) -> list[dict]:
    return [
        make_event(
            external_id=f"{email}-{day}",
            occurred_at=_at(day),
            person={"email": email, "name": email.split("@")[0].title()},
            **kw,
        )
        for day in days
    ]


def _monthly(start: date, count: int) -> list[date]:
    return [start + timedelta(days=30 * i) for i in range(count)]


def _survey(make_event, email: str, day: date, survey: str, rating: int) -> dict:
    return make_event(
        kind="survey_answer",
        external_id=f"{survey}-{email}-{day}",
        occurred_at=_at(day),
        person={"email": email},
        amount=None,
        currency=None,
        rating=rating,
        extra={"survey": survey},
    )


@pytest.fixture
def shop(make_event) -> dict[str, Person]:
    events = []
    # Ann: monthly, gone 200 days, back with 20 % off a line; still buying.
    events += _orders(make_event, "ann@example.com", _monthly(date(2024, 1, 1), 4))
    back = date(2024, 3, 31) + timedelta(days=200)
    events.append(
        make_event(
            external_id="ann-back",
            occurred_at=_at(back),
            person={"email": "ann@example.com"},
            amount="40.00",
            lines=[
                {"product_id": "MUG", "quantity": 1, "unit_price": "50.00", "discount": "10.00"}
            ],
        )
    )
    events += _orders(make_event, "ann@example.com", _monthly(back + timedelta(days=30), 3))
    # Bo: monthly, gone, back with a coupon (no line discount).
    events += _orders(make_event, "bo@example.com", _monthly(date(2024, 2, 1), 3))
    events.append(
        make_event(
            external_id="bo-back",
            occurred_at=_at(date(2025, 1, 10)),
            person={"email": "bo@example.com"},
            extra={"coupon": "MISSYOU20"},
        )
    )
    # Cy: a regular who said 10 and went quiet 8 months ago: a satisfied defector.
    events += _orders(make_event, "cy@example.com", _monthly(date(2024, 5, 1), 6))
    events.append(_survey(make_event, "cy@example.com", date(2024, 10, 1), "nps", 10))
    # Di: said 10, still buying monthly: not a defector.
    events += _orders(make_event, "di@example.com", _monthly(date(2025, 1, 5), 6))
    events.append(_survey(make_event, "di@example.com", date(2025, 3, 1), "nps", 10))
    # Ed: overdue, but said 3: unhappy, not a *satisfied* defector.
    events += _orders(make_event, "ed@example.com", _monthly(date(2024, 5, 1), 6))
    events.append(_survey(make_event, "ed@example.com", date(2024, 10, 1), "nps", 3))
    # Fay: overdue, CSAT 5 once, then a CSAT 2: her latest answer is not happy.
    events += _orders(make_event, "fay@example.com", _monthly(date(2024, 5, 1), 6))
    events.append(_survey(make_event, "fay@example.com", date(2024, 9, 1), "csat", 5))
    events.append(_survey(make_event, "fay@example.com", date(2024, 10, 1), "csat", 2))
    # After as_of: Cy orders again (a backtest as of June must not see it).
    events += _orders(make_event, "cy@example.com", [date(2025, 7, 15)])
    outcomes = ingest(events)
    assert all(o.accepted for o in outcomes), [o.reason for o in outcomes if not o.accepted]
    return {p.primary_email.split("@")[0]: p for p in Person.objects.all()}


def test_the_job_stores_a_report_and_records_its_progress(shop):
    report = analysis.run_now(AS_OF)
    job = Job.objects.get(kind=analysis.KIND)
    assert job.status == Job.Status.DONE and (job.done, job.total) == (5, 5)
    assert "satisfied defectors" in job.log
    assert report == RetentionReport.latest() and report.as_of == AS_OF
    assert report.data["customers"] == 6


def test_winbacks_carry_their_discount_from_lines_or_a_coupon(shop):
    data = analysis.run_now(AS_OF).data
    assert data["winbacks"] == {"total": 2, "people": 2, "with_incentive": 2, "cost": 10.0}
    (first,) = data["decay"]
    assert first["label"] == "1st" and first["winbacks"] == 2 and first["with_incentive"] == 2


def test_satisfied_defectors_said_happy_and_behave_as_leaving(shop):
    report = analysis.run_now(AS_OF)
    (defector,) = report.data["defectors"]
    assert defector["person"] == shop["cy"].pk
    assert (defector["survey"], defector["rating"]) == ("nps", 10)
    assert defector["days_since"] > defector["allowed_days"] == 120
    segment = Segment.objects.get(builtin=Segment.Builtin.SATISFIED_DEFECTORS)
    assert list(segment_people(segment)) == [shop["cy"]]


def test_a_leaving_stage_counts_as_leaving_behaviour(shop):
    Person.objects.filter(pk=shop["di"].pk).update(stage="at_risk")
    report = analysis.run_now(AS_OF)
    assert {d["person"] for d in report.data["defectors"]} == {shop["cy"].pk, shop["di"].pk}


def test_data_after_as_of_is_ignored(shop):
    later = analysis.run_now(date(2025, 7, 31))
    assert later.data["defectors"] == []  # Cy came back in July
    assert analysis.run_now(AS_OF).data["builtin_members"]["satisfied_defectors"] == [shop["cy"].pk]


def test_cohorts_and_monthly_customers_come_from_first_orders(shop):
    data = analysis.run_now(AS_OF).data
    january_2024 = next(c for c in data["cohorts"] if c["month"] == "2024-01-01")
    # Ann: 1 and 31 January, 1 and 31 March (2024 is a leap year): none in February.
    assert january_2024["size"] == 1 and january_2024["active"][:4] == [1, 0, 1, 0]
    may_2025 = next(m for m in data["monthly"] if m["month"] == "2025-05-01")
    assert (may_2025["acquired"], may_2025["retained"]) == (0, 1)  # Di, a repeat customer


def test_each_run_records_segment_sizes_for_movement(shop):
    saved = Segment.objects.create(
        name="Many orders",
        definition={"conditions": [{"field": "order_count", "op": "gte", "value": 7}]},
    )
    report = analysis.run_now(AS_OF)
    counts = report.data["segment_counts"]
    assert counts[str(saved.pk)] == 2  # Ann (8) and Cy (7)
    defectors = Segment.objects.get(builtin=Segment.Builtin.SATISFIED_DEFECTORS)
    assert counts[str(defectors.pk)] == 1


def test_too_little_data_gives_an_empty_report(db):
    data = analysis.run_now(AS_OF).data
    assert data["cohorts"] == [] and data["decay"] == [] and data["defectors"] == []
    assert data["customers"] == 0


def test_only_the_latest_reports_are_kept(shop, monkeypatch):
    monkeypatch.setattr(analysis, "REPORTS_KEPT", 2)
    for _ in range(3):
        analysis.run_now(AS_OF)
    assert RetentionReport.objects.count() == 2


def test_orders_stored_interleaved_are_read_one_person_at_a_time(make_event):
    # Two customers ordering on the same days, stored alternately: each lapses and returns.
    days = [*_monthly(date(2024, 1, 1), 3), date(2024, 12, 1)]
    events = []
    for day in days:
        for email in ("gil@example.com", "hal@example.com"):
            events += _orders(make_event, email, [day])
    ingest(events)
    data = analysis.run_now(AS_OF).data
    assert data["winbacks"]["total"] == 2 and data["winbacks"]["people"] == 2
    assert data["customers"] == 2 and data["orders"] == 8
