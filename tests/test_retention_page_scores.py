"""The scoring half of the Retention page: churn-risk distribution, value at risk by RFM
segment with movement since the last run, the at-risk list (sorted by value at risk, with
reasons and owner, paged), the churn model's report card; "not scored yet" before any run;
one Recompute that scores and then analyses; role checks and a query-count guard."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from devotion.core.models import Job
from devotion.followup.models import PersonOwner
from devotion.people.models import Person
from devotion.retention import analysis, views_scores
from devotion.retention.charts import calibration_chart
from devotion.retention.models import ScoreSnapshot, ScoringRun
from devotion.retention.tasks import nightly_scoring, score_everyone
from devotion.team.models import StaffMember
from tests.scoring_helpers import as_of_day, store_business

pytestmark = pytest.mark.django_db

ANALYSIS_TASK = f"{analysis.analyse_retention.func.__module__}.analyse_retention"


@pytest.fixture
def scored(settings, tmp_path):
    """A toy business scored twice (so segments have moved between two runs)."""
    settings.HOME = tmp_path
    store_business(120)
    for day in (700, 800):
        call_command(
            "score", "--as-of", as_of_day(day).isoformat(), stdout=StringIO(), stderr=StringIO()
        )
    return ScoringRun.objects.order_by("-id").first()


def _person(name: str, churn: float, ltv: str, segment: str = "At risk") -> Person:
    person = Person(churn_probability=churn, lifetime_value=Decimal(ltv), rfm_segment=segment)
    person.set_name(name)
    person.scored_at = timezone.now()
    person.save()
    return person


@pytest.fixture
def hand_scored():
    """Four people scored by hand in one finished run, with reasons on their snapshots."""
    now = timezone.now()
    run = ScoringRun.objects.create(
        as_of=now.date(),
        started_at=now,
        finished_at=now,
        people=4,
        customers=4,
        segments={"At risk": 2, "Champions": 1, "Lost": 1},
    )
    people = {
        # value at risk: 0.6 x 1000 = 600, 0.9 x 100 = 90, 0.55 x 2000 = 1100; 0.1 x 5000 low risk
        "Ann Archer": _person("Ann Archer", 0.6, "1000.00"),
        "Bo Baker": _person("Bo Baker", 0.9, "100.00", "Lost"),
        "Cy Cooper": _person("Cy Cooper", 0.55, "2000.00"),
        "Di Dean": _person("Di Dean", 0.1, "5000.00", "Champions"),
    }
    for person in people.values():
        ScoreSnapshot.objects.create(
            person=person,
            run=run,
            computed_at=now,
            churn_probability=person.churn_probability,
            lifetime_value=person.lifetime_value,
            rfm_segment=person.rfm_segment,
            churn_reasons=[
                {"feature": "recency", "text": f"no order for ages ({person})", "weight": 1.0}
            ],
        )
    return run, people


# ------------------------------------------------------------------------------ before scoring


def test_before_any_scoring_run_the_page_says_not_scored_yet_and_how(login, agent, manager):
    agent_page = login(agent).get(reverse("retention")).content.decode()
    assert "Not scored yet" in agent_page and "devotion score" in agent_page
    assert "Churn model report card" not in agent_page and 'id="at-risk"' not in agent_page
    manager_page = login(manager).get(reverse("retention")).content.decode()
    assert "Not scored yet" in manager_page and "<strong>Recompute</strong>" in manager_page


# ------------------------------------------------------------------------------ on real scores


def test_the_page_shows_the_four_scoring_sections_from_a_real_run(scored, login, agent, manager):
    for user in (agent, manager):
        html = login(user).get(reverse("retention")).content.decode()
        assert "Not scored yet" not in html
        assert "Churn risk" in html and 'id="churn-risk"' in html
        assert "Value at risk by RFM segment" in html
        assert "At risk, the most valuable first" in html
        assert "Churn model report card" in html and "ROC-AUC" in html
        assert scored.model is not None and f"v{scored.model.version}" in html
    people = views_scores.scored_people().count()
    churn = views_scores.churn_distribution()
    assert sum(r["people"] for r in churn["rows"]) == churn["people"] == people > 0


def test_segment_movement_compares_the_last_two_runs(scored):
    last, previous = views_scores.latest_runs()
    assert last == scored and previous is not None and previous.pk < last.pk
    rows = {r["segment"]: r for r in views_scores.segment_rows(last, previous)}
    for name in set(last.segments) | set(previous.segments):
        assert rows[name]["people"] == last.segments.get(name, 0)
        assert rows[name]["change"] == last.segments.get(name, 0) - previous.segments.get(name, 0)
    var = [r["value_at_risk"] for r in rows.values()]
    assert sum(var) == pytest.approx(views_scores.churn_distribution()["value_at_risk"], rel=1e-6)


def test_a_single_run_says_first_run_instead_of_a_movement(hand_scored, login, agent):
    html = login(agent).get(reverse("retention")).content.decode()
    assert "first run" in html


def test_the_at_risk_list_is_sorted_by_value_at_risk_with_reasons_and_owner(
    hand_scored, login, agent, manager
):
    _, people = hand_scored
    sam = StaffMember.objects.create(display_name="Sam Seller")
    PersonOwner.objects.create(person=people["Ann Archer"], owner=sam)
    html = login(agent).get(reverse("retention")).content.decode()
    section = html[html.index('id="at-risk"') :]
    section = section[: section.index("</section>")]
    # Cy (1100) before Ann (600) before Bo (90); Di is at 10 % risk: not listed.
    assert section.index("Cy Cooper") < section.index("Ann Archer") < section.index("Bo Baker")
    assert "Di Dean" not in section
    assert "No order for ages (Ann Archer)" in section and "Sam Seller" in section
    assert reverse("customer", args=[people["Cy Cooper"].pk]) in section
    # Value at risk by segment: At risk = 600 + 1100, Lost = 90, Champions = 500.
    rows = {r["segment"]: r for r in views_scores.segment_rows(*views_scores.latest_runs())}
    assert rows["At risk"]["value_at_risk"] == pytest.approx(1700)
    assert rows["Champions"]["value_at_risk"] == pytest.approx(500)
    assert [r["segment"] for r in views_scores.segment_rows(*views_scores.latest_runs())] == [
        "At risk",
        "Champions",
        "Lost",
    ]


def test_the_at_risk_list_pages(hand_scored, login, agent, monkeypatch):
    monkeypatch.setattr(views_scores, "RISK_PAGE", 2)
    client = login(agent)
    first = client.get(reverse("retention")).content.decode()
    assert "Cy Cooper" in first and "Ann Archer" in first and "?risk_page=2" in first
    second = client.get(reverse("retention") + "?risk_page=2").content.decode()
    section = second[second.index('id="at-risk"') :]
    assert "Bo Baker" in section and "Cy Cooper</a>" not in section
    assert client.get(reverse("retention") + "?risk_page=banana").status_code == 200
    beyond = client.get(reverse("retention") + "?risk_page=9").content.decode()
    assert "No more people" in beyond


def test_the_scored_page_costs_a_fixed_number_of_queries(
    hand_scored, login, agent, django_assert_max_num_queries
):
    client = login(agent)
    with django_assert_max_num_queries(18):
        assert client.get(reverse("retention")).status_code == 200
    for n in range(30):
        _person(f"Extra Person {n}", 0.7, f"{100 + n}.00")
    with django_assert_max_num_queries(18):
        assert client.get(reverse("retention")).status_code == 200


def test_the_calibration_chart_draws_one_dot_per_band_and_the_diagonal():
    svg = calibration_chart("Calibration", [(0.05, 0.02, 100), (0.5, 0.6, 30), (0.9, 0.8, 5)])
    assert svg.count("<circle") == 3 and 'stroke-dasharray="4 3"' in svg
    assert "predicted 50%, observed 60%, 30 people" in svg


# ------------------------------------------------------------------------------ recompute


def test_the_page_recompute_queues_scoring_then_the_analysis(login, manager, settings, tmp_path):
    settings.HOME = tmp_path
    store_business(60)
    response = login(manager).post(reverse("retention-recompute"))
    assert response.status_code == 302 and response["Location"] == reverse("retention")
    scoring = Job.objects.get(kind="score")
    then = Job.objects.get(kind=analysis.KIND)
    assert scoring.status == then.status == Job.Status.QUEUED and then.started_by == manager
    assert not DBTaskResult.objects.filter(task_path=ANALYSIS_TASK).exists()  # not before scoring
    task = DBTaskResult.objects.get(task_path__endswith="score_everyone")
    score_everyone.call(*task.args_kwargs["args"])
    scoring.refresh_from_db()
    assert scoring.status == Job.Status.DONE and ScoringRun.objects.exists()
    queued = DBTaskResult.objects.get(task_path=ANALYSIS_TASK)
    assert queued.args_kwargs["args"] == [then.pk]
    analysis.analyse_retention.call(then.pk)
    then.refresh_from_db()
    assert then.status == Job.Status.DONE


def test_the_analysis_runs_even_when_scoring_failed(login, manager, monkeypatch):
    from devotion.retention import tasks

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "run_scoring", broken)
    login(manager).post(reverse("retention-recompute"))
    task = DBTaskResult.objects.get(task_path__endswith="score_everyone")
    with pytest.raises(RuntimeError):
        score_everyone.call(*task.args_kwargs["args"])
    assert Job.objects.get(kind="score").status == Job.Status.FAILED
    assert DBTaskResult.objects.filter(task_path=ANALYSIS_TASK).count() == 1


def test_the_settings_recompute_also_queues_the_analysis_after(login, manager):
    login(manager).post(reverse("scores-recompute"))
    assert Job.objects.filter(kind="score").count() == 1
    assert Job.objects.filter(kind=analysis.KIND, status=Job.Status.QUEUED).count() == 1


def test_the_nightly_run_queues_the_analysis_after_scoring(settings, tmp_path):
    settings.HOME = tmp_path
    store_business(40)
    nightly_scoring.call()
    assert Job.objects.get(kind="score").status == Job.Status.DONE
    then = Job.objects.get(kind=analysis.KIND)
    assert then.status == Job.Status.QUEUED
    assert DBTaskResult.objects.get(task_path=ANALYSIS_TASK).args_kwargs["args"] == [then.pk]


def test_only_managers_recompute_and_outsiders_see_nothing(login, agent, outsider, client):
    assert login(agent).post(reverse("retention-recompute")).status_code == 403
    assert login(outsider).get(reverse("retention")).status_code == 403
    assert not Job.objects.exists()
    client.logout()
    assert client.get(reverse("retention")).status_code == 302


def test_a_bar_chart_axis_reads_in_round_numbers():
    """703 customers in the tallest band gave an axis of 0, 202, 404, 606, 808."""
    from devotion.retention.charts import bar_chart

    svg = str(bar_chart("Churn risk", [("0", 493, "493"), ("90", 703, "703")]))
    labels = re.findall(r'text-anchor="end">([\d,]+)</text>', svg)
    assert labels == ["0", "200", "400", "600", "800"]


def test_a_line_chart_keeps_its_last_label_inside():
    from devotion.retention.charts import Series, line_chart

    labels = [f"M{n}" for n in range(1, 18)]
    svg = str(line_chart("Cohorts", labels, [Series("all", [0.3] * 17, True)]))
    last = re.search(r'<text x="([\d.]+)"[^>]*text-anchor="(\w+)">M17</text>', svg)
    assert last and last.group(2) == "end" and float(last.group(1)) <= 360


def test_the_nightly_run_thins_old_snapshots(settings, tmp_path):
    """Daily snapshots for 35 days, then one a week: of two runs in one week two months ago,
    the earlier loses its snapshots; the runs themselves (segment sizes) stay."""
    settings.HOME = tmp_path
    store_business(40)
    nightly_scoring.call()
    today = ScoringRun.objects.get()
    back = today.as_of - timedelta(days=60)
    monday = back - timedelta(days=back.weekday())
    now = timezone.now()
    older = []
    for as_of in (monday, monday + timedelta(days=1), today.as_of - timedelta(days=10)):
        run = ScoringRun.objects.create(as_of=as_of, started_at=now)
        ScoreSnapshot.objects.bulk_create(
            [
                ScoreSnapshot(person=s.person, run=run, computed_at=now, health_score=50)
                for s in ScoreSnapshot.objects.filter(run=today)[:5]
            ]
        )
        older.append(run)
    nightly_scoring.call()
    left = {run.pk for run in older if ScoreSnapshot.objects.filter(run=run).exists()}
    assert left == {older[1].pk, older[2].pk}
    assert ScoringRun.objects.count() == 5 and ScoreSnapshot.objects.filter(run=today).exists()
    assert (
        "Removed 5 old score snapshots"
        in Job.objects.filter(kind="score").order_by("pk").last().log
    )
