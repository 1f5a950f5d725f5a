"""An emerging problem on the Voice page saved as a live segment ("Save as segment"), and the
segment field behind it (``wrote_about``: a message on a topic in the last N days) wherever
segments are used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from devotion.api.models import ApiKey
from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.retention.forms import SegmentForm
from devotion.retention.models import Segment
from devotion.retention.segments import (
    DefinitionError,
    live_counts,
    parse_definition,
    segment_people,
)
from devotion.trust.models import AuditEvent
from devotion.voice import topics
from devotion.voice.models import TextAnalysis
from devotion.voice.surveys.models import Survey
from devotion.voice.surveys.targeting import target_people
from devotion.voice.views_text import problem_window_days

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)


def _msg(make_event, text, days_ago, who, direction="in"):
    return make_event(
        kind="message",
        text=text,
        amount=None,
        currency=None,
        direction=direction,
        occurred_at=(NOW - timedelta(days=days_ago)).isoformat(),
        person={"email": f"{who}@example.com", "name": who.title()},
    )


@pytest.fixture
def spike(make_event):
    """Steady refund questions and a few billing errors for 12 weeks; billing errors spike in
    the last week. One person wrote about billing only before the window (100 days ago), and
    one only got a reply of ours on it."""
    events = []
    for week in range(12):
        for i in range(3):
            events.append(_msg(make_event, "Where is my refund?", week * 7 + 1 + i, f"r{week}{i}"))
        events.append(_msg(make_event, "I was charged twice", week * 7 + 3, f"b{week}"))
    for i in range(14):
        events.append(_msg(make_event, "You charged me twice, I am furious", 1 + (i % 3), f"s{i}"))
    events.append(_msg(make_event, "I was charged twice again", 100, "old"))
    events.append(_msg(make_event, "Sorry we charged you twice", 2, "told", direction="out"))
    ingest(events)
    call_command("analyze", quiet=True)


def _days() -> int:
    """The window's length in days as of today (its latest message was yesterday: 85)."""
    return problem_window_days(topics.window()[0])


def _saved() -> Segment:
    return Segment.objects.get(builtin="")


def _problem(client) -> topics.TopicSummary:
    emerging = client.get("/voice/").context["emerging"]
    assert [t.label for t in emerging] == ["billing error"]
    return emerging[0]


def _problem_people() -> set[str]:
    start, _ = topics.window()
    return set(
        topics.people_touched("billing error", since=start).values_list("primary_email", flat=True)
    )


def test_a_manager_saves_an_emerging_problem_as_a_segment_of_its_people(login, manager, spike):
    client = login(manager)
    problem = _problem(client)
    assert 'action="/voice/segments/"' in client.get("/voice/").content.decode()

    response = client.post("/voice/segments/", {"topic": "billing error"})

    segment = _saved()
    assert response.status_code == 302 and response.url == f"/retention/segments/{segment.pk}/"
    members = set(segment_people(segment).values_list("primary_email", flat=True))
    assert members == _problem_people()
    assert len(members) == problem.people == 26  # 12 steady + 14 in the spike
    assert "old@example.com" not in members and "told@example.com" not in members
    assert segment.conditions == [
        {
            "field": "wrote_about",
            "op": "within",
            "value": {"topic": "billing error", "days": _days()},
        }
    ]
    assert _days() == 85
    assert segment.created_by == manager
    event = AuditEvent.objects.get(action="segment.created")
    assert event.object_id == str(segment.pk)
    assert event.detail == {"fields": ["wrote_about"], "source": "voice"}


def test_the_segment_stays_live_a_later_message_on_the_topic_adds_its_writer(
    login, manager, make_event, spike
):
    login(manager).post("/voice/segments/", {"topic": "billing error"})
    segment = _saved()

    ingest([_msg(make_event, "You billed me twice this month!", 0, "newcomer")])
    call_command("analyze", quiet=True)

    assert segment_people(segment).filter(primary_email="newcomer@example.com").exists()
    assert live_counts([segment])[segment.pk] == 27


def test_a_staff_correction_moves_a_person_in_as_the_voice_page_shows_it(login, manager, spike):
    login(manager).post("/voice/segments/", {"topic": "billing error"})
    segment = _saved()
    refund = TextAnalysis.objects.filter(touchpoint__person__primary_email="r00@example.com")
    refund.update(corrected_topic="billing error")
    assert segment_people(segment).filter(primary_email="r00@example.com").exists()


