"""Recording an answer: on the invitation, and as a ``survey_answer`` touchpoint on the
person's timeline.

The touchpoint goes through ``ingest()`` like every other event, so identity resolution and
the ``(source, external_id)`` rule apply: the first answer creates it (and the ``stored``
signal tells the rest of Devotion, text analysis included); answering again updates the same
touchpoint's score and text, never adds a second one, and sends ``stored`` naming it as
changed (webhooks send ``touchpoint.updated``; a changed text is analysed again). Its
``extra`` says which survey and kind it answers (``{"survey": "nps", ...}``, as imported
survey answers do), so a rating of 9 reads as NPS, not as a 9 out of 5.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from devotion.ingest.store import DUPLICATE, REJECTED, ingest
from devotion.touchpoints.models import Touchpoint
from devotion.touchpoints.signals import StoredBatch, send_stored
from devotion.voice.models import TextAnalysis
from devotion.voice.surveys.models import SurveyInvitation

SOURCE = "devotion_surveys"
MAX_COMMENT = 5000
# What no stored text may hold (as ingest's validator says): C0 controls but tab and line ends,
# DEL, C1 controls, lone surrogates. A browser hardly sends them; drop them, do not refuse.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class AnswerError(Exception):
    """An answer that cannot be recorded; the message is shown to the customer."""


def clean_comment(text: str) -> str:
    r"""The open answer as it is stored: no control characters, trimmed.

    >>> clean_comment("  Great coffee\x00!  ")
    'Great coffee!'
    """
    return _UNWANTED.sub("", text).strip()


def external_id(invitation: SurveyInvitation) -> str:
    return f"survey-{invitation.survey_id}-invitation-{invitation.pk}"


def record(
    invitation: SurveyInvitation, score: int, comment: str = "", *, now: datetime | None = None
) -> SurveyInvitation:
    """Record ``score`` (and the open answer) for ``invitation``; a second answer replaces the
    first. Raises :class:`AnswerError` for a score outside the survey's scale."""
    survey = invitation.survey
    if score not in survey.scale.values:
        raise AnswerError(f"Choose a score from {survey.scale.low} to {survey.scale.high}.")
    comment = clean_comment(comment)[:MAX_COMMENT]
    now = now or timezone.now()
    event = {
        "kind": "survey_answer",
        "source": SOURCE,
        "external_id": external_id(invitation),
        "occurred_at": now.isoformat(),
        "person": {"email": invitation.email},
        "channel": "web",
        "direction": "in",
        "subject": survey.question[:500],
        "text": comment,
        "rating": score,
        "extra": {
            "survey": survey.kind,
            "survey_id": survey.pk,
            "survey_name": survey.name,
            "follow_up": survey.follow_up,
        },
    }
    with transaction.atomic():
        # 1. Lock the invitation: two quick answers in a row apply one after the other.
        invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
        invitation.survey = survey
        # 2. The touchpoint: created the first time; the same one updated after that.
        outcome = ingest([event], now=now)[0]
        if outcome.status == REJECTED:
            raise AnswerError(f"Your answer could not be saved ({outcome.reason}).")
        if outcome.status == DUPLICATE and outcome.touchpoint_id is not None:
            touchpoint = Touchpoint.objects.get(pk=outcome.touchpoint_id)
            text_changed = touchpoint.text != comment
            touchpoint.rating, touchpoint.text = score, comment
            touchpoint.extra = {**touchpoint.extra, "changed_at": now.isoformat()}
            touchpoint.save(update_fields=["rating", "text", "extra"])
            if text_changed:
                # The old text's analysis no longer describes it: gone until the new one is in.
                TextAnalysis.objects.filter(touchpoint_id=touchpoint.pk).delete()
            # Tell the rest of Devotion, as storage does for a new touchpoint (on commit).
            send_stored(StoredBatch(touchpoints_changed={touchpoint.kind: [touchpoint.pk]}))
        # 3. The invitation keeps the latest answer.
        invitation.score, invitation.comment = score, comment
        invitation.answered_at = now
        invitation.times_answered += 1
        invitation.touchpoint_id = outcome.touchpoint_id
        invitation.save(
            update_fields=["score", "comment", "answered_at", "times_answered", "touchpoint"]
        )
    return invitation
