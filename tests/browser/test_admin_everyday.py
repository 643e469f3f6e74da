"""The admin as people use it every day, in Chromium at 1400 x 900, in English and Ukrainian.

Live progress reaching *done* without a reload, a list that fits the window, breadcrumbs that
look like Django's own on the running version. Screenshots of the English pages go to
``docs/images/`` (the README shows them) when ``LETSADS_SCREENSHOTS=docs``; every run writes
them to ``test-artifacts/``.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from django_letsads.admin.balance import forget_balance
from django_letsads.campaigns import poll_now
from django_letsads.models import Campaign
from django_letsads.status import Status
from tests.browser.conftest import Browsers, session_browser, wait_for_login
from tests.factories import make_campaign, numbers

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1400, 900
#: The screenshots the README shows (docs/images/<name>.png).
DOCS = {"admin-campaigns", "admin-live-progress", "admin-campaign-form", "admin-confirm"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="needs Chromium and chromedriver (apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture(params=["en", "uk"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def start_browser(language: str) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--lang={language}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # The viewport (not the window with its frame) is 1400 x 900, as on a laptop.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.implicitly_wait(2)
    return driver


@pytest.fixture
def browser(browsers: Browsers, language: str) -> Iterator[Any]:
    """Chromium in the language: the session's one, as fresh (tests/browser/conftest.py)."""
    yield from session_browser(
        browsers,
        f"everyday-{language}",
        lambda: start_browser(language),
        window=None,  # the viewport is emulated, and no test changes it
        implicit_wait=2,
    )


def shot(driver: Any, name: str, language: str) -> None:
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    driver.save_screenshot(str(artifacts / f"everyday-{name}-{language}.png"))
    if os.environ.get("LETSADS_SCREENSHOTS") == "docs" and language == "en" and name in DOCS:
        driver.save_screenshot(str(ROOT / "docs" / "images" / f"{name}.png"))


def log_in(browser: Any, live_server: Any) -> None:
    User.objects.create_superuser("admin", "admin@example.com", "secret-pw")
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element("name", "username").send_keys("admin")
    browser.find_element("name", "password").send_keys("secret-pw")
    browser.find_element("css selector", "input[type=submit]").click()
    wait_for_login(browser)


