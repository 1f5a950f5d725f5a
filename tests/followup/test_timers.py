"""The promise timer: a warning at 75% of the target and an escalation on the breach, by
e-mail (to the assignee and their manager) and signed webhook, each sent once, whatever
restarts in between."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import pytest
from django.utils import timezone

from devotion.followup import timers
from devotion.followup.models import Alert, Conversation, PromiseState, ReplyPromise, SupportTeam
from devotion.webhooks.models import Delivery, Subscription
from tests.followup.conftest import minutes_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(ingest, always_open, agent, manager):
    """A new lead (60 minutes to a first reply), assigned to the agent, whose manager runs
    the team."""
    SupportTeam.objects.update(manager=manager.staff)
    ingest(
        [
            {
                "kind": "lead",
                "source": "webform",
                "external_id": "lead-7",
                "occurred_at": minutes_ago(1),
                "person": {"email": "ceo@bigco.example", "name": "Ines Grau"},
                "channel": "web",
                "direction": "in",
                "text": "We need 200 branded mugs by March. Can you quote?",
            }
        ]
    )
    conversation = Conversation.objects.get()
    conversation.assignee = agent.staff
    conversation.save()
    ReplyPromise.objects.update(assignee=agent.staff)
    Subscription.objects.create(
        url="https://hooks.example.com/devotion",
        events=["reply_promise.warning", "reply_promise.breached"],
    )
    return ReplyPromise.objects.get()


def test_nothing_fires_before_the_warning_time(lead, smtp_inbox):
    assert timers.sweep(lead.started_at + timedelta(minutes=44)) == {
        "warned": 0,
        "breached": 0,
        "sent": 0,
        "failed": 0,
    }
    assert not smtp_inbox.envelopes


def test_the_warning_goes_to_the_assignee_once(lead, smtp_inbox):
    at = lead.started_at + timedelta(minutes=45, seconds=1)  # 75% of 60 minutes
    assert timers.sweep(at)["warned"] == 1
    assert timers.sweep(at + timedelta(minutes=1))["warned"] == 0
    assert [e.rcpt_tos for e in smtp_inbox.envelopes] == [["agnes@shop.example"]]
    mail = message_from_bytes(smtp_inbox.envelopes[0].content)
    assert mail["Subject"] == "Reply due soon: first reply to Ines Grau"
    assert Delivery.objects.get().event == "reply_promise.warning"
    lead.refresh_from_db()
    assert lead.warned_at is not None and lead.state == PromiseState.OPEN
    assert [e["event"] for e in lead.log] == ["started", "warned"]


def test_the_breach_escalates_to_the_assignee_and_their_manager_once(lead, smtp_inbox):
    at = lead.started_at + timedelta(minutes=61)
    counts = timers.sweep(at)
    assert counts["breached"] == 1
    timers.sweep(at + timedelta(minutes=5))
    recipients = [sorted(e.rcpt_tos) for e in smtp_inbox.envelopes]
    assert recipients == [["agnes@shop.example", "manon@shop.example"]]
    assert [d.event for d in Delivery.objects.all()] == ["reply_promise.breached"]
    payload = Delivery.objects.get().payload
    assert payload["promise_id"] == lead.pk and payload["target"] == "first_reply"
    lead.refresh_from_db()
    assert lead.state == PromiseState.BREACHED
    assert lead.is_waiting  # still in the queue until answered


def test_a_restart_between_warning_and_breach_loses_nothing_and_doubles_nothing(lead, smtp_inbox):
    warn_at = lead.started_at + timedelta(minutes=46)
    # 1. A worker marks the warning and dies before sending anything.
    timers._mark(
        timers.Q(state=PromiseState.OPEN, warned_at__isnull=True, warn_at__lte=warn_at),
        Alert.Kind.WARNING,
        warn_at,
    )
    assert not smtp_inbox.envelopes
    # 2. A new worker's sweep sends the pending warning, once.
    timers.sweep(warn_at + timedelta(seconds=30))
    # 3. Another worker dies mid-send: it claimed the breach e-mail but never sent it.
    breach_at = lead.started_at + timedelta(minutes=61)
    timers._mark(
        timers.Q(state=PromiseState.OPEN, due_at__lte=breach_at), Alert.Kind.BREACH, breach_at
    )
    Alert.objects.filter(kind="breach", channel="email").update(status=timers.SENDING)
    # 4. Later sweeps send the rest, never the claimed one twice (it is marked failed).
    timers.sweep(breach_at + timedelta(seconds=30))
    Alert.objects.filter(status=timers.SENDING).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    timers.sweep(breach_at + timedelta(minutes=1))
    timers.sweep(breach_at + timedelta(minutes=2))
    subjects = [message_from_bytes(e.content)["Subject"] for e in smtp_inbox.envelopes]
    assert subjects == ["Reply due soon: first reply to Ines Grau"]
    assert sorted(Delivery.objects.values_list("event", flat=True)) == [
        "reply_promise.breached",
        "reply_promise.warning",
    ]
    stuck = Alert.objects.get(kind="breach", channel="email")
    assert stuck.status == Alert.Status.FAILED and "check the outbox" in stuck.error
    assert Alert.objects.count() == 4  # one per kind and channel, ever


def test_a_paused_promise_neither_warns_nor_breaks(lead, smtp_inbox):
    from devotion.followup import promises

    promises.pause(lead, lead.started_at + timedelta(minutes=10))
    lead.save()
    counts = timers.sweep(lead.started_at + timedelta(hours=5))
    assert counts["warned"] == counts["breached"] == 0


def test_an_answered_promise_never_alerts(lead, smtp_inbox):
    from devotion.followup import promises

    promises.fulfil(lead, lead.started_at + timedelta(minutes=20))
    lead.save()
    assert timers.sweep(lead.started_at + timedelta(hours=2))["breached"] == 0
    assert not smtp_inbox.envelopes


def test_without_an_assignee_the_warning_goes_to_the_manager(lead, smtp_inbox):
    ReplyPromise.objects.update(assignee=None)
    timers.sweep(lead.started_at + timedelta(minutes=50))
    assert [e.rcpt_tos for e in smtp_inbox.envelopes] == [["manon@shop.example"]]


def test_the_timer_keeps_one_next_sweep_scheduled(lead):
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path__endswith="sweep_task").delete()
    assert timers.ensure_timer() is True
    assert timers.ensure_timer() is False
    assert (
        DBTaskResult.objects.filter(task_path__endswith="sweep_task", status="READY").count() == 1
    )


def test_the_timer_stops_when_nothing_runs_and_forgets_its_old_runs(lead):
    from datetime import timedelta

    from django_tasks_db.models import DBTaskResult

    from devotion.followup import promises

    DBTaskResult.objects.filter(task_path__endswith="sweep_task").delete()
    promises.fulfil(lead, lead.started_at + timedelta(minutes=5))
    lead.save()
    timers.sweep_task.call()
    assert not DBTaskResult.objects.filter(task_path__endswith="sweep_task").exists()


def test_a_large_batch_is_filed_by_a_task(db):
    from django_tasks_db.models import DBTaskResult

    from devotion.followup.tracking import on_stored
    from devotion.touchpoints.signals import StoredBatch

    on_stored(StoredBatch(touchpoints={"message": range(1, 5001)}))
    queued = DBTaskResult.objects.filter(task_path__endswith="track_task")
    assert queued.count() == 3  # 2,000 ids a task
    assert queued.first().queue_name == "analysis"


def test_a_sweep_schedules_its_successor_before_it_works(lead, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path__endswith="sweep_task").delete()

    def killed(*args, **kwargs):
        raise SystemExit("worker killed mid-sweep")

    monkeypatch.setattr(timers, "sweep", killed)
    with pytest.raises(SystemExit):
        timers.sweep_task.call()
    waiting = DBTaskResult.objects.filter(task_path__endswith="sweep_task", status="READY")
    assert waiting.count() == 1


@pytest.mark.parametrize("leads", [2, 8])
def test_a_sweep_reads_managers_and_subscribers_once_not_once_an_alert(
    ingest, always_open, manager, smtp_inbox, django_assert_max_num_queries, leads
):
    # Unassigned leads of a team without a manager: each warning goes to every manager.
    ingest(
        [
            {
                "kind": "lead",
                "source": "webform",
                "external_id": f"lead-{n}",
                "occurred_at": minutes_ago(1),
                "person": {"email": f"buyer{n}@bigco.example"},
                "channel": "web",
                "direction": "in",
                "text": "Can you quote 200 mugs?",
            }
            for n in range(leads)
        ]
    )
    Subscription.objects.create(url="https://hooks.example.com/d", events=["person.merged"])
    at = ReplyPromise.objects.earliest("started_at").started_at + timedelta(minutes=50)
    # Per alert: claim, outbox row and result for the e-mail; one update for all the
    # webhooks nobody listens to. Per sweep: the look-ups, the marking, the sends' reads.
    with django_assert_max_num_queries(3 * leads + 16):
        counts = timers.sweep(at)
    assert counts["warned"] == leads and counts["sent"] == leads
    assert len(smtp_inbox.envelopes) == leads
    assert set(Alert.objects.values_list("status", flat=True)) == {"sent", "skipped"}


def test_queued_tracking_is_cancelled_but_a_running_task_is_left_alone(db):
    from django_tasks_db.models import DBTaskResult

    from devotion.followup.tracking import cancel_queued_tracking, on_stored
    from devotion.touchpoints.signals import StoredBatch

    on_stored(StoredBatch(touchpoints={"message": range(1, 5001)}))
    queued = DBTaskResult.objects.filter(task_path__endswith="track_task")
    queued.filter(pk=queued.first().pk).update(status="RUNNING")
    assert cancel_queued_tracking() == 2
    assert list(queued.values_list("status", flat=True)) == ["RUNNING"]
