"""A channel written as a platform ("instagram", "trustpilot") is stored as its channel and
keeps which platform it was, on both import lanes, and the timeline says it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devotion.ingest.events import validate_event
from devotion.ingest.store import ingest
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_a_platform_name_is_kept_beside_its_channel(make_event):
    event = validate_event(make_event(kind="social_comment", channel="Instagram"))
    assert (event.channel, event.extra) == ("social", {"platform": "instagram"})
    # The event's own platform wins; a channel code itself adds nothing.
    own = make_event(kind="social_comment", channel="instagram", extra={"platform": "ig"})
    assert validate_event(own).extra == {"platform": "ig"}
    assert validate_event(make_event(kind="review", channel="review_site")).extra == {}
    assert validate_event(make_event(channel="shop")).extra == {}  # store: one place, no platform


def test_the_timeline_shows_the_platform(make_event, login, agent):
    ingest([make_event(kind="social_comment", channel="facebook", text="Love the mugs!",
                       person={"email": "ada@example.com", "name": "Ada"})])  # fmt: skip
    tp = Touchpoint.objects.get()
    assert (tp.channel, tp.extra) == ("social", {"platform": "facebook"})
    page = login(agent).get(reverse("customer", args=[tp.person_id])).content.decode()
    assert "Social · Facebook" in page
