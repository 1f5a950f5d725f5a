"""A manager on a phone: opens Retention, saves a segment from filters, opens its members,
enters a month's spend, and sees it on the page; nothing scrolls sideways on the way.

Skipped unless DEVOTION_BROWSER_TESTS=1, like the other browser tests.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from django.urls import reverse

from devotion.demo.retention import ensure_retention
from devotion.retention.models import RetentionSpend, Segment
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD

if os.environ.get("DEVOTION_BROWSER_TESTS") != "1":
    pytest.skip("browser tests run with DEVOTION_BROWSER_TESTS=1", allow_module_level=True)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # see test_customer_journey.py

from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _overflow(page) -> int:
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_a_manager_saves_a_segment_and_enters_spend_on_a_phone(live_server, manager):
    # The demo's retention story: win-backs, quiet promoters, segments, a year of spend.
    ensure_retention(seed=3, today=date(2026, 3, 15))
    RetentionSpend.objects.all().delete()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, is_mobile=True, device_scale_factor=2)
        page = context.new_page()
        page.set_default_timeout(15_000)
        wide = {}
        try:
            page.goto(f"{live_server.url}{reverse('login')}")
            page.fill("#id_username", manager.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/customers/**")
            # 1. Retention from the navigation: cohorts, win-backs, defectors, segments.
            page.click("nav.mainnav >> text=Retention")
            page.wait_for_url("**/retention/")
            assert page.locator("#cohorts svg").count() == 1
            assert page.locator("#winbacks svg").count() == 2
            assert "LASTCHANCE30" not in page.content()  # coupons are costs, not shown raw
            assert page.locator("#defectors tbody tr").count() >= 5
            wide["retention"] = _overflow(page)
            # 2. A new segment from filters.
            page.click("text=New segment")
            wide["segment form"] = _overflow(page)
            page.fill("#id_name", "Loyal and quiet")
            page.fill("#id_f_order_count_gte", "5")
            page.fill("#id_f_last_activity_at_over", "60")
            page.click("text=Save segment")
            page.wait_for_url("**/retention/segments/*/")
            segment = Segment.objects.get(name="Loyal and quiet")
            assert f"/retention/segments/{segment.pk}/" in page.url
            assert page.locator("table.data tbody tr").count() >= 1
            wide["segment"] = _overflow(page)
            # 3. A month's spend, then the economics on the page.
            page.goto(f"{live_server.url}{reverse('retention-spend')}")
            page.fill("#id_month", "2026-02")
            page.fill("#id_acquisition_spend", "3000")
            page.fill("#id_retention_spend", "800")
            page.click("text=Save")
            page.wait_for_selector("text=Saved the spend of February 2026")
            wide["spend"] = _overflow(page)
            page.goto(f"{live_server.url}{reverse('retention')}#economics")
            assert "$3,000.00" in page.locator("#economics").inner_text()
        finally:
            context.close()
            browser.close()
    assert not {k: v for k, v in wide.items() if v > 0}, wide
