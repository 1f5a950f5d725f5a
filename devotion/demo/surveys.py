"""The demo's surveys: a spring NPS sent four months ago, and a CSAT after support three weeks
ago, both through the real sending job (their e-mails in the outbox) and answered through the
real answer path (so each answer is a touchpoint on the customer's timeline).

Some of the NPS promoters (9-10) are regulars who stopped buying soon after: the "satisfied
defectors" the seeds warn about, for the retention pages to find. Idempotent: a second run
finds the surveys and adds nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from devotion.core import jobs, queues
from devotion.core.mail import OutboxBackend
from devotion.demo.texts import BUSINESS_NAME, CATALOGUE, SUPPORT_STAFF, csat_comment, nps_comment
from devotion.demo.texts import short_name as product_name
from devotion.touchpoints.models import Touchpoint
from devotion.voice.surveys import answers, sending
from devotion.voice.surveys.models import Survey, SurveyInvitation
from devotion.voice.surveys.scales import SCALES

SEED = 15
NPS_NAME = "Spring NPS (demo)"
CSAT_NAME = "CSAT after support (demo)"
# An ordinary spread of NPS answers, 0..10 (most people are promoters or passives).
NPS_WEIGHTS = (3, 2, 2, 3, 4, 6, 8, 12, 16, 20, 24)


def _answer_time(rng: random.Random, sent_at: datetime, now: datetime) -> datetime | None:
    """When someone answers: most within two days, a tail over four weeks; None if not yet."""
    when = sent_at + timedelta(days=min(rng.expovariate(1 / 2.5), 27), hours=rng.uniform(1, 10))
    return when if when < now else None


def _stopped_buying(person_ids: list[int], sent_at: datetime, now: datetime) -> set[int]:
    """Regulars (two or more orders) whose last order came before the survey or within a month
    of it, and nothing for two months since: they stopped buying."""
    rows = (
        Touchpoint.objects.filter(person_id__in=person_ids, kind="order")
        .values("person_id")
        .annotate(n=Count("id"), last=Max("occurred_at"))
    )
    return {
        r["person_id"]
        for r in rows
        if r["n"] >= 2 and r["last"] < min(sent_at + timedelta(days=30), now - timedelta(days=60))
    }


def _send(survey: Survey, sent_at: datetime) -> None:
    job = jobs.create("survey", f"Send survey: {survey.name}", queue=queues.DEFAULT, unit="people")
    survey.status, survey.job = Survey.Status.SENDING, job
    survey.save(update_fields=["status", "job"])
    backend = OutboxBackend(alias="demo")
    jobs.run(job, lambda j: sending.send(survey, job=j, now=sent_at, connection=backend))


def _answer_nps(survey: Survey, rng: random.Random, now: datetime) -> int:
    invitations = list(survey.invitations.filter(status="sent").select_related("survey"))
    assert survey.sent_at is not None
    defectors = _stopped_buying([i.person_id for i in invitations], survey.sent_at, now)
    answered = 0
    for invitation in invitations:
        leaving = invitation.person_id in defectors
        if rng.random() > (0.55 if leaving else 0.38):
            continue
        when = _answer_time(rng, survey.sent_at, now)
        if when is None:
            continue
        if leaving and rng.random() < 0.75:
            score = rng.choice((9, 10, 10))  # happy in the survey, gone in the orders
        else:
            score = rng.choices(range(11), weights=NPS_WEIGHTS)[0]
        staff = rng.choice(SUPPORT_STAFF)
        comment = nps_comment(rng, score, staff, product_name(rng.choice(CATALOGUE)))
        answers.record(invitation, score, comment, now=when)
        answered += 1
    return answered


def _answer_csat(survey: Survey, rng: random.Random, now: datetime) -> int:
    invitations = list(survey.invitations.filter(status="sent").select_related("survey"))
    assert survey.sent_at is not None
    answered = 0
    for invitation in invitations:
        if rng.random() > 0.45:
            continue
        when = _answer_time(rng, survey.sent_at, now)
        if when is None:
            continue
        score = rng.choices((1, 2, 3, 4, 5), weights=(6, 5, 9, 30, 50))[0]
        comment = csat_comment(rng, score, rng.choice(SUPPORT_STAFF))
        answers.record(invitation, score, comment, now=when)
        answered += 1
    return answered


def ensure_surveys(base_url: str) -> str:
    """Create, send and answer the demo surveys once; a sentence saying what is there."""
    if Survey.objects.filter(name__in=(NPS_NAME, CSAT_NAME)).exists():
        return "The demo surveys are already here."
    rng = random.Random(SEED)
    now = timezone.now()
    nps = Survey.objects.create(
        name=NPS_NAME,
        sender=BUSINESS_NAME,
        kind="nps",
        question=f"How likely are you to recommend {BUSINESS_NAME} to a friend or colleague?",
        follow_up=SCALES["nps"].follow_up,
        thank_you="Thank you! Every answer is read by our team, and we act on them.",
        target_kind="order",
        target_days=60,
        link_base=base_url,
        created_at=now - timedelta(days=122),
    )
    _send(nps, now - timedelta(days=120))
    nps.refresh_from_db()
    nps_answers = _answer_nps(nps, rng, now)
    csat = Survey.objects.create(
        name=CSAT_NAME,
        sender=f"{BUSINESS_NAME} customer care",
        kind="csat",
        question="How satisfied were you with the help you got from our team?",
        follow_up="What could we have done better?",
        thank_you="Thank you for telling us. We read every answer.",
        target_kind="message",
        target_days=30,
        link_base=base_url,
        created_at=now - timedelta(days=22),
    )
    _send(csat, now - timedelta(days=21))
    csat.refresh_from_db()
    csat_answers = _answer_csat(csat, rng, now)
    asked = SurveyInvitation.objects.filter(survey__in=(nps, csat), status="sent").count()
    return (
        f"Surveys: {asked:,} e-mails in the outbox; {nps_answers:,} NPS and {csat_answers:,} "
        "CSAT answers on the timeline."
    )
