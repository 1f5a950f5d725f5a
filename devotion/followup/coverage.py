"""Coverage: of the inbound messages that needed a reply, how many got one, in time, and
complete (the coach found every point answered), per channel, team, agent or week.

Counted over reply promises (first and next reply): each is one inbound message that needed
an answer. "Complete" is known for replies written in Devotion (the coach checked them);
``checked`` says how many that is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from devotion.followup.models import PromiseState, Reply, ReplyPromise, SupportTeam, Target
from devotion.team.models import StaffMember
from devotion.touchpoints.kinds import CHANNELS

GROUPINGS = ("channel", "team", "agent", "week")


@dataclass(frozen=True)
class CoverageRow:
    """One group's counts and shares (shares are None when there is nothing to divide)."""

    key: str
    label: str
    inbound: int
    answered: int
    in_time: int
    checked: int
    complete: int

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.inbound if self.inbound else None

    @property
    def in_time_share(self) -> float | None:
        return self.in_time / self.inbound if self.inbound else None

    @property
    def complete_share(self) -> float | None:
        return self.complete / self.checked if self.checked else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "inbound": self.inbound,
            "answered": self.answered,
            "answered_in_time": self.in_time,
            "checked_by_coach": self.checked,
            "answered_completely": self.complete,
            "answered_share": self.answered_share,
            "in_time_share": self.in_time_share,
            "complete_share": self.complete_share,
        }


def coverage(by: str, *, days: int = 30, now: datetime | None = None) -> list[CoverageRow]:
    """Coverage of the last ``days`` days (by when the message arrived), grouped ``by``."""
    if by not in GROUPINGS:
        raise ValueError(f"group by one of {', '.join(GROUPINGS)}")
    now = now or timezone.now()
    promises = ReplyPromise.objects.filter(
        target__in=[Target.FIRST_REPLY, Target.NEXT_REPLY],
        started_at__gte=now - timedelta(days=days),
        started_at__lt=now,
    ).annotate(
        checked=Exists(Reply.objects.filter(touchpoint_id=OuterRef("answered_by_id"))),
        complete=Exists(
            Reply.objects.filter(touchpoint_id=OuterRef("answered_by_id"), misses_points=False)
        ),
    )
    field = {
        "channel": "conversation__channel",
        "team": "team_id",
        "agent": "assignee_id",
        "week": "week",
    }[by]
    if by == "week":
        promises = promises.annotate(week=TruncWeek("started_at"))
    rows = (
        promises.values(field)
        .annotate(
            inbound=Count("pk"),
            answered=Count("pk", filter=Q(met_at__isnull=False)),
            in_time=Count("pk", filter=Q(state=PromiseState.KEPT)),
            n_checked=Count("pk", filter=Q(checked=True)),
            n_complete=Count("pk", filter=Q(complete=True)),
        )
        .order_by(field)
    )
    labels = _labels(by)
    out = []
    for row in rows:
        key = row[field]
        out.append(
            CoverageRow(
                key="" if key is None else (key.date().isoformat() if by == "week" else str(key)),
                label=_label(by, key, labels),
                inbound=row["inbound"],
                answered=row["answered"],
                in_time=row["in_time"],
                checked=row["n_checked"],
                complete=row["n_complete"],
            )
        )
    return out


def total(rows: list[CoverageRow]) -> CoverageRow:
    """All groups together."""
    return CoverageRow(
        key="all",
        label="All",
        inbound=sum(r.inbound for r in rows),
        answered=sum(r.answered for r in rows),
        in_time=sum(r.in_time for r in rows),
        checked=sum(r.checked for r in rows),
        complete=sum(r.complete for r in rows),
    )


def _labels(by: str) -> dict[Any, str]:
    if by == "team":
        return dict(SupportTeam.objects.values_list("pk", "name"))
    if by == "agent":
        return dict(StaffMember.objects.values_list("pk", "display_name"))
    return {}


def _label(by: str, key: Any, labels: dict[Any, str]) -> str:
    if key is None or key == "":
        return {"agent": "Unassigned", "team": "No team", "channel": "No channel"}.get(by, "—")
    if by == "channel":
        return CHANNELS.get(key, str(key))
    if by == "week":
        return f"Week of {key:%Y-%m-%d}"
    return labels.get(key, f"#{key}")
