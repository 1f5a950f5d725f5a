"""Messages of one thread become one conversation; what needs a reply opens promises, our
replies fulfil them, and Zendesk-style statuses are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devotion.followup.models import Conversation, PromiseState, ReplyPromise, SupportTeam
from devotion.ingest.store import ingest as store

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    """Store events and run what reacts to them after the commit (the ``stored`` signal)."""

    def _ingest(events):
        with django_capture_on_commit_callbacks(execute=True):
            return store(events)

    return _ingest


@pytest.fixture(autouse=True)
def _always_open():
    # Around the clock, so due times are plain wall-clock arithmetic in these tests.
    SupportTeam.objects.update(hours="daily 00:00-24:00", timezone="UTC")


def message(n, thread="T-1", direction="in", minutes_ago=30, **more):
    event = {
        "kind": "message",
        "source": "helpdesk",
        "external_id": f"m-{n}",
        "occurred_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        "person": {"email": "rosa@example.com", "name": "Rosa Diaz"},
        "channel": "email",
        "direction": direction,
        "thread": thread,
        "subject": "Gift note",
        "text": "Hi, can I add a gift note to my order 1042? When will it ship?",
    }
    event.update(more)
    return event


def test_messages_of_one_thread_make_one_conversation_awaiting_a_reply(ingest):
    ingest([message(1), message(2, minutes_ago=20, text="Any news on the gift note?")])
    conversation = Conversation.objects.get()
    assert conversation.key == "T-1"
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.awaiting_reply
    first = ReplyPromise.objects.get(target="first_reply")
    assert first.state == PromiseState.OPEN
    assert first.conversation == conversation
    # "Everything else": 480 minutes for the first reply, from the first message.
    assert first.due_at == NOW - timedelta(minutes=30) + timedelta(minutes=480)
    assert [e["event"] for e in first.log] == ["started"]


def test_our_reply_fulfils_the_promise_and_waits_on_the_customer(ingest):
    ingest([message(1)])
    ingest([message(2, direction="out", minutes_ago=5, text="It ships tomorrow.")])
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.first_reply_at == NOW - timedelta(minutes=5)
    assert conversation.first_reply_time == timedelta(minutes=25)
    first = ReplyPromise.objects.get(target="first_reply")
    assert first.state == PromiseState.KEPT
    resolution = ReplyPromise.objects.get(target="resolution")
    assert resolution.state == PromiseState.PAUSED
    assert [e["event"] for e in first.log] == ["started", "fulfilled"]


def test_the_customer_writing_back_resumes_the_clock_and_asks_for_a_next_reply(ingest):
    ingest([message(1, minutes_ago=60)])
    ingest([message(2, direction="out", minutes_ago=50)])
    ingest([message(3, minutes_ago=10, text="That did not help, the parcel is lost.")])
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.OPEN
    nxt = ReplyPromise.objects.get(target="next_reply")
    assert nxt.state == PromiseState.OPEN
    resolution = ReplyPromise.objects.get(target="resolution")
    assert resolution.state == PromiseState.OPEN
    assert [e["event"] for e in resolution.log] == ["started", "paused", "resumed"]
    # 10 minutes used before the pause; the rest counts from the customer's answer.
    assert resolution.due_at == NOW - timedelta(minutes=10) + timedelta(minutes=2400 - 10)


def test_a_thank_you_needs_no_reply(ingest):
    ingest([message(1, text="Thanks so much!", subject="")])
    conversation = Conversation.objects.get()
    assert not conversation.awaiting_reply
    assert not ReplyPromise.objects.exists()


def test_zendesk_status_is_kept(ingest):
    ingest([message(1, extra={"status": "solved", "priority": "urgent"})])
    ingest([message(2, thread="T-2", extra={"status": "pending"})])
    solved = Conversation.objects.get(key="T-1")
    assert solved.status == Conversation.Status.SOLVED
    assert solved.priority == "urgent"
    assert not solved.awaiting_reply
    assert Conversation.objects.get(key="T-2").status == Conversation.Status.WAITING
    assert not ReplyPromise.objects.filter(state=PromiseState.OPEN).exists()


def test_leads_and_complaints_get_a_first_reply_within_sixty_minutes(ingest):
    ingest(
        [
            {
                "kind": "lead",
                "source": "webform",
                "external_id": "lead-1",
                "occurred_at": NOW.isoformat(),
                "person": {"email": "new@example.com", "name": "Nia Long"},
                "channel": "web",
                "direction": "in",
                "text": "We'd like a quote for 40 office chairs.",
            },
            message(2, thread="T-9", text="The chair arrived broken. I want a refund."),
        ]
    )
    lead = ReplyPromise.objects.get(touchpoint__kind="lead")
    assert lead.due_at == NOW + timedelta(minutes=60)
    assert lead.policy.name == "New leads"
    complaint = ReplyPromise.objects.get(touchpoint__external_id="m-2", target="first_reply")
    assert complaint.policy.name == "Complaints"
    assert Conversation.objects.get(key="T-9").priority == "high"


def test_reviews_and_negative_surveys_need_replies_and_a_replied_review_does_not(ingest):
    base = {
        "source": "trustpilot",
        "occurred_at": NOW.isoformat(),
        "person": {"email": "rev@example.com"},
        "direction": "in",
        "channel": "review_site",
    }
    ingest(
        [
            {**base, "kind": "review", "external_id": "r1", "rating": 2, "text": "Slow."},
            {
                **base,
                "kind": "review",
                "external_id": "r2",
                "rating": 5,
                "text": "Lovely",
                "extra": {"reply": "Thank you!"},
            },
            {
                **base,
                "kind": "survey_answer",
                "source": "surveys",
                "channel": "email",
                "external_id": "s1",
                "rating": 3,
                "text": "Nobody called me back.",
                "extra": {"survey": "nps"},
            },
            {
                **base,
                "kind": "survey_answer",
                "source": "surveys",
                "channel": "email",
                "external_id": "s2",
                "rating": 10,
                "text": "Great shop",
                "extra": {"survey": "nps"},
            },
        ]
    )
    waiting = set(
        ReplyPromise.objects.filter(state="open").values_list("touchpoint__external_id", flat=True)
    )
    assert waiting == {"r1", "s1"}
    assert Conversation.objects.get(key__startswith="tp-", kind="review", awaiting_reply=False)


def test_old_history_gets_a_conversation_but_no_timer(ingest):
    ingest([message(1, minutes_ago=60 * 24 * 60)])
    assert Conversation.objects.get().awaiting_reply
    assert not ReplyPromise.objects.exists()


def test_tracking_the_same_messages_twice_adds_nothing(ingest):
    from devotion.followup.tracking import track

    ingest([message(1)])
    ids = list(ReplyPromise.objects.values_list("touchpoint_id", flat=True))
    track(ids)
    assert ReplyPromise.objects.count() == 2
    assert Conversation.objects.count() == 1


def test_an_imported_thread_answered_in_time_counts_as_kept_not_broken(ingest):
    # Imported days later: the reply came 20 minutes after the question, within the promise.
    ingest(
        [
            message(1, minutes_ago=60 * 24 * 3),
            message(2, direction="out", minutes_ago=60 * 24 * 3 - 20, text="It ships today."),
            message(3, thread="T-2", minutes_ago=60 * 24 * 3),
        ]
    )
    kept = ReplyPromise.objects.get(touchpoint__external_id="m-1", target="first_reply")
    assert kept.state == PromiseState.KEPT
    # The unanswered one broke long before it reached us: recorded broken, nobody paged.
    broken = ReplyPromise.objects.get(touchpoint__external_id="m-3", target="first_reply")
    assert broken.state == PromiseState.BREACHED and broken.warned_at is not None
    assert broken.log[-1]["before_it_reached_us"] is True
