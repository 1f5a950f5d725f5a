"""Saved segments: definitions checked with clear errors, filters over person fields, score
fields that are not computed yet, live counts in one query, and segment_people()."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devotion.people.models import Person
from devotion.retention.models import RetentionReport, ScoreSnapshot, Segment
from devotion.retention.segments import (
    FIELDS,
    DefinitionError,
    NotScoredYet,
    live_counts,
    not_scored_fields,
    parse_definition,
    segment_people,
)
from tests.query_plans import sqlite_plan

pytestmark = pytest.mark.django_db


def _person(name: str, **fields) -> Person:
    person = Person(**fields)
    person.set_name(name)
    person.save()
    return person


@pytest.fixture
def crowd() -> dict[str, Person]:
    now = timezone.now()
    return {
        "ann": _person(
            "Ann",
            stage="active",
            country="GB",
            order_count=6,
            total_spent=Decimal("420"),
            consent_email=True,
            last_activity_at=now - timedelta(days=10),
        ),
        "bo": _person(
            "Bo",
            stage="new",
            country="US",
            order_count=1,
            total_spent=Decimal("35"),
            consent_email=False,
            last_activity_at=now - timedelta(days=200),
        ),
        "cy": _person(
            "Cy",
            stage="active",
            country="CA",
            order_count=3,
            total_spent=Decimal("310"),
            last_activity_at=None,
            is_advocate=True,
        ),
    }


def _segment(*conditions: dict, name: str = "S") -> Segment:
    return Segment.objects.create(name=name, definition={"conditions": list(conditions)})


def _names(segment: Segment) -> list[str]:
    return sorted(p.display_name for p in segment_people(segment))


def test_each_kind_of_filter_selects_the_right_people(crowd):
    assert _names(_segment({"field": "stage", "op": "in", "value": ["active"]})) == ["Ann", "Cy"]
    assert _names(_segment({"field": "country", "op": "in", "value": ["gb", "CA"]}, name="c")) == [
        "Ann",
        "Cy",
    ]
    assert _names(_segment({"field": "total_spent", "op": "gte", "value": 300}, name="s")) == [
        "Ann",
        "Cy",
    ]
    assert _names(_segment({"field": "order_count", "op": "lte", "value": 3}, name="o")) == [
        "Bo",
        "Cy",
    ]
    assert _names(
        _segment({"field": "consent_email", "op": "is", "value": "unknown"}, name="u")
    ) == ["Cy"]
    assert _names(_segment({"field": "is_advocate", "op": "is", "value": True}, name="a")) == ["Cy"]


def test_last_contact_within_and_over_n_days_counts_never_as_over(crowd):
    within = _segment({"field": "last_activity_at", "op": "within", "value": 30}, name="w")
    over = _segment({"field": "last_activity_at", "op": "over", "value": 90}, name="o")
    assert _names(within) == ["Ann"]
    assert _names(over) == ["Bo", "Cy"]


def test_every_condition_must_hold(crowd):
    segment = _segment(
        {"field": "stage", "op": "in", "value": ["active"]},
        {"field": "total_spent", "op": "gte", "value": 400},
    )
    assert _names(segment) == ["Ann"]


def test_merged_people_are_not_members(crowd):
    crowd["cy"].merged_into = crowd["ann"]
    crowd["cy"].save()
    assert _names(_segment({"field": "stage", "op": "in", "value": ["active"]})) == ["Ann"]


@pytest.mark.parametrize(
    ("condition", "says"),
    [
        ({"field": "shoe_size", "op": "gte", "value": 9}, "unknown field 'shoe_size'"),
        ({"field": "stage", "op": "gte", "value": 1}, "takes the operator in"),
        ({"field": "stage", "op": "in", "value": ["vip"]}, "cannot be 'vip'"),
        ({"field": "total_spent", "op": "gte", "value": "lots"}, "'lots' is not a number"),
        ({"field": "total_spent", "op": "gte", "value": "NaN"}, "not a number we can compare"),
        ({"field": "churn_probability", "op": "gte", "value": 2}, "never above 1"),
        ({"field": "last_activity_at", "op": "over", "value": 1.5}, "whole number of days"),
        ({"field": "consent_sms", "op": "is", "value": "maybe"}, "given, refused or unknown"),
        ({"field": "is_advocate", "op": "is", "value": "yes"}, "true or false"),
        ({"field": "country", "op": "in", "value": []}, "at least one value"),
        ("stage=new", "must be an object"),
    ],
)
def test_a_bad_condition_is_refused_with_a_reason(condition, says):
    with pytest.raises(DefinitionError, match=says):
        parse_definition({"conditions": [condition]})


def test_a_definition_must_be_an_object_with_a_list_of_conditions():
    with pytest.raises(DefinitionError, match="conditions"):
        parse_definition([])
    with pytest.raises(DefinitionError, match="at most 20"):
        parse_definition({"conditions": [{"field": "stage", "op": "in", "value": "new"}] * 21})


def _score_condition(name: str) -> dict:
    spec = FIELDS[name]
    value = {
        "number": 0,
        "days": 30,
        "choice": [spec.choices[0][0]] if spec.choices else ["x"],
        "text": ["x"],
    }[spec.kind]
    return {"field": name, "op": spec.ops[0], "value": value}


def test_every_score_field_is_accepted_by_name():
    for name in (
        "health_score",
        "churn_probability",
        "lifetime_value",
        "expected_purchases_90d",
        "expected_purchases_365d",
        "rfm_segment",
        "cluster",
        "scored_at",
    ):
        assert FIELDS[name].score
        parse_definition({"conditions": [_score_condition(name)]})


def test_score_fields_are_not_scored_yet_until_a_scoring_run_fills_them(crowd):
    segments = {
        name: _segment(_score_condition(name), name=name)
        for name, spec in FIELDS.items()
        if spec.score
    }
    # No scoring run yet: every score segment says so, with no count and no members.
    for name, segment in segments.items():
        with pytest.raises(NotScoredYet, match=name):
            segment_people(segment)
    assert set(live_counts(segments.values()).values()) == {None}
    # After a run, the fields this installation has work; the others still wait.
    ScoreSnapshot.objects.create(person=crowd["ann"], computed_at=timezone.now(), health_score=80)
    Person.objects.filter(pk=crowd["ann"].pk).update(health_score=80)
    counts = live_counts(segments.values())
    for name, segment in segments.items():
        if FIELDS[name].exists:
            assert counts[segment.pk] is not None
        else:
            assert counts[segment.pk] is None
            assert not_scored_fields(segment) == [name]
    assert _names(segments["health_score"]) == ["Ann"]


def test_live_counts_of_many_segments_take_one_query(crowd):
    segments = [
        _segment({"field": "order_count", "op": "gte", "value": n}, name=f"at least {n}")
        for n in range(6)
    ]
    with CaptureQueriesContext(connection) as captured:
        counts = live_counts(segments)
    assert len(captured.captured_queries) == 1
    assert [counts[s.pk] for s in segments] == [3, 3, 2, 2, 1, 1]


def test_a_builtin_segment_holds_the_latest_reports_members(crowd):
    segment = Segment.objects.get(builtin=Segment.Builtin.SATISFIED_DEFECTORS)
    assert list(segment_people(segment)) == []
    assert live_counts([segment]) == {segment.pk: 0}
    RetentionReport.objects.create(
        computed_at=timezone.now(),
        as_of=timezone.localdate(),
        data={"builtin_members": {"satisfied_defectors": [crowd["bo"].pk]}},
    )
    assert _names(segment) == ["Bo"]
    assert live_counts([segment]) == {segment.pk: 1}


def test_a_segment_on_rfm_segment_or_cluster_uses_their_partial_indexes(crowd):
    """SQLite uses a partial index only when the query states its condition (not empty):
    without it a segment of Champions read every person (1M in a big shop)."""
    from devotion.retention.segments import Condition, _condition_q

    Person.objects.filter(pk=crowd["ann"].pk).update(rfm_segment="Champions", cluster="Big")
    now = timezone.now()
    for field, value in (("rfm_segment", "Champions"), ("cluster", "Big")):
        people = Person.objects.filter(_condition_q(Condition(field, "in", [value]), now))
        assert [p.display_name for p in people] == ["Ann"]
        if connection.vendor != "sqlite":
            continue
        plan = sqlite_plan(people.values("pk"), analyze=True)
        assert f"person_{field}" in plan, plan
