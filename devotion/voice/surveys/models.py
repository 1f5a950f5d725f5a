"""Surveys, the people each one asked, and the people who asked not to be surveyed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from devotion.core.models import Job
from devotion.people.models import Person
from devotion.touchpoints.kinds import TOUCHPOINT_KINDS
from devotion.touchpoints.models import Touchpoint
from devotion.voice.surveys.scales import SCALES, Scale

# "Everyone active": anybody whose last activity (any touchpoint) falls in the window.
ANY_KIND = "any"
TARGET_KINDS: dict[str, str] = {ANY_KIND: "Any touchpoint", **TOUCHPOINT_KINDS}


class Survey(models.Model):
    """One survey: an NPS, CSAT or CES question, an open follow-up question and a thank-you,
    who it targets, and whether it was sent.

    A survey is sent once (to everyone its target names then, less the fatigue and opt-out
    rules); a later wave is a new survey, so each survey's response rate means one thing.
    """

    class Kind(models.TextChoices):
        NPS = "nps", "NPS (Net Promoter Score)"
        CSAT = "csat", "CSAT (satisfaction)"
        CES = "ces", "CES (effort)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Sending failed"

    name = models.CharField(max_length=200)  # for the team: "Spring NPS", "CSAT after support"
    # Who customers see it is from: the business or team name ("Hearth & Bean").
    sender = models.CharField(max_length=100)
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.NPS)
    question = models.CharField(max_length=500)
    follow_up = models.CharField(max_length=500, blank=True)
    thank_you = models.CharField(max_length=1000)
    # Target: a saved segment when chosen (retention's Segment, by id: the survey keeps
    # working if that segment is deleted), else people with a touchpoint of target_kind in
    # the last target_days days.
    target_kind = models.CharField(max_length=20, default=ANY_KIND)
    target_days = models.PositiveIntegerField(default=30)
    target_segment_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_segment_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # Where the links in the e-mails point (the address the manager used to send it).
    link_base = models.CharField(max_length=300, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> Scale:
        return SCALES[self.kind]

    @property
    def target_label(self) -> str:
        """The target in words: "Segment: Champions" or "Order in the last 30 days"."""
        if self.target_segment_id is not None:
            return f"Segment: {self.target_segment_name or self.target_segment_id}"
        what = TARGET_KINDS.get(self.target_kind, self.target_kind)
        return f"{what} in the last {self.target_days} days"

    @property
    def can_send(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.FAILED)


class SurveyInvitation(models.Model):
    """One person asked one survey: the address it went to, whether the e-mail went out, and
    their answer (the latest, if they answered twice) with the touchpoint it became.

    One per survey and person: a retried send never asks anyone twice. ``sent_at`` of the
    sent ones is what the fatigue rule reads (nobody asked more than once per recontact
    period, across all surveys).
    """

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=320)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    score = models.SmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    times_answered = models.PositiveSmallIntegerField(default=0)
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "person"], name="survey_invitation_once")
        ]
        indexes = [
            # The fatigue rule: who was asked since a date.
            models.Index(fields=["person", "-sent_at"], name="survey_inv_person_sent"),
            # A survey's responses, newest first (the page and the API page on it).
            models.Index(
                fields=["survey", "-answered_at", "-id"],
                name="survey_inv_answers",
                condition=models.Q(answered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} to person {self.person_id}"

    @property
    def group(self) -> str:
        return self.survey.scale.group(self.score) if self.score is not None else ""


class SurveyOptOut(models.Model):
    """A person who asked never to be surveyed again (the unsubscribe link in a survey e-mail).
    Every send leaves them out; the row goes with the person when they are erased."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Which survey's e-mail they used (None once that survey is deleted).
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"person {self.person_id} asked not to be surveyed"
