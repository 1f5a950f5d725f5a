"""No page scrolls sideways on a 390 px phone: the body fits, and wide tables scroll inside
their own wrapper. Every signed-in page an admin can open is visited with realistic, long
content (long e-mails, URLs, error messages), plus the pages for people not signed in: sign-in,
password reset and an invitation to join.

Skipped unless DEVOTION_BROWSER_TESTS=1, like the other browser tests.
"""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from devotion.core import jobs
from devotion.core.models import OutboxMessage
from devotion.ingest.models import ImportRun
from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.team import membership
from devotion.team.models import Role
from devotion.trust.models import AuditEvent
from devotion.webhooks.models import Delivery, Subscription
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD

if os.environ.get("DEVOTION_BROWSER_TESTS") != "1":
    pytest.skip("browser tests run with DEVOTION_BROWSER_TESTS=1", allow_module_level=True)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # see test_customer_journey.py

from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG_EMAIL = "maximilian.alexander.wolfeschlegelsteinhausen@extraordinarily-long-domain.example"


@pytest.fixture
def content(make_event, admin_user):
    """One of everything, with the longest values a real business has."""
    ingest(
        [
            make_event(
                external_id="o-1",
                occurred_at="2025-03-01T10:00:00Z",
                amount="1234567.89",
                person={"email": LONG_EMAIL, "name": "Maximilian Alexander Wolfeschlegelstein"},
                lines=[{"product_id": "SKU-" + "9" * 30, "product_name": "Mug " * 20}],
            ),
            make_event(
                kind="message",
                source="zendesk",
                external_id="t-1",
                direction="in",
                channel="email",
                occurred_at="2025-04-01T10:00:00Z",
                subject="A very long subject line " * 5,
                text="https://example.com/" + "a" * 300,
                person={"email": LONG_EMAIL},
            ),
            make_event(external_id="o-2", person={"email": "ada@example.com", "name": "Ada"}),
        ]
    )
    person = Person.objects.get(primary_email=LONG_EMAIL)
    hook = Subscription.objects.create(
        url="https://hooks.example.com/" + "deliveries/" * 20,
        events=["person.created", "touchpoint.created", "people.merged"],
        description="Sends every new customer to the CRM " * 3,
        created_by=admin_user,
    )
    Delivery.objects.create(
        subscription=hook,
        event="touchpoint.created",
        event_id="e" * 32,
        payload={"touchpoint_id": 1},
        status="failed",
        attempts=5,
        last_error="connection refused by the receiver: " + "x" * 200,
        person_id=person.pk,
    )
    run = ImportRun.objects.create(
        kind="orders",
        source="shopify",
        filename="orders_export_" + "2025_" * 15 + ".csv",
        status="done",
        rows_total=10,
        rows_rejected=1,
        rejects_preview=[{"line": 3, "reason": "Email 'x' is not an e-mail address " * 4}],
        people_created=1,
        people_created_first=person.pk,
        people_created_last=person.pk,
    )
    # A job with a long label and log, besides the import's own.
    job = jobs.create("score", "Score every customer of the shop " * 4, queue="default")
    job.write_log("Scored 1,234,567 of 2,345,678 customers; " + "y" * 200)
    invitation = membership.invite(
        "a.new.teammate.with.a.very.long.address@extraordinarily-long-domain.example",
        Role.MANAGER,
        by=admin_user,
    )
    message = OutboxMessage.objects.create(
        to=LONG_EMAIL,
        from_email="Devotion <no-reply@extraordinarily-long-domain.example>",
        subject="You are invited to join the team on Devotion " * 3,
        text_body="Follow this link: https://devotion.example/invitation/" + "t" * 300,
        status="failed",
        error="SMTP 550: mailbox unavailable " + "z" * 200,
    )
    for _ in range(3):
        AuditEvent.objects.create(
            actor=admin_user,
            actor_label=f"user:{admin_user.pk}",
            action="person.view",
            object_type="person",
            object_id=str(person.pk),
        )
    return {
        "person": person,
        "hook": hook,
        "run": run,
        "job": job,
        "invitation": invitation,
        "message": message,
    }


def _urls(content) -> list[str]:
    person, hook, run = content["person"], content["hook"], content["run"]
    return [
        reverse("customers"),
        reverse("customers") + "?q=max",
        reverse("customers") + "?stage=active&consent=email:unknown&source=shopify&sort=-spend",
        reverse("customers") + f"?import={run.pk}",
        reverse("customer", args=[person.pk]),
        reverse("merge-search", args=[person.pk]) + "?q=ada",
        reverse("person-erase", args=[person.pk]),
        reverse("imports"),
        reverse("import", args=[run.pk]),
        reverse("webhooks"),
        reverse("webhook", args=[hook.pk]),
        reverse("webhook-create"),
        reverse("webhook-edit", args=[hook.pk]),
        reverse("apikeys"),
        reverse("apikey-create"),
        reverse("audit"),
        reverse("team"),
        reverse("jobs"),
        reverse("job", args=[content["job"].pk]),
        reverse("job", args=[run.job_id]),
        reverse("outbox"),
        reverse("outbox-message", args=[content["message"].pk]),
    ]


def _public_urls(content) -> list[str]:
    """Pages for people who are not signed in."""
    return [
        reverse("login"),
        reverse("password_reset"),
        reverse("invitation-accept", args=[membership.token(content["invitation"])]),
    ]


def _overflow(page) -> int:
    """How many pixels wider than the screen the page is (0 when it fits)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def _widest(page) -> list[str]:
    """The elements that reach past the screen's right edge, to say what to fix."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && !e.closest('.table-wrap'))
            .slice(-5)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""
    )


def test_no_page_scrolls_sideways_on_a_phone(live_server, admin_user, content):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, is_mobile=True, device_scale_factor=2)
        page = context.new_page()
        page.set_default_timeout(15_000)
        wide = {}
        try:
            for url in _public_urls(content):
                response = page.goto(f"{live_server.url}{url}")
                assert response is not None and response.ok, (
                    f"{url}: {response and response.status}"
                )
                if (extra := _overflow(page)) > 0:
                    wide[url] = (extra, _widest(page))
            page.goto(f"{live_server.url}{reverse('login')}")
            page.fill("#id_username", admin_user.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/customers/**")
            for url in _urls(content):
                response = page.goto(f"{live_server.url}{url}")
                assert response is not None and response.ok, (
                    f"{url}: {response and response.status}"
                )
                if (extra := _overflow(page)) > 0:
                    wide[url] = (extra, _widest(page))
        finally:
            context.close()
            browser.close()
    assert not wide, f"pages wider than a 390 px screen (extra px): {wide}"
