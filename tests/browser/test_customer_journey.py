"""An agent's main journey in a real browser: log in, find a customer, read their timeline.

Drives Debian's Chromium through Playwright against pytest-django's live server. Skipped
unless DEVOTION_BROWSER_TESTS=1 (``.ci/run`` sets it), so ``make test`` needs no browser.
"""

from __future__ import annotations

import os
import re

import pytest

from devotion.ingest.store import ingest
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD

if os.environ.get("DEVOTION_BROWSER_TESTS") != "1":
    pytest.skip("browser tests run with DEVOTION_BROWSER_TESTS=1", allow_module_level=True)

# Playwright's sync API runs an asyncio event loop in this thread, and Django refuses
# synchronous database calls from a thread with a running loop. The test's own database
# work (fixtures, ingest) is plain synchronous code, so it is safe to allow it here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def shop(make_event):
    ingest(
        [
            make_event(
                external_id="o-1",
                occurred_at="2025-03-01T10:00:00Z",
                person={"email": "ada@example.com", "name": "Ada Lovelace"},
                lines=[{"product_id": "SKU-1", "product_name": "Blue mug", "quantity": 1}],
            ),
            make_event(
                kind="message",
                source="zendesk",
                external_id="t-1",
                direction="in",
                channel="email",
                occurred_at="2025-04-01T10:00:00Z",
                subject="Broken handle",
                text="The mug arrived with a broken handle.",
                person={"email": "ada@example.com"},
            ),
            make_event(
                external_id="o-2",
                occurred_at="2025-05-01T10:00:00Z",
                person={"email": "grace@navy.example", "name": "Grace Hopper"},
            ),
        ]
    )


def test_an_agent_finds_a_customer_and_reads_the_timeline(live_server, browser_page, agent, shop):
    page = browser_page
    # 1. Log in.
    page.goto(f"{live_server.url}/customers/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/customers/"))
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.locator("table.customers tbody tr")).to_have_count(2)

    # 2. Search: typing narrows the table without a page load (htmx), and the URL follows.
    page.fill("#q", "lovelace")
    expect(page.locator("table.customers tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=lovelace"))

    # 3. Open the customer page.
    page.get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    entries = page.locator("ol.timeline > li")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("Broken handle")
    expect(entries.nth(1)).to_contain_text("Blue mug")

    # 4. Filter the timeline to orders.
    page.locator(".chips").get_by_role("link", name="Order").click()
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Blue mug")
    expect(page).to_have_url(re.compile(r"kind=order"))
