"""The Django admin: branded, linked back to the app, and read-only for people and merges."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from devotion.people.models import Identity, Merge, Person
from devotion.touchpoints.models import Touchpoint
from devotion.trust.privacy import erase_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(admin_user) -> User:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_user


@pytest.fixture
def ada() -> Person:
    person = Person.objects.create(primary_email="ada@example.com")
    person.set_name("Ada Lovelace")
    person.save()
    Identity.objects.create(person=person, kind="email", value="ada@example.com")
    return person


def test_the_admin_is_branded_and_links_back_to_the_app(login, superuser):
    html = login(superuser).get("/admin/").content.decode()
    assert "<title>Raw data, for troubleshooting" in html
    assert "Devotion administration" in html
    assert '<a href="/customers/">&larr; Back to Devotion</a>' in html


def test_the_admin_sign_in_page_is_branded(client):
    assert "Devotion administration" in client.get("/admin/login/").content.decode()


def test_a_person_can_be_viewed_but_not_changed_in_the_admin(login, superuser, ada):
    client = login(superuser)
    page = client.get(f"/admin/people/person/{ada.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "ada@example.com" in html
    assert 'name="_save"' not in html  # no save button
    assert "deletelink" not in html
    response = client.post(
        f"/admin/people/person/{ada.pk}/change/", {"primary_email": "x@example.com"}
    )
    assert response.status_code == 403
    ada.refresh_from_db()
    assert ada.primary_email == "ada@example.com"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/people/person/add/",
        "/admin/people/person/{pk}/delete/",
        "/admin/people/merge/add/",
    ],
)
def test_people_cannot_be_added_or_deleted_in_the_admin(login, superuser, ada, url):
    client = login(superuser)
    assert client.get(url.format(pk=ada.pk)).status_code == 403
    assert client.post(url.format(pk=ada.pk), {"post": "yes"}).status_code == 403
    assert Person.objects.filter(pk=ada.pk).exists()


def test_the_bulk_delete_action_is_gone_from_the_people_list(login, superuser, ada):
    html = login(superuser).get("/admin/people/person/").content.decode()
    assert "delete_selected" not in html
    response = login(superuser).post(
        "/admin/people/person/", {"action": "delete_selected", "_selected_action": [ada.pk]}
    )
    assert Person.objects.filter(pk=ada.pk).exists()
    assert response.status_code in (200, 302)


def test_identities_and_merges_are_read_only_too(login, superuser, ada):
    other = Person.objects.create(primary_email="b@example.com")
    merge = Merge.objects.create(winner=ada, loser=other, reason="same e-mail")
    client = login(superuser)
    assert client.post(f"/admin/people/merge/{merge.pk}/change/", {}).status_code == 403
    html = client.get(f"/admin/people/person/{ada.pk}/change/").content.decode()
    assert 'name="identities-0-value"' not in html  # the inline shows values, no inputs


def _log(user: User, obj: object, text: str) -> LogEntry:
    return LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),  # type: ignore[attr-defined]
        object_repr=text,
        action_flag=CHANGE,
        change_message=f'[{{"changed": {{"fields": ["{text}"]}}}}]',
        action_time=timezone.now(),
    )


def test_erasing_a_person_scrubs_admin_log_entries_about_them_and_their_rows(superuser, ada):
    touchpoint = Touchpoint.objects.create(
        person=ada, kind="note", source="web", external_id="n1", occurred_at=timezone.now()
    )
    bob = Person.objects.create(primary_email="bob@example.com")
    entries = [
        _log(superuser, ada, "Ada Lovelace"),
        _log(superuser, ada.identities.get(), "email:ada@example.com"),
        _log(superuser, touchpoint, "note by Ada Lovelace"),
    ]
    kept = _log(superuser, bob, "Bob Babbage")

    erase_person(ada)

    for entry in entries:
        entry.refresh_from_db()
        assert entry.object_repr == "(erased person)"
        assert entry.change_message == ""
        assert entry.user == superuser  # who did what, and when, stays on record
    kept.refresh_from_db()
    assert kept.object_repr == "Bob Babbage"
    assert "Ada" not in " ".join(LogEntry.objects.values_list("object_repr", flat=True))
