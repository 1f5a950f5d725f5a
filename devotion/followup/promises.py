"""The life of a reply promise: start, pause while waiting on the customer, resume, fulfil,
break, cancel. Each step is a method of this module on a :class:`ReplyPromise` (saved by the
caller, or here when noted) and a line in its log.

The clock counts business time of the promise's team: ``due_at`` is when the target is used
up, ``warn_at`` when ``warn_at_percent`` of it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from devotion.followup.models import (
    Conversation,
    PromiseState,
    ReplyPromise,
    SlaPolicy,
    SupportTeam,
    Target,
)
from devotion.lib.business_hours import BusinessHours

# Messages older than this when they reach Devotion (an import of last year's tickets) get a
# conversation but no promise: a timer for a reply two years late helps nobody.
HORIZON_DAYS = 14
# A promise already broken by more than this when its message reaches Devotion is recorded
# broken without warning or escalation; one broken more recently still escalates.
ALERT_GRACE = timedelta(hours=1)


def hours_of(team: SupportTeam | None) -> BusinessHours:
    return team.business_hours() if team is not None else BusinessHours.always()


def choose_policy(
    policies: list[SlaPolicy],
    *,
    kind: str,
    channel: str,
    priority: str,
    negative: bool,
    value: Decimal,
    target: str,
) -> SlaPolicy | None:
    """The first policy that matches and sets a target for ``target``."""
    for policy in policies:
        if (
            policy.is_active
            and policy.minutes_for(target) is not None
            and policy.matches(
                kind=kind, channel=channel, priority=priority, negative=negative, value=value
            )
        ):
            return policy
    return None


def new_promise(
    conversation: Conversation,
    touchpoint_id: int,
    target: str,
    policy: SlaPolicy,
    team: SupportTeam | None,
    start: datetime,
) -> ReplyPromise:
    """An unsaved running promise for ``target``, its clock started at ``start``."""
    minutes = policy.minutes_for(target) or 0
    promise = ReplyPromise(
        touchpoint_id=touchpoint_id,
        conversation=conversation,
        policy=policy,
        team=team,
        target=target,
        channel=conversation.channel,
        target_minutes=minutes,
        warn_at_percent=policy.warn_at_percent,
        started_at=start,
        running_since=start,
        assignee=conversation.assignee,
        state=PromiseState.OPEN,
    )
    _set_timers(promise, team, start)
    promise.note("started", start, policy=policy.name, minutes=minutes)
    return promise


def _set_timers(promise: ReplyPromise, team: SupportTeam | None, start: datetime) -> None:
    hours = hours_of(team)
    left = max(0.0, promise.target_minutes - promise.used_minutes)
    promise.due_at = hours.add(start, left)
    warn_minutes = promise.target_minutes * promise.warn_at_percent / 100 - promise.used_minutes
    promise.warn_at = (
        hours.add(start, max(0.0, warn_minutes)) if promise.warned_at is None else None
    )


def pause(promise: ReplyPromise, at: datetime) -> None:
    """Stop the clock (the customer owes us an answer): keep the business time used so far."""
    if promise.state != PromiseState.OPEN or promise.running_since is None:
        return
    promise.used_minutes += hours_of(promise.team).minutes_between(promise.running_since, at)
    promise.running_since = None
    promise.state = PromiseState.PAUSED
    promise.note("paused", at, used_minutes=round(promise.used_minutes, 1))


def resume(promise: ReplyPromise, at: datetime) -> None:
    """Start the clock again (the customer wrote back): due after the time still left."""
    if promise.state != PromiseState.PAUSED:
        return
    promise.running_since = at
    promise.state = PromiseState.OPEN
    _set_timers(promise, promise.team, at)
    promise.note("resumed", at, due_at=promise.due_at.isoformat())


def fulfil(
    promise: ReplyPromise, at: datetime, *, by: str = "reply", reply_id: int | None = None
) -> None:
    """The reply (or resolution) came: kept if in time; a broken one stays broken, now met.
    ``reply_id``: the outbound touchpoint that answered it."""
    if promise.met_at is not None or promise.state == PromiseState.CANCELLED:
        return
    promise.met_at = at
    promise.answered_by_id = reply_id
    if promise.state == PromiseState.BREACHED:
        promise.note("answered late", at, by=by)
        return
    if at > promise.due_at:
        # Answered after the due time before any sweep noticed: broken all the same.
        promise.state = PromiseState.BREACHED
        promise.breached_at = promise.due_at
        promise.note("breached", promise.due_at)
        promise.note("answered late", at, by=by)
        return
    promise.state = PromiseState.KEPT
    promise.running_since = None
    promise.note("fulfilled", at, by=by)


def cancel(promise: ReplyPromise, at: datetime, reason: str) -> None:
    """No reply is owed any more (solved without one, answered elsewhere)."""
    if promise.state in (PromiseState.OPEN, PromiseState.PAUSED):
        promise.state = PromiseState.CANCELLED
        promise.running_since = None
        promise.note("cancelled", at, reason=reason)


def target_label(target: str) -> str:
    return Target(target).label
