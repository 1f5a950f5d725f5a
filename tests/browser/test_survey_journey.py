"""A survey from end to end in a real browser: a manager creates and sends it; a customer
answers on a phone with JavaScript off; the manager reads the answer. No page scrolls sideways
at 390 px.

Skipped unless DEVOTION_BROWSER_TESTS=1, like the other browser tests.
"""

from __future__ import annotations

import os
import re

import pytest
from django.core import mail

from devotion.core import queues
from devotion.touchpoints.models import Touchpoint
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD
from tests.survey_helpers import customers, links_in

if os.environ.get("DEVOTION_BROWSER_TESTS") != "1":
    pytest.skip("browser tests run with DEVOTION_BROWSER_TESTS=1", allow_module_level=True)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # see test_customer_journey.py

from playwright.sync_api import expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _overflow(page) -> int:
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


@pytest.fixture(autouse=True)
def _run_tasks_now(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": queues.QUEUES,
        }
    }


def test_a_survey_is_sent_answered_on_a_phone_without_javascript_and_read(live_server, manager):
    customers()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        staff = browser.new_context(viewport={"width": 1280, "height": 900})
        phone = browser.new_context(
            viewport=PHONE, is_mobile=True, device_scale_factor=2, java_script_enabled=False
        )
        try:
            # 1. The manager creates a survey and sees who it will reach.
            page = staff.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", manager.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{live_server.url}/surveys/")
            page.click("text=New survey")
            page.fill("#id_name", "Spring NPS")
            page.fill("#id_sender", "Hearth & Bean")
            page.select_option("#id_kind", "nps")
            page.select_option("#id_target", "kind:order")
            page.fill("#id_target_days", "30")
            page.click("text=Save draft and preview")
            expect(page.locator("h2", has_text="Who it will reach")).to_be_visible()
            # 2. Sends it.
            page.click("text=Send to 3 people")
            expect(page.locator(".msg-success")).to_contain_text("Sending started")
            assert len(mail.outbox) == 3
            message = next(m for m in mail.outbox if "ada@example.com" in m.to)
            link = next(
                u for u in links_in(message.body) if "/surveys/a/" in u and "unsub" not in u
            )
            # 3. Ada answers on her phone, JavaScript off.
            mobile = phone.new_page()
            mobile.set_default_timeout(15_000)
            mobile.goto(f"{live_server.url}{link}")
            assert _overflow(mobile) <= 0
            mobile.click("label.score-option:has-text('9')")
            mobile.fill("textarea[name=comment]", "Lovely beans; delivery was a day late.")
            mobile.click("text=Send my answer")
            expect(mobile.locator("h1")).to_have_text("Thank you")
            assert Touchpoint.objects.get(kind="survey_answer").rating == 9
            # 4. The manager reads it on the survey page (and the page fits a phone).
            page.reload()
            expect(page.locator(".answer-text")).to_contain_text("delivery was a day late")
            survey_url = page.url
            small = staff.new_page()
            small.set_viewport_size(PHONE)
            for url in (
                f"{live_server.url}/surveys/",
                survey_url,
                f"{live_server.url}/surveys/new/",
            ):
                small.goto(url)
                assert _overflow(small) <= 0, url
            assert re.search(r"/surveys/\d+/$", survey_url)
        finally:
            staff.close()
            phone.close()
            browser.close()
