"""Replying in Devotion: e-mail through SMTP, threaded under the customer's message; review
replies recorded for posting; the reply is an outbound touchpoint that fulfils the promise;
a draft that misses a point asks for confirmation."""

from __future__ import annotations

from email import message_from_bytes

import pytest

from devotion.core.models import OutboxMessage
from devotion.followup.models import Conversation, PromiseState, Reply, ReplyPromise
from devotion.touchpoints.models import Touchpoint
from tests.followup.conftest import minutes_ago

pytestmark = pytest.mark.django_db

QUESTION = (
    "Hello, my blue kettle (order 5531) arrived dented. Can you send a replacement? "
    "Also, what is your returns address?"
)
GOOD = (
    "Hi Maya, we are so sorry the kettle arrived dented. We will send a replacement kettle "
    "today, and you can keep the dented one. Our returns address is 12 Mill Lane, Leeds."
)
MISSING = (
    "Hi Maya, we are so sorry the kettle arrived dented. We will send a replacement kettle today."
)


@pytest.fixture
def ticket(ingest, always_open):
    ingest(
        [
            {
                "kind": "message",
                "source": "helpdesk",
                "external_id": "in-1",
                "occurred_at": minutes_ago(20),
                "person": {"email": "maya@example.com", "name": "Maya Okafor"},
                "channel": "email",
                "direction": "in",
                "thread": "HD-77",
                "subject": "Dented kettle",
                "text": QUESTION,
                "extra": {"message_id": "<CAF123@mail.example.com>"},
            }
        ]
    )
    return Conversation.objects.get(key="HD-77")


def test_an_e_mail_reply_goes_out_threaded_and_fulfils_the_promise(
    login, agent, ticket, smtp_inbox, django_capture_on_commit_callbacks
):
    client = login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/queue/{ticket.pk}/reply/", {"text": GOOD, "status": "waiting"})
    assert response.status_code == 302
    # 1. Through the SMTP server, threaded.
    assert len(smtp_inbox.envelopes) == 1
    envelope = smtp_inbox.envelopes[0]
    assert envelope.rcpt_tos == ["maya@example.com"]
    sent = message_from_bytes(envelope.content)
    assert sent["In-Reply-To"] == "<CAF123@mail.example.com>"
    assert "<CAF123@mail.example.com>" in sent["References"]
    assert sent["Subject"] == "Re: Dented kettle"
    assert sent["Message-ID"].startswith("<") and sent["Message-ID"].endswith(">")
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT
    # 2. An outbound touchpoint on the timeline, with the coach's findings on the reply.
    reply = Reply.objects.get()
    assert reply.message_id == sent["Message-ID"]
    assert reply.coach["misses_points"] is False
    outbound = Touchpoint.objects.get(direction="out")
    assert outbound.thread == "HD-77" and outbound.staff == agent.staff
    # 3. The promise is kept; the conversation waits on the customer and leaves the queue.
    assert ReplyPromise.objects.get(target="first_reply").state == PromiseState.KEPT
    ticket.refresh_from_db()
    assert ticket.status == Conversation.Status.WAITING
    assert "Dented kettle" not in client.get("/queue/").content.decode()


def test_a_second_reply_threads_under_the_first(login, agent, ticket, smtp_inbox):
    client = login(agent)
    client.post(f"/queue/{ticket.pk}/reply/", {"text": GOOD, "status": "open"})
    client.post(
        f"/queue/{ticket.pk}/reply/",
        {
            "text": "We will also e-mail you the tracking link by 5pm.",
            "status": "waiting",
            "confirm": "1",
        },
    )
    first, second = (message_from_bytes(e.content) for e in smtp_inbox.envelopes)
    assert second["In-Reply-To"] == "<CAF123@mail.example.com>"
    assert first["Message-ID"] in second["References"]


def test_a_draft_that_misses_a_point_asks_for_confirmation(login, agent, ticket, smtp_inbox):
    client = login(agent)
    response = client.post(f"/queue/{ticket.pk}/reply/", {"text": MISSING, "status": "waiting"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "unanswered" in html and "Send anyway" in html
    assert "what is your returns address?" in html
    assert not smtp_inbox.envelopes and not Reply.objects.exists()
    confirmed = client.post(
        f"/queue/{ticket.pk}/reply/", {"text": MISSING, "status": "waiting", "confirm": "1"}
    )
    assert confirmed.status_code == 302
    assert Reply.objects.get().misses_points is True


def test_the_coach_panel_updates_as_the_agent_types(login, agent, ticket):
    panel = login(agent).post(f"/queue/{ticket.pk}/coach/", {"text": "I will check."})
    html = panel.content.decode()
    assert "<h1>" not in html
    assert "not answered" in html
    assert "We will check." in html  # the rewrite of the company-centred sentence
    assert "Maya" in html  # greet them by name


def test_a_review_reply_is_recorded_for_posting_and_counts_as_answered(
    login, agent, ingest, smtp_inbox
):
    ingest(
        [
            {
                "kind": "review",
                "source": "trustpilot",
                "external_id": "rv-9",
                "occurred_at": minutes_ago(10),
                "person": {"email": "tom@example.com", "name": "Tom Berg"},
                "channel": "review_site",
                "direction": "in",
                "rating": 2,
                "text": "Delivery took two weeks.",
            }
        ]
    )
    review = Conversation.objects.get(kind="review")
    client = login(agent)
    text = "Tom, we are sorry the delivery took two weeks. We have refunded your shipping today."
    assert (
        client.post(f"/queue/{review.pk}/reply/", {"text": text, "status": "solved"}).status_code
        == 302
    )
    assert not smtp_inbox.envelopes  # nothing e-mailed
    reply = Reply.objects.get()
    assert reply.delivery == Reply.Delivery.RECORDED
    review.refresh_from_db()
    assert review.status == Conversation.Status.SOLVED and not review.awaiting_reply
    assert ReplyPromise.objects.get(target="first_reply").state == PromiseState.KEPT
    page = client.get(f"/queue/{review.pk}/").content.decode()
    assert "Copy reply" in page and "refunded your shipping" in page


def test_when_the_mail_server_is_down_nothing_is_recorded(login, agent, ticket, settings):
    from tests.followup.conftest import free_port

    settings.MAILERS = {
        "default": {
            "BACKEND": "devotion.core.mail.SmtpOutboxBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    response = login(agent).post(f"/queue/{ticket.pk}/reply/", {"text": GOOD, "status": "waiting"})
    assert response.status_code == 502
    assert "did not take the reply" in response.content.decode()
    assert not Reply.objects.exists()
    assert ReplyPromise.objects.get(target="first_reply").state == PromiseState.OPEN


def test_outsiders_cannot_reply(login, outsider, ticket):
    assert login(outsider).post(f"/queue/{ticket.pk}/reply/", {"text": GOOD}).status_code == 403
