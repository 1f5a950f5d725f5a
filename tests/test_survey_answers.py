"""Answering a survey: the public form works without JavaScript, a score can be clicked straight
from the e-mail, answering twice updates the answer, and the answer is a touchpoint."""

from __future__ import annotations

from html import escape

import pytest
from django.core import mail

from devotion.touchpoints.models import Touchpoint
from devotion.voice.models import TextAnalysis
from devotion.voice.surveys import answers, links
from devotion.voice.surveys.models import SurveyInvitation
from tests.survey_helpers import answer_link, customers, invitation_of, links_in, sent_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps():
    customers()
    return sent_survey()


def test_a_plain_form_post_records_the_answer_and_shows_the_thank_you(client, nps):
    link = answer_link("ada@example.com")
    response = client.post(link, {"score": "9", "comment": "Lovely beans, quick delivery."})
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    assert escape(nps.thank_you) in thanks.content.decode()
    invitation = invitation_of(nps, "ada@example.com")
    assert (invitation.score, invitation.comment, invitation.times_answered) == (
        9,
        "Lovely beans, quick delivery.",
        1,
    )


def test_the_answer_becomes_a_survey_answer_touchpoint_on_the_persons_timeline(client, nps):
    client.post(answer_link("ada@example.com"), {"score": "3", "comment": "Parcel was late."})
    invitation = invitation_of(nps, "ada@example.com")
    touchpoint = Touchpoint.objects.get(kind="survey_answer")
    assert touchpoint.person_id == invitation.person_id
    assert (touchpoint.rating, touchpoint.text, touchpoint.direction) == (
        3,
        "Parcel was late.",
        "in",
    )
    assert touchpoint.extra["survey"] == "nps" and touchpoint.extra["survey_id"] == nps.pk
    assert invitation.touchpoint_id == touchpoint.pk


def test_answering_twice_updates_the_same_touchpoint(client, nps):
    link = answer_link("ada@example.com")
    client.post(link, {"score": "4", "comment": "Slow."})
    TextAnalysis.objects.create(
        touchpoint=Touchpoint.objects.get(kind="survey_answer"), sentiment=-0.6, model_version="t"
    )
    client.post(link, {"score": "8", "comment": "Actually they called me back: fine now."})
    touchpoint = Touchpoint.objects.get(kind="survey_answer")
    assert (touchpoint.rating, touchpoint.text) == (8, "Actually they called me back: fine now.")
    # The analysis of the old text no longer describes it.
    assert not TextAnalysis.objects.filter(touchpoint=touchpoint).exists()
    invitation = invitation_of(nps, "ada@example.com")
    assert (invitation.score, invitation.times_answered) == (8, 2)
    assert SurveyInvitation.objects.filter(answered_at__isnull=False).count() == 1


def test_a_score_clicked_in_the_email_counts_at_once(client, nps):
    message = next(m for m in mail.outbox if "ada@example.com" in m.to)
    html = message.alternatives[0][0]
    score_links = [link for link in links_in(html) if "score=" in link]
    assert [link.rsplit("=", 1)[1] for link in score_links] == [str(n) for n in range(11)]
    response = client.get(score_links[10])
    assert response.status_code == 200
    assert "your score of 10 is saved" in response.content.decode()
    assert Touchpoint.objects.get(kind="survey_answer").rating == 10
    # The comment added on that page updates the same answer.
    client.post(score_links[10].split("?")[0], {"score": "10", "comment": "Best coffee in town"})
    assert Touchpoint.objects.get(kind="survey_answer").text == "Best coffee in town"


def test_a_page_reopened_after_answering_shows_the_answer_to_change(client, nps):
    link = answer_link("ada@example.com")
    client.post(link, {"score": "6", "comment": "OK"})
    body = client.get(link).content.decode()
    assert "You answered 6 already" in body
    assert 'value="6" checked' in body


@pytest.mark.parametrize("score", ["", "11", "-1", "nine", "5.5"])
def test_a_missing_or_impossible_score_is_refused_with_a_clear_message(client, nps, score):
    response = client.post(answer_link("ada@example.com"), {"score": score})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a score" in body
    assert not Touchpoint.objects.filter(kind="survey_answer").exists()


def test_a_clicked_score_out_of_range_records_nothing(client, nps):
    response = client.get(answer_link("ada@example.com") + "?score=42")
    assert response.status_code == 400
    assert not Touchpoint.objects.filter(kind="survey_answer").exists()


def test_a_csat_survey_takes_scores_1_to_5():
    customers()
    csat = sent_survey(name="CSAT", kind="csat", question="How satisfied were you?")
    invitation = invitation_of(csat, "ada@example.com")
    with pytest.raises(answers.AnswerError):
        answers.record(invitation, 0)
    answers.record(invitation, 5, "Thank you Sam!")
    assert Touchpoint.objects.get(kind="survey_answer").extra["survey"] == "csat"


def test_control_characters_in_a_comment_are_dropped_not_refused(client, nps):
    client.post(answer_link("ada@example.com"), {"score": "7", "comment": "fine\x1b[31m ok\x07"})
    assert Touchpoint.objects.get(kind="survey_answer").text == "fine[31m ok"


def test_a_nul_byte_in_a_comment_gets_a_clear_error(client, nps):
    response = client.post(answer_link("ada@example.com"), {"score": "7", "comment": "a\x00b"})
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()


def test_the_answer_page_needs_no_javascript_and_fits_a_phone(client, nps):
    body = client.get(answer_link("ada@example.com")).content.decode()
    assert "<script" not in body
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in body
    assert '<form method="post"' in body and 'type="submit"' in body


def test_the_answer_links_point_at_the_public_url_when_set(settings, nps):
    settings.PUBLIC_URL = "https://feedback.hearth.example"
    assert links.answer_url(invitation_of(nps, "ada@example.com")).startswith(
        "https://feedback.hearth.example/surveys/a/"
    )


def test_the_answer_reads_as_an_nps_score_on_the_customer_page(client, login, agent, nps):
    client.post(answer_link("ada@example.com"), {"score": "9", "comment": "Great beans"})
    person_id = invitation_of(nps, "ada@example.com").person_id
    body = login(agent).get(f"/customers/{person_id}/").content.decode()
    assert "NPS 9" in body and "Great beans" in body