def wait_until(condition: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def overflow(browser: Any) -> dict[str, int]:
    return dict(
        browser.execute_script(
            "var e = document.documentElement;"
            "return {scroll: e.scrollWidth, client: e.clientWidth};"
        )
    )


@pytest.mark.letsads_simulator(undelivered_share=0)
def test_live_progress_reaches_done_without_a_reload(
    browser: Any, language: str, live_server: Any, transactional_db: None, letsads_simulator: Any
) -> None:
    forget_balance()
    log_in(browser, live_server)
    campaign = make_campaign(numbers(6), name="Autumn sale")
    make_campaign(numbers(4, start=100), name="Summer newsletter", state=Campaign.State.DONE)

    browser.get(f"{live_server.url}/admin/django_letsads/campaign/")
    browser.execute_script("window.letsadsSamePage = true;")
    state = f"[data-letsads-state='{campaign.pk}']"
    rate = f"[data-letsads-rate='{campaign.pk}']"
    assert browser.find_element("css selector", rate).text == "—"

    accepted = f".letsads-live[data-letsads-campaign='{campaign.pk}'] [data-status='accepted']"
    assert not browser.find_elements("css selector", accepted)

    call_command("letsads_send", stdout=io.StringIO())
    assert wait_until(
        lambda: any(
            e.text.startswith("6 ") for e in browser.find_elements("css selector", accepted)
        )
    )
    assert browser.find_element("css selector", rate).text == "—"  # nothing final yet
    shot(browser, "admin-live-progress", language)

    letsads_simulator.advance(600)
    poll_now(campaign.messages.all())  # what "Poll statuses now" does, without the clicks
    call_command("letsads_poll", stdout=io.StringIO())
    assert set(campaign.messages.values_list("status", flat=True)) == {Status.DELIVERED}
    done_label = str(Campaign.State.DONE.label) if language == "en" else "завершена"
    assert wait_until(lambda: browser.find_element("css selector", state).text == done_label), (
        browser.find_element("css selector", state).text
    )
    assert browser.find_element("css selector", rate).text == "100%"
    assert browser.execute_script("return window.letsadsSamePage === true;")
    # Nothing is sending any more: the page stops asking.
    assert (
        browser.find_element(
            "css selector", f".letsads-live[data-letsads-campaign='{campaign.pk}']"
        ).get_attribute("data-letsads-active")
        == "0"
    )
    shot(browser, "admin-campaigns", language)


def test_the_campaign_list_fits_1400_pixels(
    browser: Any, language: str, live_server: Any, transactional_db: None
) -> None:
    forget_balance()
    log_in(browser, live_server)
    names = ["Spring sale for loyal customers", "Black Friday reminder", "Winter newsletter"]
    for index, name in enumerate(names):
        campaign = make_campaign(numbers(20, start=100 * index), name=name)
        for status, count in [(Status.DELIVERED, 8), (Status.QUEUED, 5), (Status.FAILED, 2)]:
            ids = list(
                campaign.messages.filter(status=Status.PENDING).values_list("pk", flat=True)[:count]
            )
            campaign.messages.filter(pk__in=ids).update(status=status)

    browser.get(f"{live_server.url}/admin/django_letsads/campaign/")
    shot(browser, "admin-campaign-list", language)
    sidebar = browser.find_elements("id", "nav-sidebar")
    assert sidebar
    assert sidebar[0].is_displayed()  # the sidebar is open, as by default at this width

    sizes = overflow(browser)
    assert sizes["scroll"] <= sizes["client"], sizes
    # Django's result table scrolls inside its own box rather than the page.
    results = browser.find_element("css selector", "#changelist .results")
    inner = browser.execute_script(
        "return {scroll: arguments[0].scrollWidth, client: arguments[0].clientWidth};", results
    )
    assert inner["scroll"] <= inner["client"], inner
    # A name takes at most two lines.
    lines = browser.execute_script(
        "var link = document.querySelector('#result_list tbody th a');"
        "var rects = Array.from(link.getClientRects()).map(function (r) { return r.top; });"
        "return new Set(rects).size;"
    )
    assert lines <= 2


def test_the_campaign_page_and_the_confirmation_fit_and_look_like_django(
    browser: Any, language: str, live_server: Any, transactional_db: None, letsads_simulator: Any
) -> None:
    from selenium.webdriver.support.ui import Select

    forget_balance()
    log_in(browser, live_server)
    campaign = make_campaign(
        numbers(5), name="Autumn sale", state=Campaign.State.DRAFT, text="Sale: -20% today"
    )

    browser.get(f"{live_server.url}/admin/django_letsads/campaign/{campaign.pk}/change/")
    assert overflow(browser)["scroll"] <= overflow(browser)["client"]
    area = browser.find_element("name", "text").rect
    counter = browser.find_element("id", "id_text_counter").rect
    assert counter["y"] >= area["y"] + area["height"]  # under the textarea,
    assert abs(counter["x"] - area["x"]) < 2  # aligned with it, like a help text
    shot(browser, "admin-campaign-form", language)

    browser.get(f"{live_server.url}/admin/django_letsads/campaign/")
    browser.find_element("css selector", f"input.action-select[value='{campaign.pk}']").click()
    Select(browser.find_element("name", "action")).select_by_value("send_campaigns")
    browser.find_element("css selector", "button[name=index]").click()
    browser.find_element("name", "confirm")

    # Breadcrumbs on one line, without list numbers, on Django 5.2 as on 6.
    crumbs = browser.find_elements("css selector", ".breadcrumbs a")
    assert len(crumbs) == 3
    assert len({round(link.rect["y"]) for link in crumbs}) == 1
    marker = browser.execute_script(
        "var b = document.querySelector('.breadcrumbs');"
        "var li = b.querySelector('li');"
        "return li ? getComputedStyle(li).display + ' ' + getComputedStyle(b).listStyleType : 'div';"
    )
    assert "list-item" not in marker, marker
    assert overflow(browser)["scroll"] <= overflow(browser)["client"]
    # Both buttons on one line, the same height.
    submit = browser.find_element("name", "confirm").rect
    cancel = browser.find_element("css selector", ".letsads-buttons .cancel-link").rect
    assert abs(submit["y"] - cancel["y"]) < 1
    assert abs(submit["height"] - cancel["height"]) < 1
    # Text left, numbers right.
    sender = browser.find_element("css selector", "#result_list tbody td.text")
    number = browser.find_element("css selector", "#result_list tbody td.num")
    assert sender.value_of_css_property("text-align") in ("left", "start")
    assert number.value_of_css_property("text-align") == "right"
    shot(browser, "admin-confirm", language)
