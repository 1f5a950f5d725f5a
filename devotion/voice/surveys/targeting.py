"""Who a survey goes to: its target, less the people the rules protect.

The target is a saved segment (when the retention app provides them) or everyone with a
touchpoint of a kind in the last N days. From it go: people without a usable e-mail
address, people who refused e-mail, people who opted out of surveys, people asked any
survey within the recontact period (``SURVEY_RECONTACT_DAYS``, 90 by default), and people
this survey already reached. The same plan is what the preview shows and what the send uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from devotion.lib.normalize import normalize_email
from devotion.people.models import Person
from devotion.touchpoints.models import Touchpoint
from devotion.voice.surveys.models import ANY_KIND, Survey, SurveyInvitation, SurveyOptOut

# -- saved segments (a hook: the retention app adds Segment and segment_people) ----------------

# Where segment_people(segment) -> QuerySet[Person] may live once the retention app has it.
_SEGMENT_MODULES = (
    "devotion.retention.segments",
    "devotion.retention.models",
    "devotion.retention",
)


def _segment_support() -> tuple[Any, Callable[[Any], QuerySet[Person]]] | None:
    """(Segment model, segment_people) when saved segments exist in this installation."""
    try:
        model = importlib.import_module("devotion.retention.models").Segment
    except (ImportError, AttributeError):
        return None
    for name in _SEGMENT_MODULES:
        try:
            people = importlib.import_module(name).segment_people
        except (ImportError, AttributeError):
            continue
        return model, people
    return None


def segments_available() -> bool:
    return _segment_support() is not None


def segment_choices() -> list[tuple[int, str]]:
    """Saved segments as (id, name), for the survey form; empty when there are none."""
    support = _segment_support()
    if support is None:
        return []
    return [
        (pk, str(name))
        for pk, name in support[0].objects.order_by("name").values_list("pk", "name")
    ]


def _segment_people(segment_id: int) -> QuerySet[Person]:
    support = _segment_support()
    if support is None:
        return Person.objects.none()
    segment = support[0].objects.filter(pk=segment_id).first()
    if segment is None:
        return Person.objects.none()
    return support[1](segment)


# -- the plan -------------------------------------------------------------------------------


def recontact_days() -> int:
    return int(settings.SURVEY_RECONTACT_DAYS)


def target_people(survey: Survey, now: datetime | None = None) -> QuerySet[Person]:
    """Everyone the survey's target names (live people only; no rule applied yet)."""
    now = now or timezone.now()
    if survey.target_segment_id is not None:
        return _segment_people(survey.target_segment_id).filter(merged_into__isnull=True)
    since = now - timedelta(days=survey.target_days)
    # Anyone with a touchpoint in the window was last active in it too: the person_last_activity
    # index narrows the people first, and each is checked on tp_person_time (person, time),
    # never a scan of every touchpoint of the kind.
    people = Person.objects.live().filter(last_activity_at__gte=since)
    if survey.target_kind == ANY_KIND:
        return people.filter(
            Exists(
                Touchpoint.objects.filter(person=OuterRef("pk"), occurred_at__range=(since, now))
            )
        )
    touched = Touchpoint.objects.filter(
        person=OuterRef("pk"), kind=survey.target_kind, occurred_at__range=(since, now)
    )
    return people.filter(Exists(touched))


@dataclass
class Recipient:
    person_id: int
    email: str
    name: str


@dataclass
class Plan:
    """Who the survey would reach now, and how many each rule left out."""

    targeted: int = 0
    no_address: int = 0
    refused_email: int = 0
    opted_out: int = 0
    recently_asked: int = 0
    already_asked: int = 0
    recipients: list[Recipient] = field(default_factory=list)

    @property
    def left_out(self) -> list[tuple[str, int]]:
        """Each rule that left somebody out, in words, with how many."""
        days = recontact_days()
        rows = [
            ("have no usable e-mail address", self.no_address),
            ("refused e-mail", self.refused_email),
            ("asked not to be surveyed", self.opted_out),
            (f"were asked a survey in the last {days} days", self.recently_asked),
            ("already got this survey", self.already_asked),
        ]
        return [(why, n) for why, n in rows if n]


def _with_survivors(person_ids: Iterable[int]) -> set[int]:
    """The ids, plus whoever each merged person now lives on as (a rule about a person holds
    for the record they were merged into)."""
    ids = set(person_ids)
    if ids:
        merged = Person.objects.filter(pk__in=ids, merged_into__isnull=False)
        ids.update(merged.values_list("merged_into_id", flat=True))
    return ids


def opted_out_ids() -> set[int]:
    return _with_survivors(SurveyOptOut.objects.values_list("person_id", flat=True))


def recently_asked_ids(now: datetime, exclude_survey: Survey | None = None) -> set[int]:
    days = recontact_days()
    if days == 0:
        return set()
    asked = SurveyInvitation.objects.filter(
        status=SurveyInvitation.Status.SENT, sent_at__gt=now - timedelta(days=days)
    )
    if exclude_survey is not None:
        asked = asked.exclude(survey=exclude_survey)
    return _with_survivors(asked.values_list("person_id", flat=True))


def plan(survey: Survey, now: datetime | None = None) -> Plan:
    """Who would get ``survey`` if it were sent at ``now``, and who the rules leave out."""
    now = now or timezone.now()
    result = Plan()
    opted_out = opted_out_ids()
    recent = recently_asked_ids(now, exclude_survey=survey)
    done = set(
        SurveyInvitation.objects.filter(
            survey=survey, status=SurveyInvitation.Status.SENT
        ).values_list("person_id", flat=True)
    )
    people = target_people(survey, now).order_by("pk")
    rows = people.values_list("pk", "primary_email", "display_name", "consent_email")
    for pk, email, name, consent in rows.iterator(chunk_size=5000):
        result.targeted += 1
        address = normalize_email(email or "")
        if pk in done:
            result.already_asked += 1
        elif address is None:
            result.no_address += 1
        elif consent is False:
            result.refused_email += 1
        elif pk in opted_out:
            result.opted_out += 1
        elif pk in recent:
            result.recently_asked += 1
        else:
            result.recipients.append(Recipient(pk, address, name))
    return result
