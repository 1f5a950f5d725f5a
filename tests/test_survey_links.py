"""Each person's survey link is signed, personal and expiring; a bad link gets a clear page."""

from __future__ import annotations

import base64
import json
import time
from html import escape

import pytest

from devotion.voice.surveys import links
from devotion.voice.surveys.models import SurveyInvitation
from tests.survey_helpers import answer_link, customers, invitation_of, sent_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps():
    customers()
    return sent_survey()


def test_the_link_in_the_email_opens_the_persons_own_answer_page_without_login(client, nps):
    response = client.get(answer_link("ada@example.com"))
    assert response.status_code == 200
    body = response.content.decode()
    assert escape(nps.question) in body
    assert body.count('type="radio"') == 11  # 0 to 10
    assert 'name="comment"' in body


def test_an_expired_link_gets_a_clear_page_not_an_error(client, nps, monkeypatch, settings):
    link = answer_link("ada@example.com")
    later = time.time() + settings.SURVEY_LINK_DAYS * 86400 + 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    response = client.get(link)
    assert response.status_code == 410
    assert "This survey link has expired" in response.content.decode()
    assert client.post(link, {"score": "9"}).status_code == 410
    assert not SurveyInvitation.objects.filter(answered_at__isnull=False).exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token[: len(token) // 2],
        lambda token: "not-a-token",
    ],
)
def test_a_forged_or_cut_link_gets_a_clear_page(client, nps, mangle):
    token = links.answer_token(invitation_of(nps, "ada@example.com"))
    response = client.get(f"/surveys/a/{mangle(token)}/")
    assert response.status_code == 404
    assert "This survey link is not valid" in response.content.decode()


def test_a_link_cannot_be_pointed_at_someone_elses_invitation(client, nps):
    ada = invitation_of(nps, "ada@example.com")
    grace = invitation_of(nps, "grace@example.com")
    # Ada's signed payload with Grace's id in it: the signature no longer matches.
    token = links.answer_token(ada)
    _, _, rest = token.partition(":")
    forged_payload = base64.urlsafe_b64encode(json.dumps({"i": grace.pk}).encode()).decode()
    forged = f"{forged_payload.rstrip('=')}:{rest}"
    assert client.post(f"/surveys/a/{forged}/", {"score": "0"}).status_code == 404
    # Ada's real link answers for Ada only.
    client.post(f"/surveys/a/{token}/", {"score": "10"})
    ada.refresh_from_db()
    grace.refresh_from_db()
    assert (ada.score, grace.score) == (10, None)


def test_an_unsubscribe_link_is_not_an_answer_link(client, nps):
    ada = invitation_of(nps, "ada@example.com")
    assert client.get(f"/surveys/a/{links.opt_out_token(ada)}/").status_code == 404
    assert client.get(f"/surveys/a/{links.answer_token(ada)}/unsubscribe/").status_code == 404


def test_the_link_of_an_erased_person_says_the_survey_is_closed(client, nps):
    link = answer_link("ada@example.com")
    invitation_of(nps, "ada@example.com").person.delete()
    response = client.get(link)
    assert response.status_code == 404
    assert "This survey is closed" in response.content.decode()
