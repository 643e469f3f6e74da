"""The unsubscribe link in a real browser: from the SMS the simulator received to the stop list.

No login and no JavaScript needed on the public page; the admin then lists the number.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

from django_letsads.models import Campaign, OptOut
from tests.browser.conftest import wait_for_login
from tests.browser.login import log_in
from tests.browser.test_admin_browser import browser, pytestmark, shot  # noqa: F401 - fixture
from tests.factories import make_campaign


@pytest.mark.letsads_simulator(undelivered_share=0)
def test_a_recipient_unsubscribes_from_the_link_in_the_sms(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    transactional_db: None,
    letsads_simulator: Any,
    settings: Any,
) -> None:
    settings.LETSADS = {**settings.LETSADS, "UNSUBSCRIBE_BASE_URL": f"{live_server.url}/sms/"}
    campaign = make_campaign(
        ["380501234567", "380671234567"], text="Sale -20%! Stop: {unsubscribe_url}"
    )

    # The worker sends; the SMS as the gateway received it carries a per-recipient link.
    call_command("letsads_send", stdout=io.StringIO())
    [sms] = [e for e in letsads_simulator.sends() if e.recipients == ("380501234567",)]
    link = re.search(r"http://\S+", sms.text).group(0)
    assert len(link) <= len(f"{live_server.url}/sms/") + 12

    # The recipient opens it: one button, nothing changed yet.
    browser.get(link)
    assert browser.find_element("css selector", "h1").text == "Unsubscribe from SMS"
    assert "•••• 4567" in browser.find_element("id", "letsads-unsubscribe").text
    assert not OptOut.objects.exists()
    shot(browser, "unsubscribe-1-page")
    browser.find_element("id", "letsads-unsubscribe-button").click()
    # The click starts a navigation: wait for the new page, not the old page's heading.
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element("css selector", "h1").text == "You are unsubscribed"
    )
    shot(browser, "unsubscribe-2-done")

    # The admin's stop list shows the number, from the link of this campaign.
    log_in(browser, live_server)
    wait_for_login(browser)
    browser.get(f"{live_server.url}/admin/django_letsads/optout/")
    rows = browser.find_elements("css selector", "#result_list tbody tr")
    assert len(rows) == 1
    assert "380501234567" in rows[0].text
    assert campaign.name in rows[0].text
    shot(browser, "unsubscribe-3-admin")
    assert OptOut.objects.get().campaign_id == campaign.pk
    assert Campaign.objects.get().opt_outs.count() == 1
