"""The customer page leads with the person's story; Settings > Scoring (/retention/health/)
lets managers edit the health weights and recompute; nobody else may."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from devotion.core.models import Job
from devotion.people.models import Person
from devotion.retention.models import HealthWeights
from devotion.retention.tasks import next_nightly, schedule_nightly
from tests.scoring_helpers import as_of_day, store_business

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(settings, tmp_path):
    settings.HOME = tmp_path
    store_business(80)
    call_command(
        "score", "--as-of", as_of_day(800).isoformat(), stdout=StringIO(), stderr=StringIO()
    )


def test_the_customer_page_tells_the_story_in_words(scored, login, agent):
    person = (
        Person.objects.filter(churn_probability__isnull=False)
        .order_by("-churn_probability")
        .first()
    )
    html = login(agent).get(f"/customers/{person.pk}/").content.decode()
    assert "Their story" in html and f"{person.health_score:.0f}" in html
    assert "Buying on their usual rhythm" in html  # a health factor, with its points
    assert "Mostly because:" in html  # churn reasons in words
    assert person.rfm_segment in html and "Expected value, next 3 years" in html
    assert f"${person.lifetime_value:,.2f}" in html  # an amount in its currency, not a bare number
    assert "How often" in html
    # The behaviour cluster's average order is money in the business's currency too.
    description = person.score_snapshots.latest("computed_at").cluster_description
    assert " an order ($" in description and description in html.replace("&#x27;", "'")
    # Which data the scores saw: events before the run's day (today's count from the next run).
    last_day = as_of_day(800) - timedelta(days=1)
    assert f"from everything up to {last_day.day} {last_day:%b %Y}" in html


def test_an_unscored_customer_page_says_why(login, agent, make_event):
    from devotion.ingest.store import ingest

    ingest([make_event()])
    person = Person.objects.get()
    html = login(agent).get(f"/customers/{person.pk}/").content.decode()
    assert "Not scored yet" in html


def test_only_managers_see_the_scoring_settings(login, agent, outsider, manager):
    assert login(agent).get("/retention/health/").status_code == 403
    assert login(outsider).get("/retention/health/").status_code == 403
    assert login(manager).get("/retention/health/").status_code == 200


def test_a_manager_edits_the_weights(login, manager):
    client = login(manager)
    data = {
        "recency": "50",
        "frequency": "10",
        "spend_trend": "10",
        "open_problems": "10",
        "unanswered": "10",
        "survey": "0",
        "feeling": "10",
    }
    assert client.post("/retention/health/", data).status_code == 302
    assert HealthWeights.current()["recency"] == 50 and HealthWeights.current()["survey"] == 0
    from devotion.trust.models import AuditEvent

    assert AuditEvent.objects.filter(action="scoring.weights_changed").exists()
    bad = client.post("/retention/health/", {**data, "recency": "-5"})
    assert bad.status_code == 200 and HealthWeights.current()["recency"] == 50


def test_all_weights_at_zero_is_refused(login, manager):
    zeros = dict.fromkeys(
        ("recency", "frequency", "spend_trend", "open_problems", "unanswered", "survey", "feeling"),
        "0",
    )
    response = login(manager).post("/retention/health/", zeros)
    assert "needs a weight above 0" in response.content.decode()


def test_recompute_queues_a_scoring_job_and_the_nightly_run(login, manager, agent):
    assert login(agent).post("/retention/health/recompute/").status_code == 403
    response = login(manager).post("/retention/health/recompute/", {"retrain": "1"})
    job = Job.objects.get(kind="score")
    assert response.status_code == 302 and response["Location"] == f"/settings/jobs/{job.pk}/"
    assert job.queue == "scoring" and job.status == Job.Status.QUEUED
    assert schedule_nightly() is False  # already waiting


def test_the_scoring_worker_runs_a_queued_recompute(scored, login, manager):
    from devotion.retention.tasks import score_everyone

    login(manager).post("/retention/health/recompute/")
    job = Job.objects.filter(kind="score", status=Job.Status.QUEUED).get()
    score_everyone.call(job.pk, None, False)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and "Scored" in job.log


def test_the_nightly_run_is_at_two_in_the_morning():
    when = next_nightly()
    assert when.hour == 2 and when.minute == 0


def test_the_customers_list_shows_and_sorts_by_health_risk_and_value(
    scored, login, agent, django_assert_max_num_queries
):
    client = login(agent)
    client.get("/customers/")  # warm the session and the facet counts
    with django_assert_max_num_queries(12):
        response = client.get("/customers/", {"sort": "-risk"})
    people = response.context["people"]
    risks = [p.churn_probability for p in people]
    assert risks == sorted(risks, reverse=True) and risks[0] is not None
    html = response.content.decode()
    assert ">Health</a>" in html and ">Risk</a>" in html and ">Value</a>" in html
    valued = next(p for p in people if p.lifetime_value is not None)
    assert f"${valued.lifetime_value:,.0f}" in html  # an estimate, in whole dollars
    healthiest = client.get("/customers/", {"sort": "-health"}).context["people"][0]
    assert healthiest.health_score == max(
        Person.objects.exclude(health_score=None).values_list("health_score", flat=True)
    )


def test_segment_movement_compares_with_the_last_run_of_an_earlier_day(scored):
    """A second Recompute the same day would otherwise show no movement at all."""
    from devotion.retention.models import ScoringRun
    from devotion.retention.views_scores import latest_runs

    call_command(
        "score", "--as-of", as_of_day(830).isoformat(), stdout=StringIO(), stderr=StringIO()
    )
    earlier, today = ScoringRun.objects.order_by("id")
    call_command(
        "score", "--as-of", as_of_day(830).isoformat(), stdout=StringIO(), stderr=StringIO()
    )
    last, previous = latest_runs()
    assert last.as_of == today.as_of and last.pk != today.pk
    assert previous == earlier


def _snapshot(gaps):
    from types import SimpleNamespace

    return SimpleNamespace(health_factors=[{"key": "recency", "value": gaps}])


def test_an_overdue_customer_with_a_low_risk_is_told_why_both_hold():
    from devotion.retention.story import stage_in_words

    person = Person(stage="at_risk", churn_probability=0.12)
    story = stage_in_words(person, _snapshot(1.9), "low", 76)
    assert story["label"] == "At risk"
    assert (
        story["why"]
        == "No order for 76 days, 1.9 of their usual gaps (more than 1.5 gaps counts as at risk)."
    )
    assert story["note"].startswith("Yet their risk of leaving is low")


def test_a_customer_at_risk_by_the_model_alone_is_told_so():
    from devotion.retention.story import stage_in_words

    person = Person(stage="at_risk", churn_probability=0.81)
    story = stage_in_words(person, _snapshot(0.8), "high", 20)
    assert story["why"] == "Their risk of leaving is 81%: 70% or more counts as at risk."
    assert story["note"] == ""


def test_a_regular_with_a_high_risk_is_told_the_model_sees_more_than_rhythm():
    from devotion.retention.story import stage_in_words

    story = stage_in_words(Person(stage="active", churn_probability=0.7), _snapshot(0.5), "high", 9)
    assert story["why"] == "More than one order, buying on rhythm."
    assert "the model sees what went before other customers left" in story["note"]
    late = stage_in_words(Person(stage="active", churn_probability=0.7), _snapshot(1.4), "high", 50)
    assert late["why"] == (
        "No order for 50 days, 1.4 of their usual gaps: not overdue yet (at risk from 1.5 gaps)."
    )


def test_the_customer_page_says_why_they_are_at_their_stage(scored, login, agent):
    person = (
        Person.objects.filter(stage="at_risk").first()
        or Person.objects.filter(stage="lapsed").first()
    )
    assert person is not None
    html = login(agent).get(f"/customers/{person.pk}/").content.decode()
    assert "<dt>Stage</dt>" in html
    assert "No order for " in html or "counts as at risk" in html


def test_a_second_run_leaves_steady_labels_and_sets_changed_ones(scored, settings):
    """People whose stage, segment and cluster stay get only their scores rewritten (the
    label columns' indexes are left alone); anyone whose labels differ gets them set."""
    from devotion.retention.models import ScoringRun

    steady = Person.objects.filter(scored_at__isnull=False).order_by("pk")[0]
    changed = Person.objects.filter(scored_at__isnull=False).order_by("pk")[1]
    labels = (changed.rfm_segment, changed.cluster, changed.stage)
    Person.objects.filter(pk=changed.pk).update(rfm_segment="Bogus", cluster="Bogus")
    Person.objects.filter(pk=steady.pk).update(health_score=-1)
    call_command(
        "score", "--as-of", as_of_day(800).isoformat(), stdout=StringIO(), stderr=StringIO()
    )
    run = ScoringRun.objects.latest("started_at")
    steady.refresh_from_db()
    changed.refresh_from_db()
    assert steady.scored_at == changed.scored_at == run.started_at
    assert steady.health_score is not None and steady.health_score >= 0
    assert (changed.rfm_segment, changed.cluster, changed.stage) == labels
