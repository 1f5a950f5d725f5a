"""Sending a survey: through SMTP as a job with progress, to the people its target names, never
to anyone asked within the recontact period or who unsubscribed."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.utils import timezone

from devotion.core import queues
from devotion.core.models import Job, OutboxMessage
from devotion.people.models import Person
from devotion.voice.surveys import links, sending, targeting
from devotion.voice.surveys.models import Survey, SurveyInvitation, SurveyOptOut
from tests.survey_helpers import CUSTOMERS, customers, invitation_of, sent_survey, survey

pytestmark = pytest.mark.django_db


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    smtp_log = logging.getLogger("mail.log")
    level = smtp_log.level
    smtp_log.setLevel(logging.CRITICAL)
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "devotion.core.mail.SmtpOutboxBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()
        smtp_log.setLevel(level)


@pytest.fixture
def run_tasks_now(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": queues.QUEUES,
        }
    }


def test_a_manager_sends_through_smtp_as_a_job_with_progress(
    client, manager, login, smtp_server, run_tasks_now, django_capture_on_commit_callbacks
):
    customers()
    nps = survey()
    login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/surveys/{nps.pk}/send/")
    assert response.status_code == 302
    # Three e-mails reached the SMTP server, each with its own links, and the outbox says sent.
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == sorted(e for e, _ in CUSTOMERS)
    first = smtp_server.envelopes[0].content.decode()
    assert "/surveys/a/" in first and "List-Unsubscribe:" in first
    assert OutboxMessage.objects.filter(status="sent").count() == 3
    job = Job.objects.get(kind="survey")
    assert (job.status, job.done, job.total, job.unit, job.queue) == (
        "done",
        3,
        3,
        "people",
        "default",
    )
    assert job.started_by == manager
    assert "3 e-mails sent, 0 failed." in job.log
    nps.refresh_from_db()
    assert nps.status == "sent" and nps.sent_at is not None
    assert SurveyInvitation.objects.filter(status="sent").count() == 3
    assert nps.link_base == "http://testserver/"


def test_with_smtp_down_the_send_stops_and_can_be_retried(settings, smtp_server):
    people = [(f"p{i}@example.com", f"Person {i}") for i in range(8)]
    customers(people=people)
    nps = survey()
    port = settings.MAILERS["default"]["OPTIONS"]["port"]
    settings.MAILERS["default"]["OPTIONS"]["port"] = _free_port()  # nobody listens there
    with pytest.raises(sending.SendingStopped):
        sending.send(nps)
    nps.refresh_from_db()
    assert nps.status == "failed"
    assert SurveyInvitation.objects.filter(status="failed").count() == 5
    assert OutboxMessage.objects.filter(status="failed").count() == 5
    # Mail works again: Send reaches everyone, those who failed included, nobody twice.
    settings.MAILERS["default"]["OPTIONS"]["port"] = port
    sending.send(nps)
    assert SurveyInvitation.objects.filter(status="sent").count() == 8
    assert len(smtp_server.envelopes) == 8


def test_a_retried_send_asks_nobody_twice():
    customers()
    nps = sent_survey()
    sending.send(nps)
    assert len(mail.outbox) == 3
    assert SurveyInvitation.objects.count() == 3


def test_nobody_is_asked_again_within_the_recontact_period_across_surveys():
    customers()
    sent_survey(name="Spring NPS")
    csat = survey(name="CSAT after support", kind="csat", question="How satisfied were you?")
    plan = targeting.plan(csat)
    assert (plan.targeted, plan.recently_asked, len(plan.recipients)) == (3, 3, 0)
    sending.send(csat)
    assert len(mail.outbox) == 3  # only the first survey's


def test_after_the_recontact_period_people_can_be_asked_again(settings):
    customers()
    first = sent_survey()
    SurveyInvitation.objects.filter(survey=first).update(
        sent_at=timezone.now() - timedelta(days=settings.SURVEY_RECONTACT_DAYS + 1)
    )
    later = survey(name="Autumn NPS")
    assert len(targeting.plan(later).recipients) == 3


def test_the_recontact_period_is_a_setting(settings):
    customers()
    first = sent_survey()
    SurveyInvitation.objects.filter(survey=first).update(
        sent_at=timezone.now() - timedelta(days=20)
    )
    settings.SURVEY_RECONTACT_DAYS = 14
    assert len(targeting.plan(survey(name="Again")).recipients) == 3
    settings.SURVEY_RECONTACT_DAYS = 30
    assert len(targeting.plan(survey(name="Again 2")).recipients) == 0


def test_a_failed_email_does_not_count_as_asked():
    customers()
    first = sent_survey()
    SurveyInvitation.objects.filter(survey=first).update(status="failed")
    assert len(targeting.plan(survey(name="Again")).recipients) == 3


def test_the_unsubscribe_link_is_honoured_by_every_later_survey(client):
    customers()
    first = sent_survey()
    ada = invitation_of(first, "ada@example.com")
    link = f"/surveys/a/{links.opt_out_token(ada)}/unsubscribe/"
    page = client.get(link)
    assert page.status_code == 200 and "No more survey questions?" in page.content.decode()
    assert not SurveyOptOut.objects.exists()  # a GET (a mail scanner) changes nothing
    done = client.post(link)
    assert "You will not be surveyed again" in done.content.decode()
    assert SurveyOptOut.objects.get().person_id == ada.person_id
    # Much later, another survey leaves Ada out.
    SurveyInvitation.objects.update(sent_at=timezone.now() - timedelta(days=400))
    plan = targeting.plan(survey(name="Next year"))
    assert plan.opted_out == 1
    assert "ada@example.com" not in [r.email for r in plan.recipients]


def test_an_unsubscribe_survives_a_merge_into_another_record():
    customers()
    first = sent_survey()
    ada = invitation_of(first, "ada@example.com")
    SurveyOptOut.objects.create(person_id=ada.person_id)
    survivor = Person.objects.create(display_name="Ada L.", primary_email="ada.l@example.com")
    Person.objects.filter(pk=ada.person_id).update(merged_into=survivor)
    assert survivor.pk in targeting.opted_out_ids()


def test_people_who_refused_email_or_have_no_address_are_left_out():
    people = customers()
    Person.objects.filter(pk=people[0].pk).update(consent_email=False)
    Person.objects.filter(pk=people[1].pk).update(primary_email="")
    plan = targeting.plan(survey())
    assert (plan.refused_email, plan.no_address, len(plan.recipients)) == (1, 1, 1)
    assert ("refused e-mail", 1) in plan.left_out


def test_the_target_is_a_touchpoint_kind_in_a_window():
    customers(days_ago=5, kind="message", people=CUSTOMERS[:1])
    customers(days_ago=40, kind="message", people=CUSTOMERS[1:2])
    customers(days_ago=5, kind="order", people=CUSTOMERS[2:])
    recent_messages = targeting.plan(survey(target_kind="message", target_days=30))
    assert [r.email for r in recent_messages.recipients] == ["ada@example.com"]
    anyone = targeting.plan(survey(target_kind="any", target_days=60))
    assert len(anyone.recipients) == 3


def test_a_saved_segment_target_without_the_retention_app_reaches_nobody():
    customers()
    s = survey(target_segment_id=1, target_segment_name="Champions")
    assert s.target_label == "Segment: Champions"
    assert targeting.plan(s).targeted == 0


def test_the_email_has_a_link_per_score_and_an_unsubscribe_link():
    customers()
    sent_survey(kind="ces", question="How easy was it?")
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert html.count("?score=") == 7  # CES: 1 to 7
    assert "/unsubscribe/" in message.body and "/unsubscribe/" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Survey.objects.get().status == "sent"


class _FakeSegments:
    """Stands in for retention's Segment model and segment_people (another branch adds them)."""

    class objects:  # mimics a model manager
        rows = {7: "Champions"}

        @classmethod
        def order_by(cls, *_):
            return cls

        @classmethod
        def values_list(cls, *_):
            return list(cls.rows.items())

        @classmethod
        def filter(cls, pk):
            cls.found = pk if pk in cls.rows else None
            return cls

        @classmethod
        def first(cls):
            return cls.found


