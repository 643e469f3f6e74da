"""The admin in a real browser: create a campaign, watch the counter, import, send, see delivery.

Runs headless Chromium (Debian's ``chromium`` and ``chromium-driver``) through Selenium against
pytest-django's ``live_server``; the worker runs in the test against the gateway simulator.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from django_letsads import text
from django_letsads.admin.balance import forget_balance
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from tests.browser.conftest import Browsers, session_browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="needs Chromium and chromedriver (apt-get install chromium chromium-driver)",
    ),
]

#: Texts whose counts the browser must compute exactly as text.analyze does.
TRICKY_TEXTS = [
    "",
    "Hello",
    "a" * 160,
    "a" * 161,
    "€" * 80,  # extension characters: 2 septets each
    "a" * 152 + "€",  # an extension character is not split across parts
    "Привіт, світ!",
    "😀" * 35,  # two UCS-2 units each
    "я" * 66 + "😀" + "я" * 10,
    "x" * 460,
    "Line one\nline two",
]


def start_browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--window-size=1400,1000",
        "--lang=en",
    ):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    return driver


@pytest.fixture
def browser(browsers: Browsers) -> Iterator[Any]:
    """Headless Chromium in English, 1400 x 1000: the session's one, as fresh (see conftest)."""
    ARTIFACTS.mkdir(exist_ok=True)
    yield from session_browser(
        browsers, "en-1400x1000", start_browser, window=(1400, 1000), implicit_wait=5
    )


def shot(driver: Any, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"admin-{name}.png"))


def counter(driver: Any) -> dict[str, str]:
    element = driver.find_element("id", "id_text_counter")
    return {
        "encoding": element.get_attribute("data-encoding"),
        "segments": element.get_attribute("data-segments"),
        "length": element.get_attribute("data-length"),
        "remaining": element.get_attribute("data-remaining"),
        "text": element.text,
    }


@pytest.mark.letsads_simulator(undelivered_share=0)
def test_campaign_from_form_to_delivered(
    browser: Any, live_server: Any, transactional_db: None, letsads_simulator: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import Select, WebDriverWait

    forget_balance()
    User.objects.create_superuser("admin", "admin@example.com", "secret-pw")

    # Log in.
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element("name", "username").send_keys("admin")
    browser.find_element("name", "password").send_keys("secret-pw")
    browser.find_element("css selector", "input[type=submit]").click()
    assert "Site administration" in browser.title or "Django" in browser.title

    # A new campaign; the counter follows the typing.
    browser.get(f"{live_server.url}/admin/django_letsads/campaign/add/")
    browser.find_element("name", "name").send_keys("Autumn sale")
    # The sender starts as LETSADS["SENDER"] ("Test" in the test settings).
    assert browser.find_element("name", "sender").get_attribute("value") == "Test"
    area = browser.find_element("name", "text")
    area.send_keys("Sale: -20% on everything")
    assert counter(browser) | {"text": ""} == {
        "encoding": "GSM-7",
        "segments": "1",
        "length": "24",
        "remaining": "136",
        "text": "",
    }
    # Braces are extension characters: two septets each. Doubled, since a single brace starts a
    # placeholder of the campaign's template.
    area.send_keys(" {{today}}")
    assert counter(browser)["length"] == "38"
    area.send_keys(" — Знижка")
    live = counter(browser)
    assert live["encoding"] == "UCS-2"
    assert live["length"] == str(text.analyze(area.get_attribute("value")).length)
    assert "UCS-2" in live["text"]
    assert "segments: 1" in live["text"]
    shot(browser, "1-form")

    # The browser's counter is text.analyze, for the tricky cases too.
    rules = json.loads(
        browser.find_element("id", "id_text_counter_config").get_attribute("textContent")
    )["rules"]
    assert rules == json.loads(json.dumps(text.export_rules()))
    for sample in TRICKY_TEXTS:
        in_browser = browser.execute_script(
            "return window.letsadsAnalyzeText(arguments[0], arguments[1]);", sample, rules
        )
        assert in_browser == text.analyze(sample).as_dict(), sample

    # Import a CSV with the save.
    csv_path = tmp_path / "recipients.csv"
    csv_path.write_text(
        "\ufeffphone;name\n+380 50 123 45 67;Olena\n0671234567;Petro\n380931234567;Iryna\n"
        "not a number;Bad\n0501234567;Olena again\n",
        encoding="utf-8",
    )
    browser.find_element("name", "recipients_file").send_keys(str(csv_path))
    browser.find_element("name", "_save").click()
    messages = browser.find_element("css selector", "ul.messagelist").text
    assert "3 added, 1 duplicate, 1 rejected" in messages
    assert "Line 5" in messages
    campaign = Campaign.objects.get(name="Autumn sale")
    assert campaign.messages.count() == 3
    shot(browser, "2-imported")

    # Send campaign: the confirmation, then the confirm.
    def run_action(value: str) -> None:
        browser.find_element("css selector", f"input.action-select[value='{campaign.pk}']").click()
        Select(browser.find_element("name", "action")).select_by_value(value)
        old_page = browser.find_element("tag name", "html")
        browser.find_element("css selector", "button[name=index]").click()
        # The next page, not the list still on screen while it loads.
        WebDriverWait(browser, 20).until(staleness_of(old_page))

    run_action("send_campaigns")
    page = browser.find_element("id", "content").text
    assert "Send campaigns?" in page
    assert "Account balance: 1000" in page
    shot(browser, "3-confirm")
    browser.find_element("name", "confirm").click()
    assert "being sent" in browser.find_element("css selector", "ul.messagelist").text
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING

    # The worker sends; the gateway delivers; polling brings the statuses home.
    call_command("letsads_send", stdout=io.StringIO())
    assert set(campaign.messages.values_list("status", flat=True)) == {Status.QUEUED}
    letsads_simulator.advance(600)
    browser.get(f"{live_server.url}/admin/django_letsads/campaign/")
    run_action("poll_campaigns_now")
    assert (
        "3 messages will have their status polled"
        in browser.find_element("css selector", "ul.messagelist").text
    )
    call_command("letsads_poll", stdout=io.StringIO())
    assert set(Message.objects.values_list("status", flat=True)) == {Status.DELIVERED}

    forget_balance()
    browser.get(f"{live_server.url}/admin/django_letsads/campaign/")
    row = browser.find_element("css selector", "#result_list tbody tr")
    assert "3 delivered" in row.text
    assert "100%" in row.text
    shot(browser, "4-delivered")

    # The messages and one message's history.
    browser.get(
        f"{live_server.url}/admin/django_letsads/message/?campaign__id__exact={campaign.pk}"
    )
    assert len(browser.find_elements("css selector", "#result_list tbody tr")) == 3
    browser.find_element("css selector", "#result_list tbody tr th a").click()
    assert "MESSAGE_IS_DELIVERED" in browser.find_element("id", "content").text
    shot(browser, "5-message")
