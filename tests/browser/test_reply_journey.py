"""An agent's reply journey in a real browser: open the queue, pick the most urgent item,
draft a reply that misses a point, see the coach flag it, fix it, send it, and the item
leaves the queue.

Skipped unless DEVOTION_BROWSER_TESTS=1 (``.ci/run`` sets it).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from devotion.followup.models import SlaPolicy, SupportTeam
from devotion.ingest.store import ingest
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD

if os.environ.get("DEVOTION_BROWSER_TESTS") != "1":
    pytest.skip("browser tests run with DEVOTION_BROWSER_TESTS=1", allow_module_level=True)

# See test_customer_journey.py: the test's own database work is plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def queue(settings):
    """Two customers waiting; the angry one (60 minutes, 40 gone) is the most urgent."""
    settings.MAILERS = {"default": {"BACKEND": "devotion.core.mail.OutboxBackend"}}
    # A transactional test may start from tables an earlier one emptied: make sure of them.
    SupportTeam.objects.update_or_create(
        name="Support", defaults={"hours": "daily 00:00-24:00", "timezone": "UTC"}
    )
    SupportTeam.objects.exclude(name="Support").delete()
    if not SlaPolicy.objects.exists():
        SlaPolicy.objects.create(name="Everything else", first_reply_minutes=480)
    now = datetime.now(UTC)

    def message(n, minutes, name, email, subject, text):
        return {
            "kind": "message",
            "source": "helpdesk",
            "external_id": f"m-{n}",
            "occurred_at": (now - timedelta(minutes=minutes)).isoformat(),
            "person": {"email": email, "name": name},
            "channel": "email",
            "direction": "in",
            "thread": f"HD-{n}",
            "subject": subject,
            "text": text,
        }

    ingest(
        [
            message(1, 10, "Ben Cho", "ben@example.com", "Gift cards", "Do you sell gift cards?"),
            message(
                2,
                40,
                "Maya Okafor",
                "maya@example.com",
                "Dented kettle",
                "My kettle arrived dented. Can you send a replacement? "
                "Also, what is your returns address?",
            ),
        ]
    )


def test_an_agent_answers_the_most_urgent_item_with_the_coach(
    live_server, browser_page, agent, queue
):
    page = browser_page
    # 1. Log in and open the queue: the dented kettle leads.
    page.goto(f"{live_server.url}/queue/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".queue-item").first).to_contain_text("Dented kettle")
    expect(page.locator(".queue-count")).to_contain_text("2 waiting")
    # 2. Pick it; write a reply that forgets the returns address.
    page.locator(".q-subject").first.click()
    expect(page.locator("h1")).to_have_text("Dented kettle")
    page.fill(
        "#id_text",
        "Hi Maya, we are sorry the kettle arrived dented. We will send a replacement kettle today.",
    )
    coach = page.locator("#coach")
    expect(coach).to_contain_text("not answered")
    expect(coach).to_contain_text("what is your returns address?")
    # 3. Fix it: the coach now finds every point answered.
    page.fill(
        "#id_text",
        "Hi Maya, we are sorry the kettle arrived dented. We will send a replacement kettle "
        "today, and you can keep the dented one. Our returns address is 12 Mill Lane, Leeds.",
    )
    expect(coach).not_to_contain_text("not answered")
    expect(coach).to_contain_text("✓ answered")
    # 4. Send it: e-mailed, and the item leaves the queue.
    page.click("button:has-text('Send reply')")
    expect(page.locator(".messages")).to_contain_text("Reply e-mailed to maya@example.com")
    page.goto(f"{live_server.url}/queue/")
    expect(page.locator(".queue-count")).to_contain_text("1 waiting")
    expect(page.locator(".queue-list")).not_to_contain_text("Dented kettle")
