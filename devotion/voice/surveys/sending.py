"""Sending a survey: one e-mail per person, through Django's mail (SMTP, logged in the outbox),
as a core job with progress.

A manager presses Send; :func:`start` records the job and queues :func:`send_survey` on the
default queue; the worker works out the recipients again (the plan may have changed since the
preview), creates one invitation per person before e-mailing them (unique per survey and
person, so a retried job never asks anyone twice), and sends in batches over one connection.
A mail server that refuses five messages in a row stops the job: the survey is marked failed,
and pressing Send again sends to those not reached yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from devotion.core import jobs, queues
from devotion.core.models import Job
from devotion.voice.surveys import links, targeting
from devotion.voice.surveys.models import Survey, SurveyInvitation

log = logging.getLogger(__name__)

BATCH = 100
MAX_FAILURES_IN_A_ROW = 5


class SendingStopped(Exception):
    """The mail server refused too many messages in a row: the rest wait for another try."""


@dataclass
class Sent:
    sent: int = 0
    failed: int = 0


def invitation_email(invitation: SurveyInvitation, name: str = "") -> EmailMultiAlternatives:
    """The survey e-mail for one invitation (text and HTML), with a link per score."""
    survey = invitation.survey
    scale = survey.scale
    answer_url = links.answer_url(invitation)
    context: dict[str, Any] = {
        "survey": survey,
        "name": name.split(" ")[0] if name else "",
        "answer_url": answer_url,
        # One signed link; each score adds ?score=N to it (signing once, not 11 times).
        "score_links": [(score, f"{answer_url}?score={score}") for score in scale.values],
        "scale_width": 31 * len(scale.values),
        "opt_out_url": links.opt_out_url(invitation),
        "days": links.link_days(),
    }
    message = EmailMultiAlternatives(
        subject=f"{survey.sender}: {survey.question}"[:200],
        body=render_to_string("voice/surveys/email/invitation.txt", context),
        to=[invitation.email],
        headers={
            # Mail programs show their own "unsubscribe" button for this.
            "List-Unsubscribe": f"<{context['opt_out_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string("voice/surveys/email/invitation.html", context), "text/html"
    )
    return message


def start(survey: Survey, *, user: Any, link_base: str) -> Job:
    """Queue the sending of ``survey`` as a job (called from the page's Send button)."""
    with transaction.atomic():
        job = jobs.create(
            "survey",
            f"Send survey: {survey.name}",
            queue=queues.DEFAULT,
            started_by=user,
            unit="people",
        )
        survey.status = Survey.Status.SENDING
        survey.job = job
        survey.link_base = link_base
        survey.save(update_fields=["status", "job", "link_base"])
        transaction.on_commit(lambda: jobs.enqueue(job, send_survey, survey.pk))
    return job


@task(queue_name=queues.DEFAULT)
def send_survey(job_id: int, survey_id: int) -> None:
    jobs.run(job_id, lambda job: send(Survey.objects.get(pk=survey_id), job=job))


def send(
    survey: Survey,
    *,
    job: Job | None = None,
    now: datetime | None = None,
    connection: BaseEmailBackend | None = None,
) -> Sent:
    """E-mail ``survey`` to everyone its plan names at ``now``; returns how many went out.

    ``connection``: a mail backend other than the default mailer (the demo keeps its e-mail
    in the outbox whatever the installation's mail mode)."""
    now = now or timezone.now()
    try:
        result = _send(survey, job, now, connection)
    except BaseException:
        Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.FAILED)
        raise
    survey.status, survey.sent_at = Survey.Status.SENT, survey.sent_at or now
    survey.save(update_fields=["status", "sent_at"])
    return result


def _save_outcomes(invitations: list[SurveyInvitation], now: datetime) -> None:
    """Record what became of each invitation: one UPDATE for all the sent ones (the common
    case), one per failure."""
    sent = [i.pk for i in invitations if i.status == SurveyInvitation.Status.SENT]
    SurveyInvitation.objects.filter(pk__in=sent).update(
        status=SurveyInvitation.Status.SENT, sent_at=now, error=""
    )
    for invitation in invitations:
        if invitation.status != SurveyInvitation.Status.SENT:
            invitation.save(update_fields=["status", "error"])


