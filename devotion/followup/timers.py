"""The promise timer: warnings before a breach, escalations on one, each sent once.

:func:`sweep` finds running promises past their warning or due moment (indexed look-ups, so
checking 100,000 promises costs two range scans), marks them warned or breached and, in the
same transaction, creates their :class:`Alert` rows (unique per promise, kind and channel).
:func:`send_pending` then sends each pending alert: it first claims the row (pending →
sending, committed), then sends, then marks it sent. So:

- a worker killed before the sweep commits leaves the promise untouched: the next sweep
  (in any worker, after any restart) finds it again — no timer is lost;
- a worker killed after it committed leaves pending alerts the next sweep sends;
- an alert is never sent twice: only the claim's winner sends, and a claim left behind by a
  worker killed mid-send is marked failed ("check the outbox"), never sent again.

The timer runs as a task on the default queue that schedules its successor (durable: the
next run is a row in the task table) every ``FOLLOWUP_TIMER_SECONDS`` (30). Filing a new
promise starts the chain if no sweep is waiting.
"""

from __future__ import annotations

# Table names in the SQL below come from model metadata; every value is a bound parameter.
# ruff: noqa: S608
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Q
from django.tasks import default_task_backend, task
from django.utils import timezone

from devotion.core import queues
from devotion.followup.models import Alert, Conversation, PromiseState, ReplyPromise
from devotion.followup.promises import target_label
from devotion.ingest.bulk import db_datetime
from devotion.team.models import Role, StaffMember

log = logging.getLogger(__name__)

BATCH = 500
# A claim older than this was left by a worker that stopped while sending.
STUCK_AFTER = timedelta(minutes=10)
SENDING = "sending"

WEBHOOK_EVENTS = {
    Alert.Kind.WARNING: "reply_promise.warning",
    Alert.Kind.BREACH: "reply_promise.breached",
}


def sweep(now: datetime | None = None, *, mailer: BaseEmailBackend | None = None) -> dict[str, int]:
    """Warn and break what is due, then send the alerts; counts of what it did.

    ``mailer``: a mail backend to send through instead of the default (the demo keeps its
    alerts in the outbox)."""
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0, "sent": 0, "failed": 0}
    counts["warned"] = _mark(
        # Past due already (a sweep missed the window): the breach says it all.
        Q(
            met_at__isnull=True,
            warned_at__isnull=True,
            state=PromiseState.OPEN,
            warn_at__lte=now,
            due_at__gt=now,
        ),
        Alert.Kind.WARNING,
        now,
    )
    counts["breached"] = _mark(
        Q(met_at__isnull=True, state=PromiseState.OPEN, due_at__lte=now), Alert.Kind.BREACH, now
    )
    sent, failed = send_pending(now, mailer=mailer)
    counts["sent"], counts["failed"] = sent, failed
    return counts


def _mark(condition: Q, kind: str, now: datetime) -> int:
    """Mark what ``condition`` finds warned (or breached) and create its alerts, a batch of
    :data:`BATCH` a transaction. Three statements a batch: the rows read as plain values,
    one update that sets the moments and appends to each log, one insert of the alerts
    (the ORM's per-object bulk_update and bulk_create cost 0.7 ms a promise at a backlog)."""
    done = 0
    while True:
        with transaction.atomic():
            found = ReplyPromise.objects.filter(condition).order_by("due_at")
            if connection.features.has_select_for_update_skip_locked:
                found = found.select_for_update(skip_locked=True)
            batch = list(found.values_list("pk", "warn_at_percent", "due_at", "log")[:BATCH])
            if not batch:
                return done
            logs = []
            for pk, percent, due_at, log in batch:
                if kind == Alert.Kind.WARNING:
                    entry = {"event": "warned", "at": now.isoformat(), "at_percent": percent}
                else:
                    entry = {
                        "event": "breached",
                        "at": now.isoformat(),
                        "due_at": due_at.isoformat(),
                    }
                logs.append((pk, json.dumps([*(log or []), entry])))
            _write_marks(kind, now, logs)
            _insert_alerts(kind, now, [pk for pk, _ in logs])
            done += len(batch)
        if len(batch) < BATCH:
            return done


def _write_marks(kind: str, now: datetime, logs: list[tuple[int, str]]) -> None:
    """One statement: the batch's moments (breached: the due moment, and no warning after
    it) and each row's new log."""
    table = ReplyPromise._meta.db_table
    at = db_datetime(now)
    if kind == Alert.Kind.WARNING:
        sets, fixed = "warned_at = %s", [at]
    else:
        sets = "state = %s, breached_at = due_at, warned_at = COALESCE(warned_at, %s)"
        fixed = [PromiseState.BREACHED, at]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS p SET {sets}, log = v.log "
                "FROM unnest(%s::bigint[], %s::jsonb[]) AS v(id, log) WHERE p.id = v.id",
                [*fixed, [pk for pk, _ in logs], [log for _, log in logs]],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {sets}, log = %s WHERE id = %s",
                [[*fixed, log, pk] for pk, log in logs],
            )


