"""Settings > Outbox: admins read every e-mail Devotion sent or kept, one by one."""

from __future__ import annotations

import pytest

from devotion.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _messages(n: int) -> list[OutboxMessage]:
    return [
        OutboxMessage.objects.create(
            to=f"person{i}@shop.example",
            from_email="devotion@shop.example",
            subject=f"Message {i}",
            text_body=f"Hello {i}",
            html_body=f"<p>Hello <b>{i}</b></p><script>alert(1)</script>",
            status="failed" if i % 10 == 0 else "kept",
            error="ConnectionRefusedError: [Errno 111]" if i % 10 == 0 else "",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("persona", ["agent", "manager", "outsider"])
def test_only_admins_read_the_outbox(persona, request, login):
    message = _messages(1)[0]
    client = login(request.getfixturevalue(persona))
    assert client.get("/settings/outbox/").status_code == 403
    assert client.get(f"/settings/outbox/{message.pk}/").status_code == 403


def test_only_admins_are_shown_the_link(manager, admin_user, login):
    assert b'href="/settings/outbox/"' not in login(manager).get("/settings/team/").content
    assert b'href="/settings/outbox/"' in login(admin_user).get("/settings/team/").content


def test_an_empty_outbox_says_what_will_appear(admin_user, login):
    body = login(admin_user).get("/settings/outbox/").content.decode()
    assert "No e-mail yet" in body and 'href="/settings/team/"' in body


def test_it_lists_newest_first_in_pages_with_a_fixed_number_of_queries(
    admin_user, login, django_assert_max_num_queries
):
    _messages(60)
    client = login(admin_user)
    with django_assert_max_num_queries(6):
        response = client.get("/settings/outbox/")
    rows = response.context["page"].rows
    assert [m.subject for m in rows[:2]] == ["Message 59", "Message 58"]
    assert len(rows) == 50
    older = client.get(f"/settings/outbox/?cursor={response.context['page'].older}")
    assert len(older.context["page"].rows) == 10


def test_it_filters_by_status(admin_user, login):
    _messages(30)
    rows = login(admin_user).get("/settings/outbox/?status=failed").context["page"].rows
    assert {m.status for m in rows} == {"failed"} and len(rows) == 3


def test_a_message_shows_its_parts_with_the_html_sandboxed(admin_user, login):
    message = _messages(1)[0]
    body = login(admin_user).get(f"/settings/outbox/{message.pk}/").content.decode()
    assert "person0@shop.example" in body and "Hello 0" in body
    assert "ConnectionRefusedError" in body
    # The HTML part is escaped into a sandboxed frame: its script never runs in our page.
    assert '<iframe class="mail-html" sandbox ' in body
    assert "<script>alert(1)</script>" not in body


def test_the_page_says_when_mail_is_only_kept(admin_user, login, settings):
    settings.MAIL_MODE = "outbox"
    assert "E-mail is not sent" in login(admin_user).get("/settings/outbox/").content.decode()
    settings.MAIL_MODE = "smtp"
    body = login(admin_user).get("/settings/outbox/").content.decode()
    assert "E-mail goes out through the SMTP server" in body
