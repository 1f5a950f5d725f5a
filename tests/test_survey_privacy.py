"""A person's survey rows go with them when they are erased, and come with their export."""

from __future__ import annotations

import pytest

from devotion.trust.privacy import erase_person, export_person
from devotion.voice.surveys import answers
from devotion.voice.surveys.models import Survey, SurveyInvitation, SurveyOptOut
from tests.survey_helpers import customers, invitation_of, sent_survey

pytestmark = pytest.mark.django_db


def test_erasing_a_person_removes_their_invitation_answer_and_opt_out():
    customers()
    nps = sent_survey()
    ada = invitation_of(nps, "ada@example.com")
    answers.record(ada, 2, "Never again, the parcel was lost")
    SurveyOptOut.objects.create(person_id=ada.person_id, survey=nps)
    exported = str(export_person(ada.person))
    assert "Never again, the parcel was lost" in exported
    erase_person(ada.person)
    assert not SurveyInvitation.objects.filter(email="ada@example.com").exists()
    assert not SurveyOptOut.objects.exists()
    assert Survey.objects.filter(pk=nps.pk).exists()  # the survey and the others' answers stay
    assert SurveyInvitation.objects.filter(survey=nps).count() == 2
