"""The Voice page: topics, emerging problems, feeling per week; the messages behind a number;
staff corrections on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from devotion.ingest.store import ingest
from devotion.trust.models import AuditEvent
from devotion.voice.models import LabelledText, TextAnalysis

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)


def _msg(make_event, text, days_ago, who, **extra):
    return make_event(
        kind="message",
        text=text,
        amount=None,
        currency=None,
        direction="in",
        occurred_at=(NOW - timedelta(days=days_ago)).isoformat(),
        person={"email": f"{who}@example.com", "name": who.title()},
        **extra,
    )


@pytest.fixture
def spike(make_event):
    """Steady refund questions for 12 weeks; billing errors spike in the last week."""
    events = []
    for week in range(12):
        for i in range(3):
            events.append(_msg(make_event, "Where is my refund?", week * 7 + 1 + i, f"r{week}{i}"))
        events.append(_msg(make_event, "I was charged twice", week * 7 + 3, f"b{week}"))
    for i in range(14):
        events.append(_msg(make_event, "You charged me twice, I am furious", 1 + (i % 3), f"s{i}"))
    events.append(_msg(make_event, "I want to speak to a manager now", 2, "angry"))
    events.append(
        make_event(
            kind="message",
            text="Calm down, it's not our problem.",
            direction="out",
            amount=None,
            currency=None,
            occurred_at=(NOW - timedelta(days=2)).isoformat(),
            person={"email": "angry@example.com"},
        )
    )
    ingest(events)
    call_command("analyze", quiet=True)


def test_the_voice_page_shows_topics_and_the_emerging_problem(login, agent, spike):
    page = login(agent).get("/voice/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Emerging problems" in html
    emerging = page.context["emerging"]
    assert [t.label for t in emerging] == ["billing error"]
    assert emerging[0].trend.observed >= 14 and emerging[0].people >= 14
    refund = next(t for t in page.context["topics"] if t.label == "refund")
    assert not refund.trend.flagged and refund.volume == 36
    assert "Our replies read as rude" in html and "not our problem" in html
    assert "Asking for a manager" in html and "Angry" in html


def test_the_messages_behind_a_topic_and_its_people(login, agent, spike):
    page = login(agent).get("/voice/messages/", {"topic": "billing error"})
    assert page.status_code == 200
    assert len(page.context["rows"]) >= 20
    assert {p.primary_email for p in page.context["people"]} >= {"s1@example.com"}


def test_the_voice_page_has_an_empty_state(login, agent):
    page = login(agent).get("/voice/")
    assert "Nothing analysed yet" in page.content.decode()


@pytest.mark.parametrize("path", ["/voice/", "/voice/messages/"])
def test_people_without_a_role_cannot_see_it(client, outsider, path):
    client.force_login(outsider)
    assert client.get(path).status_code == 403


def test_the_voice_page_queries_do_not_grow_with_topics(
    login, agent, spike, django_assert_max_num_queries
):
    client = login(agent)
    with django_assert_max_num_queries(30):
        client.get("/voice/")


def test_staff_correct_a_message_on_the_timeline(login, agent, make_event):
    ingest([_msg(make_event, "The box was a bit squashed but fine", 1, "ada")])
    call_command("analyze", quiet=True)
    analysis = TextAnalysis.objects.get()
    client = login(agent)
    page = client.get(f"/customers/{analysis.touchpoint.person_id}/")
    assert 'class="feel"' in page.content.decode()
    response = client.post(
        f"/voice/text/{analysis.pk}/correct/", {"sentiment": "positive", "topic": "packaging"}
    )
    assert response.status_code == 302
    analysis.refresh_from_db()
    assert analysis.feeling == "positive" and analysis.shown_topic == "packaging"
    labels = dict(LabelledText.objects.values_list("kind", "label"))
    assert labels == {"sentiment": "positive", "topic": "packaging"}
    assert AuditEvent.objects.filter(action="text.correct").exists()
    # A re-analysis keeps the correction.
    call_command("analyze", "--all", quiet=True)
    analysis.refresh_from_db()
    assert analysis.feeling == "positive"


def test_a_bad_correction_is_refused_with_a_message(login, agent, make_event):
    ingest([_msg(make_event, "Where is my parcel?", 1, "ada")])
    call_command("analyze", quiet=True)
    analysis = TextAnalysis.objects.get()
    response = login(agent).post(f"/voice/text/{analysis.pk}/correct/", {"sentiment": "meh"})
    assert response.status_code == 302
    analysis.refresh_from_db()
    assert analysis.corrected_sentiment == ""
    assert not LabelledText.objects.exists()


def test_rising_praise_is_not_an_emerging_problem(login, agent, make_event):
    events = [
        _msg(make_event, "Thank you so much, lovely service", w * 7 + 2, f"p{w}") for w in range(10)
    ]
    events += [_msg(make_event, "Thanks so much, amazing!", 1 + i % 3, f"n{i}") for i in range(15)]
    ingest(events)
    call_command("analyze", quiet=True)
    page = login(agent).get("/voice/")
    praise = next(t for t in page.context["topics"] if t.label == "praise")
    assert praise.trend.flagged
    assert page.context["emerging"] == []


def test_the_customer_page_shows_the_persons_feeling_trend(login, agent, make_event):
    ingest(
        [
            _msg(make_event, "Lovely, thank you so much!", 20, "ada"),
            _msg(make_event, "Great service again", 15, "ada"),
            _msg(make_event, "My order never arrived, this is terrible", 3, "ada"),
            _msg(make_event, "Still nothing. Awful, I want a refund", 1, "ada"),
        ]
    )
    call_command("analyze", quiet=True)
    person_id = TextAnalysis.objects.values_list("touchpoint__person_id", flat=True).first()
    html = login(agent).get(f"/customers/{person_id}/").content.decode()
    assert "Feeling lately" in html and "getting worse" in html


def test_the_voice_page_shows_emotions_and_a_week_opens_its_messages(login, agent, spike):
    client = login(agent)
    page = client.get("/voice/")
    names = [e["name"] for e in page.context["feelings"]]
    assert names and all(len(e["weekly"]) == 12 for e in page.context["feelings"])
    last_week = page.context["weeks"][-1]["week"].date().isoformat()
    found = client.get("/voice/messages/", {"week": last_week, "feeling": "negative"})
    rows = found.context["rows"]
    assert rows and all(r.feeling == "negative" for r in rows)
    assert all(r.occurred_at.date().isoformat() >= last_week for r in rows)


def test_a_problem_topics_examples_say_the_problem_each_once(login, agent, make_event):
    """A refund thread ends with "Thank you so much!", filed under the refund topic by its
    subject: the examples show the complaints first, and a text repeated by many only once."""
    events = [
        _msg(make_event, "My refund never came. I am really annoyed.", 3 + i, f"a{i}")
        for i in range(6)
    ]
    events += [_msg(make_event, "Still no refund after three weeks, this is terrible.", 4, "late")]
    events += [
        _msg(make_event, "Thank you so much! Dana fixed it.", 1, f"t{i}", subject="Refund #12")
        for i in range(3)
    ]
    ingest(events)
    call_command("analyze", quiet=True)
    refund = next(t for t in login(agent).get("/voice/").context["topics"] if t.label == "refund")
    texts = [e["touchpoint__text"] for e in refund.examples]
    assert len(texts) == len(set(texts)) == 3  # six copies of one complaint shown once
    assert texts[-1].startswith("Thank you")  # after the messages that say the problem
