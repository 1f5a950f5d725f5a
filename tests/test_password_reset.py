"""Anyone can reset a forgotten password by e-mail, without learning who has an account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet-harbour-violet-77"


def _without_csrf(page: bytes) -> bytes:
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", page)


def test_the_login_page_links_to_the_reset_page(client):
    assert b'href="/password-reset/"' in client.get("/login/").content
    assert client.get("/password-reset/").status_code == 200


def test_known_and_unknown_addresses_get_the_same_answer(client, agent):
    known = client.post("/password-reset/", {"email": "agnes@shop.example"}, follow=True)
    unknown = client.post("/password-reset/", {"email": "nobody@shop.example"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [("/password-reset/sent/", 302)]
    # The same page, byte for byte, but for the per-response CSRF token.
    assert _without_csrf(known.content) == _without_csrf(unknown.content)
    assert "If an account uses that address" in known.content.decode()
    # Only the real account gets an e-mail.
    assert [m.to for m in mail.outbox] == [["agnes@shop.example"]]


def test_a_bad_address_gets_a_clear_error(client):
    response = client.post("/password-reset/", {"email": "nope"})
    assert "Enter a valid email address" in response.content.decode()


def test_the_link_sets_a_new_password_once_and_is_audited(client, agent):
    client.post("/password-reset/", {"email": "agnes@shop.example"})
    message = mail.outbox[0]
    assert message.subject == "Choose a new Devotion password"
    link = re.search(r"http://testserver(/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)  # Django swaps the token for a session key
    set_url = form_page.redirect_chain[-1][0]
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "Your new password is saved" in done.content.decode()
    assert User.objects.get(pk=agent.pk).check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="team.password_reset")
    assert event.object_id == str(agent.pk) and event.detail == {}
    # Used once: the same link is now refused.
    again = client.get(link, follow=True)
    assert "This link cannot be used" in again.content.decode()