def _not_asked_meanwhile(
    survey: Survey, batch: list[targeting.Recipient], now: datetime
) -> list[targeting.Recipient]:
    """The batch less anyone another survey asked (or is asking) since the plan was made: two
    surveys sent at the same time must not both reach the same person."""
    days = targeting.recontact_days()
    if not days or not batch:
        return batch
    asked = set(
        SurveyInvitation.objects.filter(
            person_id__in=[r.person_id for r in batch],
            status__in=(SurveyInvitation.Status.SENT, SurveyInvitation.Status.SENDING),
            survey__status=Survey.Status.SENDING,
        )
        .exclude(survey=survey)
        .values_list("person_id", flat=True)
    )
    asked.update(
        SurveyInvitation.objects.filter(
            person_id__in=[r.person_id for r in batch],
            status=SurveyInvitation.Status.SENT,
            sent_at__gt=now - timedelta(days=days),
        )
        .exclude(survey=survey)
        .values_list("person_id", flat=True)
    )
    return [r for r in batch if r.person_id not in asked]


def _send(
    survey: Survey, job: Job | None, now: datetime, connection: BaseEmailBackend | None
) -> Sent:
    # 1. Who, now: the same plan the preview showed, with the rules applied at this moment.
    plan = targeting.plan(survey, now)
    recipients = plan.recipients
    if job is not None:
        job.write_log(
            f"{plan.targeted} people in the target; {len(recipients)} to ask"
            + "".join(f"; {n} left out: {why}" for why, n in plan.left_out)
            + "."
        )
        job.set_progress(0, len(recipients), "people")
    result = Sent()
    failures_in_a_row = 0
    # A new backend instance: one connection for the whole send.
    connection = connection or mailers.default
    try:
        connection.open()
    except Exception as exc:  # each message records the failure in the outbox below
        log.info("survey %s: the mail server did not answer at first: %s", survey.pk, exc)
    try:
        for start in range(0, len(recipients), BATCH):
            batch = _not_asked_meanwhile(survey, recipients[start : start + BATCH], now)
            # 2. An invitation per person before any e-mail (a retry finds them).
            SurveyInvitation.objects.bulk_create(
                [
                    SurveyInvitation(survey=survey, person_id=r.person_id, email=r.email)
                    for r in batch
                ],
                ignore_conflicts=True,
            )
            names = {r.person_id: r.name for r in batch}
            emails = {r.person_id: r.email for r in batch}
            invitations = list(
                SurveyInvitation.objects.filter(survey=survey, person_id__in=names)
                .exclude(status=SurveyInvitation.Status.SENT)
                .select_related("survey")
            )
            # 3. E-mail each; record sent or failed. Stop when the server keeps refusing.
            attempted = []
            for invitation in invitations:
                if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                    break
                attempted.append(invitation)
                address = emails[invitation.person_id]
                if invitation.email != address:  # a retry, after the address changed
                    invitation.email = address
                    invitation.save(update_fields=["email"])
                try:
                    ok = connection.send_messages(
                        [invitation_email(invitation, names[invitation.person_id])]
                    )
                    error = "" if ok else "the mail server refused it"
                except Exception as exc:
                    ok, error = 0, f"{type(exc).__name__}: {exc}"
                if ok:
                    invitation.status, invitation.sent_at, invitation.error = "sent", now, ""
                    result.sent += 1
                    failures_in_a_row = 0
                else:
                    invitation.status, invitation.error = "failed", error[:300]
                    result.failed += 1
                    failures_in_a_row += 1
            _save_outcomes(attempted, now)
            if job is not None:
                job.set_progress(min(start + BATCH, len(recipients)))
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                raise SendingStopped(
                    f"The mail server refused {failures_in_a_row} messages in a row (last: "
                    f"{error}). {result.sent} sent; press Send again once mail works."
                )
    finally:
        connection.close()
    if job is not None:
        job.write_log(f"{result.sent} e-mails sent, {result.failed} failed.")
    return result
