"""Which events become deliveries: matching active subscriptions only, and only after commit."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from devotion.ingest.store import ingest
from devotion.people.merging import merge_people
from devotion.people.models import Person
from devotion.webhooks.dispatch import emit
from devotion.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


def _subscribe(*events: str, active: bool = True) -> Subscription:
    return Subscription.objects.create(
        url="https://hooks.example/in", events=list(events), is_active=active
    )


def test_deliveries_are_created_only_for_active_subscriptions_to_that_event(
    django_capture_on_commit_callbacks,
):
    wanted = _subscribe("touchpoint.created")
    _subscribe("person.created")
    _subscribe("touchpoint.created", active=False)
    with django_capture_on_commit_callbacks(execute=True):
        emit("touchpoint.created", [{"touchpoint_id": 1}, {"touchpoint_id": 2}], [7, 8])
    deliveries = list(Delivery.objects.order_by("pk"))
    assert [d.subscription_id for d in deliveries] == [wanted.pk, wanted.pk]
    assert [d.person_id for d in deliveries] == [7, 8]
    assert {d.status for d in deliveries} == {"pending"}
    assert len({d.event_id for d in deliveries}) == 2
    assert DBTaskResult.objects.count() == 1


def test_nothing_is_queued_before_the_transaction_commits(django_capture_on_commit_callbacks):
    _subscribe("touchpoint.created")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emit("touchpoint.created", [{"touchpoint_id": 1}])
    assert Delivery.objects.count() == 0
    assert len(callbacks) == 1


def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    _subscribe("touchpoint.created")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                emit("touchpoint.created", [{"touchpoint_id": 1}])
                raise RuntimeError("import crashed")
        except RuntimeError:
            pass
    assert Delivery.objects.count() == 0


def test_large_batches_are_queued_in_chunks_of_one_hundred(django_capture_on_commit_callbacks):
    _subscribe("touchpoint.created")
    with django_capture_on_commit_callbacks(execute=True):
        emit("touchpoint.created", [{"touchpoint_id": i} for i in range(250)])
    sizes = sorted(len(r.args_kwargs["args"][0]) for r in DBTaskResult.objects.all())
    assert sizes == [50, 100, 100]


def test_ingest_emits_person_and_touchpoint_created(make_event, django_capture_on_commit_callbacks):
    _subscribe("person.created", "touchpoint.created")
    with django_capture_on_commit_callbacks(execute=True):
        [outcome] = ingest([make_event()])
    by_event = {d.event: d for d in Delivery.objects.all()}
    assert set(by_event) == {"person.created", "touchpoint.created"}
    assert by_event["person.created"].payload["person_id"] == outcome.person_id
    assert by_event["touchpoint.created"].payload["touchpoint_id"] == outcome.touchpoint_id
    assert {d.person_id for d in by_event.values()} == {outcome.person_id}


def test_a_duplicate_ingest_emits_nothing_new(make_event, django_capture_on_commit_callbacks):
    _subscribe("person.created", "touchpoint.created")
    event = make_event()
    with django_capture_on_commit_callbacks(execute=True):
        ingest([event])
    with django_capture_on_commit_callbacks(execute=True):
        ingest([event])
    assert Delivery.objects.count() == 2


def test_a_merge_emits_people_merged(django_capture_on_commit_callbacks):
    _subscribe("people.merged")
    winner = Person.objects.create(display_name="Ada")
    loser = Person.objects.create(display_name="Ada L.")
    with django_capture_on_commit_callbacks(execute=True):
        merge_people(winner, loser, reason="same person")
    [delivery] = Delivery.objects.all()
    assert delivery.event == "people.merged"
    assert delivery.payload["winner_id"] == winner.pk
    assert delivery.payload["loser_id"] == loser.pk
    assert delivery.person_id == winner.pk
