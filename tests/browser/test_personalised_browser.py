"""The counter's longest and shortest renderings of a personalised text, in a real browser."""

from __future__ import annotations

from typing import Any

from django_letsads import text
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from tests.browser import test_admin_browser
from tests.browser.login import log_in
from tests.browser.test_admin_browser import shot
from tests.factories import numbers

pytestmark = test_admin_browser.pytestmark
browser = test_admin_browser.browser  # the same headless Chromium fixture

ROWS: list[dict[str, str] | None] = [
    {"name": "Ann", "city": "Lviv"},
    {"name": "Олександра", "city": "Kyiv"},
    {"name": "Bartholomew", "city": "<b>Odesa</b>"},
    {"city": "Dnipro"},
    None,
]


def test_typing_a_template_shows_the_longest_and_shortest_rendering(
    browser: Any, live_server: Any, transactional_db: None
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    campaign = Campaign.objects.create(
        name="Personal", sender="Test", text="Hi", state=Campaign.State.DRAFT
    )
    Message.objects.bulk_create(
        Message(campaign=campaign, recipient=number, data=data, status=Status.PENDING)
        for number, data in zip(numbers(len(ROWS)), ROWS, strict=True)
    )
    log_in(browser, live_server)
    WebDriverWait(browser, 10).until(lambda driver: "Site administration" in driver.title)

    browser.get(f"{live_server.url}/admin/django_letsads/campaign/{campaign.pk}/change/")
    area = browser.find_element("name", "text")
    area.clear()
    area.send_keys("Hi {name|friend} from {city}!")

    def rendered(driver: Any) -> Any:
        nodes = driver.find_elements("css selector", ".letsads-longest-text")
        return nodes and nodes[0].text

    WebDriverWait(browser, 10).until(rendered)
    longest = browser.find_element("css selector", ".letsads-longest-text").text
    shortest = browser.find_element("css selector", ".letsads-shortest-text").text
    # Each placeholder at its longest (shortest) value, the default where a value is missing.
    assert longest == "Hi Bartholomew from <b>Odesa</b>!"  # data is text, never markup
    assert shortest == "Hi Ann from Kyiv!"  # as short as Lviv, and first in order
    head = browser.find_element("css selector", ".letsads-longest")
    info = text.analyze(longest)
    assert head.get_attribute("data-segments") == str(info.segments)
    assert head.get_attribute("data-length") == str(info.length)
    assert browser.find_elements("css selector", "#id_text_renderings b") == []
    # "Олександра" is not GSM-7: the counter warns that those texts are UCS-2.
    note = browser.find_element("css selector", ".letsads-some-ucs2").text
    assert "segments: up to 1" in note
    shot(browser, "personalised-1-counter")

    # A field without a default: recipients without it are left out; a field nobody has.
    area.send_keys(" {name}")
    WebDriverWait(browser, 10).until(
        lambda driver: driver.find_elements("css selector", ".letsads-left-out")
    )
    assert "{name}" in browser.find_element("css selector", ".letsads-left-out").text
    area.send_keys(" {code}")
    WebDriverWait(browser, 10).until(
        lambda driver: driver.find_elements("css selector", ".letsads-no-data")
    )
    assert "{code}" in browser.find_element("css selector", ".letsads-no-data").text
    shot(browser, "personalised-2-no-data")
