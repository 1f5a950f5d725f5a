"""The health score's feeling factor: the sentiment of a person's own messages of the last 90
days, in play only for people with analysed messages (the other weights renormalise without
it)."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from devotion.analytics import health
from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.retention.models import ScoreSnapshot
from devotion.voice.models import TextAnalysis
from tests.scoring_helpers import as_of_day, store_business, when

pytestmark = pytest.mark.django_db

ANGRY = "This is the worst service ever, I am furious and disgusted. Terrible, awful shop."


def _twin(name: str, text: str) -> list[dict]:
    """Three orders and one message answered by us, the same for every twin but the text."""
    person = {"email": f"{name}@twins.example", "name": name.title()}
    events: list[dict] = [
        {
            "kind": "order",
            "source": "shop",
            "external_id": f"{name}-o{day}",
            "occurred_at": when(day).isoformat(),
            "amount": "50.00",
            "currency": "USD",
            "person": person,
        }
        for day in (600, 700, 780)
    ]
    for day, direction, words in ((785, "in", text), (786, "out", "We are on it.")):
        events.append(
            {
                "kind": "message",
                "source": "shop",
                "external_id": f"{name}-m{day}",
                "occurred_at": when(day).isoformat(),
                "channel": "email",
                "direction": direction,
                "text": words,
                "person": person,
            }
        )
    return events


@pytest.fixture
def twins(settings, tmp_path):
    """A business of 80 customers and two identical twins: "calm" has no analysed message
    (their analysis is removed), "cross" wrote an angry one."""
    settings.HOME = tmp_path
    store_business(80)
    ingest(_twin("calm", ANGRY) + _twin("cross", ANGRY))
    call_command("analyze", quiet=True, stdout=StringIO())
    TextAnalysis.objects.filter(touchpoint__person__primary_email="calm@twins.example").delete()
    call_command(
        "score", "--as-of", as_of_day(800).isoformat(), stdout=StringIO(), stderr=StringIO()
    )
    return (
        Person.objects.get(primary_email="calm@twins.example"),
        Person.objects.get(primary_email="cross@twins.example"),
    )


def _factors(person: Person) -> dict[str, dict]:
    snapshot = ScoreSnapshot.objects.filter(person=person).latest("computed_at")
    return {f["key"]: f for f in snapshot.health_factors}


def test_negative_messages_lower_the_health_score_with_the_reason(twins, login, agent):
    calm, cross = twins
    assert cross.health_score < calm.health_score
    feeling = _factors(cross)["feeling"]
    assert feeling["max"] == 10 and feeling["value"] < -0.25 and feeling["points"] < 5
    html = login(agent).get(f"/customers/{cross.pk}/").content.decode()
    assert "How they feel in their messages" in html
    assert "Their messages of the last 90 days read negative" in html


def test_without_analysed_messages_the_score_is_what_it_was_before(twins, login, agent):
    calm, cross = twins
    factors = _factors(calm)
    assert factors["feeling"]["max"] == 0  # out of play: not shown, not counted
    others = [f for key, f in factors.items() if key != "feeling"]
    assert sum(f["max"] for f in others) == 100  # the six factors' weights, as before
    assert calm.health_score == pytest.approx(sum(f["points"] for f in others), abs=0.15)
    # The twin's other factors earned the same points: only the feeling differs.
    assert {k: f["points"] for k, f in _factors(cross).items() if k != "feeling"} == {
        k: f["points"] for k, f in factors.items() if k != "feeling"
    }
    html = login(agent).get(f"/customers/{calm.pk}/").content.decode()
    assert "How they feel in their messages" not in html


def test_the_scorecard_without_feeling_matches_the_six_factor_card():
    features = {
        "recency_days": [10.0, 80.0],
        "mean_gap_days": [20.0, np.nan],
        "orders_365": [4.0, 1.0],
        "spend_recent": [100.0, 0.0],
        "spend_prior": [100.0, 50.0],
        "complaints_90": [0.0, 1.0],
        "unanswered": [1.0, 0.0],
        "last_nps": [np.nan, 3.0],
        "last_csat": [5.0, np.nan],
    }
    without = health.scorecard(features, typical_gap=30.0, typical_orders=2.0)
    nan = health.scorecard(
        {**features, "feeling": [np.nan, np.nan]}, typical_gap=30.0, typical_orders=2.0
    )
    six = sum(f.points for f in without.factors if f.key != "feeling")
    assert without.score.tolist() == nan.score.tolist() == np.round(six, 1).tolist()
    happy = health.scorecard(
        {**features, "feeling": [1.0, 1.0]}, typical_gap=30.0, typical_orders=2.0
    )
    angry = health.scorecard(
        {**features, "feeling": [-1.0, -1.0]}, typical_gap=30.0, typical_orders=2.0
    )
    assert (angry.score < without.score).all() and (happy.score > without.score).all()


def test_only_feeling_weighted_and_no_messages_scores_nothing():
    weights = dict.fromkeys(health.DEFAULT_WEIGHTS, 0.0) | {"feeling": 10.0}
    card = health.scorecard(
        {
            "recency_days": [1.0],
            "mean_gap_days": [1.0],
            "orders_365": [1.0],
            "spend_recent": [1.0],
            "spend_prior": [1.0],
            "complaints_90": [0.0],
            "unanswered": [0.0],
            "last_nps": [np.nan],
            "last_csat": [np.nan],
        },
        typical_gap=30.0,
        typical_orders=2.0,
        weights=weights,
    )
    assert np.isnan(card.score[0])


def test_recent_and_negative_messages_weigh_more_and_old_ones_not_at_all():
    ids, feeling = health.feeling_by_person(
        [1, 1, 2, 2, 3], [1.0, 60.0, 1.0, 1.0, 120.0], [-0.8, 0.9, -0.5, 0.5, -1.0]
    )
    assert ids.tolist() == [1, 2]  # person 3's only message is older than 90 days
    assert feeling[0] < -0.5  # a fresh complaint outweighs older praise
    assert feeling[1] < 0  # as negative as positive: the negative one counts twice


def test_a_staff_correction_sets_the_feeling(twins):
    from devotion.retention.scoring import cutoff_of, read_feelings

    _, cross = twins
    TextAnalysis.objects.filter(touchpoint__person=cross).update(corrected_sentiment="positive")
    ids, feeling = read_feelings(cutoff_of(as_of_day(800)))
    assert feeling[ids.tolist().index(cross.pk)] == 1.0


def test_the_weights_screen_shows_the_feeling_factor(login, manager):
    html = login(manager).get("/retention/health/").content.decode()
    assert "How they feel in their messages" in html and 'name="feeling"' in html
