"""Scheduling a campaign from the admin in a real browser, then seeing when it starts in the list.

Uses the headless Chromium fixture of ``test_admin_browser``. The clock is not frozen (the
browser's cookies live on the real one); the time chosen is tomorrow, 10:00 in the site's zone,
so the test holds at any hour.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from django_letsads.admin.balance import forget_balance
from django_letsads.models import Campaign
from tests.browser.conftest import wait_for_login
from tests.browser.login import log_in
from tests.browser.test_admin_browser import browser, pytestmark, shot
from tests.factories import make_campaign, numbers

__all__ = ["browser", "pytestmark"]  # the fixture (used by name) and the browser marks


def test_schedule_a_campaign_and_see_when_it_starts(
    browser: Any, live_server: Any, transactional_db: None, letsads_simulator: Any, settings: Any
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import Select, WebDriverWait

    settings.TIME_ZONE = "Europe/Kyiv"
    forget_balance()
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT, name="Monday promo")
    zone = timezone.get_default_timezone()
    tomorrow = timezone.localtime(timezone.now(), zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10, 0), tzinfo=zone)

    log_in(browser, live_server)
    wait_for_login(browser)

    browser.get(f"{live_server.url}/admin/django_letsads/campaign/")
    browser.find_element("css selector", f"input.action-select[value='{campaign.pk}']").click()
    Select(browser.find_element("name", "action")).select_by_value("schedule_campaigns")
    browser.find_element("css selector", "button[name=index]").click()

    # The click starts a navigation: wait for the confirmation, not the list's old #content.
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: 'name="scheduled_at_0"' in b.page_source
    )
    page = browser.find_element("id", "content").text
    assert "Schedule campaigns?" in page
    assert "Account balance: 1000" in page
    date_input = browser.find_element("name", "scheduled_at_0")
    time_input = browser.find_element("name", "scheduled_at_1")
    date_input.clear()
    date_input.send_keys(tomorrow.isoformat())
    time_input.clear()
    time_input.send_keys("10:00")
    shot(browser, "schedule-1-confirm")
    browser.find_element("name", "confirm").click()

    assert "is scheduled" in browser.find_element("css selector", "ul.messagelist").text
    row = browser.find_element("css selector", "#result_list tbody tr").text
    assert f"starts {date_format(start, 'DATETIME_FORMAT')}" in row
    shot(browser, "schedule-2-list")
    campaign.refresh_from_db()
    assert (campaign.state, campaign.scheduled_at) == (Campaign.State.SCHEDULED, start)
