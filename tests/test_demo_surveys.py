"""The demo's surveys: sent through the real job into the outbox, answered through the real
path, with satisfied defectors among the promoters; a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Max
from django.utils import timezone

from devotion.core.models import Job, OutboxMessage
from devotion.demo.generator import generate
from devotion.demo.loading import load
from devotion.demo.surveys import CSAT_NAME, NPS_NAME, ensure_surveys
from devotion.touchpoints.models import Touchpoint
from devotion.voice.surveys.models import Survey, SurveyInvitation

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def business():
    return generate(seed=7, size="small")


@pytest.mark.slow  # loads the small demo business: ~15 s
def test_the_demo_surveys_are_sent_answered_and_added_once(business):
    load(business)
    said = ensure_surveys("http://127.0.0.1:8000/")
    assert "e-mails in the outbox" in said
    nps, csat = Survey.objects.get(name=NPS_NAME), Survey.objects.get(name=CSAT_NAME)
    assert (nps.status, csat.status) == ("sent", "sent")
    assert nps.sent_at < timezone.now() - timedelta(days=90)
    sent = SurveyInvitation.objects.filter(status="sent").count()
    assert sent > 20
    assert OutboxMessage.objects.filter(subject__startswith="Hearth & Bean").count() == sent
    assert Job.objects.filter(kind="survey", status="done").count() == 2
    # Answers are touchpoints, one per answering person.
    answered = SurveyInvitation.objects.filter(answered_at__isnull=False)
    assert answered.count() > 5
    assert (
        Touchpoint.objects.filter(kind="survey_answer", source="devotion_surveys").count()
        == answered.count()
    )
    # Satisfied defectors: promoters whose orders stopped.
    promoters = answered.filter(survey=nps, score__gte=9).values_list("person_id", flat=True)
    last_orders = (
        Touchpoint.objects.filter(kind="order", person_id__in=list(promoters))
        .values("person_id")
        .annotate(last=Max("occurred_at"))
    )
    gone = [r for r in last_orders if r["last"] < timezone.now() - timedelta(days=60)]
    assert gone, "some promoters should have stopped buying"
    # A second run adds nothing.
    counts = (
        Survey.objects.count(),
        SurveyInvitation.objects.count(),
        OutboxMessage.objects.count(),
    )
    assert ensure_surveys("http://127.0.0.1:8000/") == "The demo surveys are already here."
    assert (
        Survey.objects.count(),
        SurveyInvitation.objects.count(),
        OutboxMessage.objects.count(),
    ) == counts