def test_a_saved_segment_is_a_target_when_the_retention_app_provides_them(
    monkeypatch, client, login, manager
):
    people = customers()
    monkeypatch.setattr(
        targeting,
        "_segment_support",
        lambda: (_FakeSegments, lambda seg: Person.objects.filter(pk=people[1].pk)),
    )
    login(manager)
    form = client.get("/surveys/new/").content.decode()
    assert 'value="segment:7"' in form and "Saved segment: Champions" in form
    client.post(
        "/surveys/new/",
        {
            "name": "Champions NPS",
            "sender": "Hearth & Bean",
            "kind": "nps",
            "thank_you": "Thanks!",
            "target": "segment:7",
            "target_days": "30",
        },
    )
    created = Survey.objects.get()
    assert (created.target_segment_id, created.target_label) == (7, "Segment: Champions")
    assert [r.email for r in targeting.plan(created).recipients] == ["grace@example.com"]


def test_two_surveys_sending_at_once_do_not_both_reach_someone():
    people = customers()
    other = survey(name="Sending right now", status="sending")
    SurveyInvitation.objects.create(survey=other, person=people[0], email="ada@example.com")
    mine = survey(name="Mine")
    sending.send(mine)
    assert sorted(m.to[0] for m in mail.outbox) == ["alan@example.com", "grace@example.com"]
