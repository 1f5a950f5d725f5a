"""Pages write dates one way ("7 Dec 2026", "7 Dec 2026, 14:05") in the business time zone,
and no stored date, however far out, breaks a page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_the_timeline_writes_moments_in_the_business_time_zone(login, agent, make_event, settings):
    settings.TIME_ZONE = "Europe/Paris"
    ingest([make_event(occurred_at="2026-12-07T13:05:00Z")])
    body = login(agent).get(reverse("customer", args=[Person.objects.get().pk])).content.decode()
    assert "7 Dec 2026, 14:05" in body


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
@pytest.mark.parametrize(
    "when", [datetime(1, 1, 1, 0, 0, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
)
def test_no_page_fails_on_a_date_at_the_ends_of_time(
    login, agent, make_event, settings, zone, when
):
    settings.TIME_ZONE = zone
    ingest([make_event()])
    person = Person.objects.get()
    Touchpoint.objects.update(occurred_at=when)
    Person.objects.update(first_seen_at=when, last_activity_at=when)
    client = login(agent)
    page = client.get(reverse("customer", args=[person.pk]))
    assert page.status_code == 200
    assert f"{when.day} {when:%b} {when.year}" in page.content.decode()
    for sort in ("-activity", "activity", "since", "-since"):
        assert client.get(reverse("customers"), {"sort": sort}).status_code == 200


def test_every_page_links_the_favicon(login, agent, client):
    body = login(agent).get(reverse("customers")).content.decode()
    assert 'rel="icon"' in body and "favicon.svg" in body


def test_browsers_asking_for_favicon_ico_are_sent_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