def _insert_alerts(kind: str, now: datetime, ids: list[int]) -> None:
    """An e-mail and a webhook alert for each promise, pending; one there already (a sweep
    that crashed after its commit) is kept."""
    table, promises = Alert._meta.db_table, ReplyPromise._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    channels = " UNION ALL ".join(["SELECT %s AS channel"] * len(Alert.Channel.values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (promise_id, kind, channel, status, recipients, error, "
            f"created_at) SELECT p.id, %s, c.channel, %s, '', '', %s FROM {promises} p "
            f"CROSS JOIN ({channels}) c WHERE p.id IN ({marks}) "
            "ON CONFLICT (promise_id, kind, channel) DO NOTHING",
            [kind, Alert.Status.PENDING, db_datetime(now), *Alert.Channel.values, *ids],
        )


def send_pending(
    now: datetime | None = None, *, mailer: BaseEmailBackend | None = None
) -> tuple[int, int]:
    """Send every pending alert once; (sent, failed)."""
    now = now or timezone.now()
    # Claims a stopped worker left behind: may or may not have gone out, so never resend.
    Alert.objects.filter(status=SENDING, created_at__lt=now - STUCK_AFTER).update(
        status=Alert.Status.FAILED,
        error="The worker stopped while sending: check the outbox before sending it by hand.",
    )
    sent = failed = 0
    pending = list(
        Alert.objects.filter(status=Alert.Status.PENDING)
        .select_related(
            "promise__conversation__person",
            "promise__conversation__team__manager__user",
            "promise__team__manager__user",
            "promise__assignee__user",
        )
        .order_by("created_at", "pk")[:BATCH]
    )
    # Read once for the whole batch, not once an alert: who listens for webhooks, and the
    # managers who hear of promises without a team manager.
    lookups = _Lookups() if pending else None
    # Webhooks nobody subscribed to: nothing goes out, so no claim is needed, and one update
    # records them all.
    unheard = [
        a.pk for a in pending if a.channel == Alert.Channel.WEBHOOK and not _listens(lookups, a)
    ]
    if unheard:
        Alert.objects.filter(pk__in=unheard, status=Alert.Status.PENDING).update(
            status=Alert.Status.SKIPPED, recipients="0 subscription(s)", sent_at=timezone.now()
        )
    skipped = set(unheard)
    for alert in pending:
        if alert.pk in skipped:
            continue
        # 1. Claim it: only one sender wins.
        if not Alert.objects.filter(pk=alert.pk, status=Alert.Status.PENDING).update(
            status=SENDING
        ):
            continue
        # 2. Send it, 3. record how it went.
        try:
            assert lookups is not None
            status, recipients = _send(alert, lookups, mailer)
        except Exception as exc:
            log.warning("alert %s failed: %s", alert.pk, exc)
            Alert.objects.filter(pk=alert.pk).update(
                status=Alert.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
            )
            failed += 1
            continue
        Alert.objects.filter(pk=alert.pk).update(
            status=status, recipients=recipients[:1000], sent_at=timezone.now()
        )
        sent += status == Alert.Status.SENT
    return sent, failed


class _Lookups:
    """What every alert of one batch needs, read once: the webhook events someone subscribed
    to, and the active managers and admins (the fallback recipients)."""

    def __init__(self) -> None:
        from devotion.webhooks.models import Subscription

        self.events = {
            event
            for events in Subscription.objects.filter(is_active=True).values_list(
                "events", flat=True
            )
            for event in events
        }
        self._managers: list[StaffMember] | None = None

    def managers(self) -> list[StaffMember]:
        if self._managers is None:
            self._managers = list(
                StaffMember.objects.filter(
                    role__in=[Role.MANAGER, Role.ADMIN], user__is_active=True
                ).select_related("user")
            )
        return self._managers


def _listens(lookups: _Lookups | None, alert: Alert) -> bool:
    """Whether a webhook subscription wants this alert's event."""
    return lookups is not None and WEBHOOK_EVENTS[Alert.Kind(alert.kind)] in lookups.events


def _send(
    alert: Alert, lookups: _Lookups, mailer: BaseEmailBackend | None = None
) -> tuple[str, str]:
    promise = alert.promise
    if alert.channel == Alert.Channel.WEBHOOK:
        from devotion.webhooks.dispatch import queue_now

        conversation = promise.conversation
        queued = queue_now(
            WEBHOOK_EVENTS[Alert.Kind(alert.kind)],
            [payload(promise)],
            [conversation.person_id if conversation else None],
        )
        return (Alert.Status.SENT if queued else Alert.Status.SKIPPED), f"{queued} subscription(s)"
    recipients = recipients_for(promise, alert.kind, managers=lookups.managers)
    if not recipients:
        return Alert.Status.SKIPPED, ""
    message = EmailMessage(
        subject=_subject(promise, alert.kind),
        body=_body(promise, alert.kind),
        to=recipients,
        headers={"X-Devotion-Alert": f"{alert.kind}-{promise.pk}"},
    )
    if mailer is not None:
        mailer.send_messages([message])
    else:
        message.send()
    return Alert.Status.SENT, ", ".join(recipients)


def recipients_for(
    promise: ReplyPromise, kind: str, *, managers: Callable[[], list[StaffMember]] | None = None
) -> list[str]:
    """The assignee, and on a breach their manager (the team's, else every manager);
    a warning of an unassigned promise goes to the manager. ``managers`` gives every active
    manager and admin (a sweep reads them once for all its alerts)."""
    people: list[StaffMember] = []
    if promise.assignee is not None:
        people.append(promise.assignee)
    if kind == Alert.Kind.BREACH or not people:
        team = promise.team or (promise.conversation.team if promise.conversation else None)
        if team is not None and team.manager is not None:
            people.append(team.manager)
        elif managers is not None:
            people += managers()
        else:
            people += list(
                StaffMember.objects.filter(
                    role__in=[Role.MANAGER, Role.ADMIN], user__is_active=True
                ).select_related("user")
            )
    emails = []
    for member in people:
        email = member.user.email if member.user is not None else ""
        if email and email not in emails:
            emails.append(email)
    return emails


def payload(promise: ReplyPromise) -> dict[str, Any]:
    """What a webhook receiver hears of a warned or breached promise."""
    conversation = promise.conversation
    return {
        "promise_id": promise.pk,
        "target": promise.target,
        "state": promise.state,
        "due_at": promise.due_at.isoformat(),
        "touchpoint_id": promise.touchpoint_id,
        "conversation_id": conversation.pk if conversation else None,
        "person_id": conversation.person_id if conversation else None,
        "channel": conversation.channel if conversation else "",
        "assignee": promise.assignee.display_name if promise.assignee else None,
        "url": _link(conversation),
    }


def _link(conversation: Conversation | None) -> str:
    base = settings.DEVOTION_URL.rstrip("/")
    return f"{base}/queue/{conversation.pk}/" if conversation else f"{base}/queue/"


def _who(promise: ReplyPromise) -> str:
    conversation = promise.conversation
    if conversation is None:
        return "a customer"
    return conversation.person.display_name or conversation.person.primary_email or "a customer"


def _subject(promise: ReplyPromise, kind: str) -> str:
    what = target_label(promise.target).lower()
    if kind == Alert.Kind.BREACH:
        return f"Reply promise broken: {what} to {_who(promise)}"
    return f"Reply due soon: {what} to {_who(promise)}"


def _body(promise: ReplyPromise, kind: str) -> str:
    conversation = promise.conversation
    subject = conversation.subject if conversation else ""
    due = timezone.localtime(promise.due_at).strftime("%Y-%m-%d %H:%M %Z")
    head = (
        f"The {target_label(promise.target).lower()} promised to {_who(promise)} was due at "
        f"{due} and has not been given."
        if kind == Alert.Kind.BREACH
        else f"The {target_label(promise.target).lower()} promised to {_who(promise)} is due at "
        f"{due} ({promise.warn_at_percent}% of the time is used)."
    )
    assignee = promise.assignee.display_name if promise.assignee else "nobody yet"
    return (
        f"{head}\n\n"
        f"Conversation: {subject}\n"
        f"Channel: {conversation.channel if conversation else ''}\n"
        f"Assigned to: {assignee}\n\n"
        f"Answer it: {_link(conversation)}\n"
    )


# ------------------------------------------------------------------------------ the schedule


@task(queue_name=queues.DEFAULT)
def sweep_task() -> dict[str, int]:
    """One sweep, its successor scheduled first while any promise runs or alert waits (the
    chain is rows in the task table; filing a new promise starts it again).

    Scheduled before sweeping, so a worker killed in the middle of this run leaves the next
    run waiting in the table for the restarted worker.
    """
    if (
        ReplyPromise.objects.filter(state=PromiseState.OPEN).exists()
        or Alert.objects.filter(status=Alert.Status.PENDING).exists()
    ):
        ensure_timer(running=True)
    result = sweep()
    _forget_old_sweeps()
    return result


def _forget_old_sweeps() -> None:
    """The task table keeps every finished run: drop this timer's own, older than a day."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(
        task_path=_path(),
        status="SUCCESSFUL",
        finished_at__lt=timezone.now() - timedelta(days=1),
    ).delete()


def _path() -> str:
    return f"{sweep_task.func.__module__}.{sweep_task.func.__qualname__}"


def ensure_timer(*, running: bool = False) -> bool:
    """Schedule the next sweep unless one is already waiting; True if it scheduled one.

    Only with a backend that runs deferred tasks from storage (the database one): an
    immediate backend would sweep forever in the caller.
    """
    if not default_task_backend.supports_defer:
        return False
    if "django_tasks_db" in settings.INSTALLED_APPS:
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path=_path(), status="READY").exists():
            return False
    delay = settings.FOLLOWUP_TIMER_SECONDS if running else 1
    sweep_task.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue()
    return True