def test_saving_the_same_problem_twice_shows_the_segment_saved_before(login, manager, spike):
    client = login(manager)
    first = client.post("/voice/segments/", {"topic": "billing error"})
    again = client.post("/voice/segments/", {"topic": "billing error"})
    assert Segment.objects.filter(builtin="").count() == 1 and again.url == first.url


def test_a_taken_name_gets_a_number(login, manager, spike):
    Segment.objects.create(
        name=f"Wrote about billing error, last {_days()} days",
        definition={"conditions": [{"field": "order_count", "op": "gte", "value": 1}]},
    )
    login(manager).post("/voice/segments/", {"topic": "billing error"})
    assert Segment.objects.filter(
        name=f"Wrote about billing error, last {_days()} days (2)"
    ).exists()


def test_agents_cannot_save_and_see_no_button(login, agent, spike):
    client = login(agent)
    assert "Save as segment" not in client.get("/voice/").content.decode()
    assert client.post("/voice/segments/", {"topic": "billing error"}).status_code == 403
    assert not Segment.objects.filter(builtin="").exists()


@pytest.mark.parametrize("topic", ["", "a topic nobody wrote about", "x" * 101])
def test_a_topic_without_messages_is_refused_with_a_reason(login, manager, spike, topic):
    response = login(manager).post("/voice/segments/", {"topic": topic}, follow=True)
    assert not Segment.objects.filter(builtin="").exists()
    assert "no message on that topic" in response.content.decode()


def test_the_segment_works_in_the_api_and_as_a_survey_target(login, manager, client, spike):
    login(manager).post("/voice/segments/", {"topic": "billing error"})
    segment = _saved()
    _, raw = ApiKey.create("reader", ["people:read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    body = client.get(f"/api/v1/segments/{segment.pk}", **auth).json()
    assert body["count"] == 26
    assert body["conditions"][0]["value"] == {"topic": "billing error", "days": _days()}
    members = client.get(f"/api/v1/segments/{segment.pk}/members", {"limit": 200}, **auth)
    assert {m["primary_email"] for m in members.json()["items"]} == _problem_people()
    survey = Survey(name="Billing", kind="csat", target_segment_id=segment.pk)
    assert set(target_people(survey).values_list("primary_email", flat=True)) == (_problem_people())


def test_the_segment_form_edits_a_topic_filter(login, manager, spike):
    form = SegmentForm(
        {
            "name": "Billing, last week",
            "f_wrote_about_topic": "billing error",
            "f_wrote_about_days": "7",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["definition"]["conditions"] == [
        {"field": "wrote_about", "op": "within", "value": {"topic": "billing error", "days": 7}}
    ]
    segment = Segment.objects.create(
        name="Billing, last week", definition=form.cleaned_data["definition"]
    )
    page = login(manager).get(f"/retention/segments/{segment.pk}/edit/")
    assert page.context["form"].initial["f_wrote_about_topic"] == "billing error"
    detail = login(manager).get(f"/retention/segments/{segment.pk}/").content.decode()
    assert "Wrote about &quot;billing error&quot; in the last 7 days" in detail
    assert set(segment_people(segment).values_list("primary_email", flat=True)) == (
        {f"s{i}@example.com" for i in range(14)} | {"b0@example.com"}
    )
    half = SegmentForm({"name": "Half", "f_wrote_about_topic": "billing error"})
    assert not half.is_valid() and "f_wrote_about_days" in half.errors


@pytest.mark.parametrize(
    "value, message",
    [
        ("billing error", '{"topic": "...", "days": N}'),
        ({"topic": "billing error"}, '{"topic": "...", "days": N}'),
        ({"topic": " ", "days": 7}, "name a topic"),
        ({"topic": "billing error", "days": 0}, "never below 1"),
        ({"topic": "billing error", "days": 2.5}, "whole number of days"),
    ],
)
def test_a_bad_topic_condition_says_what_to_fix(value, message):
    with pytest.raises(DefinitionError, match=message.replace("(", r"\(")):
        parse_definition({"conditions": [{"field": "wrote_about", "op": "within", "value": value}]})


def test_people_merged_away_are_not_members(login, manager, spike):
    login(manager).post("/voice/segments/", {"topic": "billing error"})
    segment = _saved()
    gone = Person.objects.get(primary_email="s0@example.com")
    gone.merged_into = Person.objects.get(primary_email="r00@example.com")
    gone.save(update_fields=["merged_into"])
    assert not segment_people(segment).filter(pk=gone.pk).exists()
