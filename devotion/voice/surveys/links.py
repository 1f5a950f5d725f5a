"""The signed personal links in survey e-mails.

An answer link carries the invitation's id signed with the site's secret key and a time
stamp (``django.core.signing``): it cannot be forged or pointed at someone else's
invitation, and it stops working ``SURVEY_LINK_DAYS`` after it was made. The unsubscribe
link is signed with another salt and never expires: people may use it long after.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from devotion.voice.surveys.models import Survey, SurveyInvitation

ANSWER_SALT = "devotion.voice.survey.answer"
OPT_OUT_SALT = "devotion.voice.survey.opt-out"
FALLBACK_BASE = "http://127.0.0.1:8000"


class LinkError(Exception):
    """A link that cannot be used; ``title`` and the message are shown to the customer."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title = title


def link_days() -> int:
    return int(settings.SURVEY_LINK_DAYS)


def answer_token(invitation: SurveyInvitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=ANSWER_SALT)


def opt_out_token(invitation: SurveyInvitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=OPT_OUT_SALT)


def _invitation(pk: object) -> SurveyInvitation:
    found = (
        SurveyInvitation.objects.select_related("survey").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if found is None:
        # Signed by us, but the invitation is gone (the person was erased, the survey deleted).
        raise LinkError(
            "This survey is closed", "This survey is no longer open. Thank you all the same."
        )
    return found


def from_answer_token(token: str) -> SurveyInvitation:
    """The invitation an answer link names, or :class:`LinkError` saying why it cannot be used."""
    try:
        data = signing.loads(token, salt=ANSWER_SALT, max_age=timedelta(days=link_days()))
    except signing.SignatureExpired:
        raise LinkError(
            "This survey link has expired",
            f"Survey links work for {link_days()} days after they are sent, and this one is "
            "older. Thank you for wanting to answer: we will ask again another time.",
        ) from None
    except signing.BadSignature:
        raise LinkError(
            "This survey link is not valid",
            "The link may have been cut short or changed. Open it again from the e-mail, "
            "or copy the whole address into your browser.",
        ) from None
    return _invitation(data.get("i") if isinstance(data, dict) else None)


def from_opt_out_token(token: str) -> SurveyInvitation:
    """The invitation an unsubscribe link came with (these links do not expire)."""
    try:
        data = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        raise LinkError(
            "This unsubscribe link is not valid",
            "The link may have been cut short or changed. Open it again from the e-mail.",
        ) from None
    return _invitation(data.get("i") if isinstance(data, dict) else None)


def base_url(survey: Survey) -> str:
    """Where customers reach this installation: DEVOTION_PUBLIC_URL, else the address the
    survey was sent from."""
    return (settings.PUBLIC_URL or survey.link_base or FALLBACK_BASE).rstrip("/")


def answer_url(invitation: SurveyInvitation, score: int | None = None) -> str:
    path = reverse("survey-answer", args=[answer_token(invitation)])
    query = f"?{urlencode({'score': score})}" if score is not None else ""
    return f"{base_url(invitation.survey)}{path}{query}"


def opt_out_url(invitation: SurveyInvitation) -> str:
    path = reverse("survey-opt-out", args=[opt_out_token(invitation)])
    return f"{base_url(invitation.survey)}{path}"
