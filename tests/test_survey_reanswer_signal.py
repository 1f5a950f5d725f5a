"""A survey answered again changes its touchpoint in place, and the rest of Devotion hears of
it: ``stored`` names the touchpoint as changed, webhooks send ``touchpoint.updated``, and a
changed open answer is analysed again."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from devotion.core import queues
from devotion.core.models import Job
from devotion.touchpoints.models import Touchpoint
from devotion.touchpoints.signals import stored
from devotion.voice.analysis import analyse_new
from devotion.voice.models import TextAnalysis
from devotion.webhooks.models import Delivery, Subscription
from tests.survey_helpers import answer_link, customers, sent_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every StoredBatch sent while the test runs."""
    batches = []

    def receiver(batch, **_):
        batches.append(batch)

    stored.connect(receiver, dispatch_uid="test-reanswer")
    yield batches
    stored.disconnect(dispatch_uid="test-reanswer")


@pytest.fixture
def nps():
    customers()
    return sent_survey()


def _answer(client, capture, score, comment):
    with capture(execute=True):
        client.post(answer_link("ada@example.com"), {"score": str(score), "comment": comment})


def test_answering_again_sends_stored_for_the_changed_touchpoint(
    client, nps, heard, django_capture_on_commit_callbacks
):
    _answer(client, django_capture_on_commit_callbacks, 4, "Slow.")
    touchpoint = Touchpoint.objects.get(kind="survey_answer")
    assert heard[-1].touchpoint_ids() == [touchpoint.pk]  # the first answer is new
    heard.clear()

    _answer(client, django_capture_on_commit_callbacks, 9, "They called me back: great.")

    assert [b.changed_ids() for b in heard] == [[touchpoint.pk]]
    assert heard[0].touchpoints_changed == {"survey_answer": [touchpoint.pk]}
    assert heard[0].touchpoint_ids() == []  # nothing new: no second touchpoint.created


def test_webhooks_send_touchpoint_updated_for_a_changed_answer(
    client, nps, django_capture_on_commit_callbacks
):
    hook = Subscription.objects.create(
        url="https://hooks.example/in", events=["touchpoint.created", "touchpoint.updated"]
    )
    _answer(client, django_capture_on_commit_callbacks, 4, "Slow.")
    _answer(client, django_capture_on_commit_callbacks, 9, "Fine now.")
    _answer(client, django_capture_on_commit_callbacks, 10, "Fine now.")  # score only

    touchpoint = Touchpoint.objects.get(kind="survey_answer")
    deliveries = list(Delivery.objects.filter(subscription=hook).order_by("pk"))
    assert [d.event for d in deliveries] == [
        "touchpoint.created",
        "touchpoint.updated",
        "touchpoint.updated",
    ]
    data = deliveries[1].payload
    assert data["touchpoint_id"] == touchpoint.pk and data["kind"] == "survey_answer"
    assert data["person_id"] == touchpoint.person_id


def test_a_changed_open_answer_is_analysed_again(client, nps, django_capture_on_commit_callbacks):
    _answer(client, django_capture_on_commit_callbacks, 4, "Slow and rude, I am angry.")
    Job.objects.all().delete()
    DBTaskResult.objects.all().delete()

    _answer(client, django_capture_on_commit_callbacks, 9, "Thank you, lovely service")

    task = DBTaskResult.objects.get(queue_name=queues.ANALYSIS)
    analyse_new.call(*task.args_kwargs["args"])
    analysis = TextAnalysis.objects.get(touchpoint__kind="survey_answer")
    assert analysis.sentiment_label == "positive"


def test_the_same_open_answer_again_is_not_analysed_twice(
    client, nps, django_capture_on_commit_callbacks
):
    _answer(client, django_capture_on_commit_callbacks, 4, "Slow.")
    task = DBTaskResult.objects.get(queue_name=queues.ANALYSIS)
    analyse_new.call(*task.args_kwargs["args"])
    DBTaskResult.objects.all().delete()

    _answer(client, django_capture_on_commit_callbacks, 6, "Slow.")  # the analysis still holds

    assert not DBTaskResult.objects.filter(queue_name=queues.ANALYSIS).exists()
