# ruff: noqa: RUF001 - Cyrillic texts and typographic marks are the subject here
"""The counter's GSM-7 replacements and transliteration in a real browser, up to the price."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from django_letsads import text
from django_letsads.admin.balance import forget_balance
from django_letsads.models import Campaign
from tests.browser import test_admin_browser
from tests.browser.login import log_in
from tests.browser.test_admin_browser import counter, shot
from tests.test_translit import RESOLUTION_EXAMPLES

pytestmark = test_admin_browser.pytestmark
browser = test_admin_browser.browser  # the same headless Chromium fixture

#: Texts the browser must transliterate and fix exactly as Python does.
SAMPLES = [
    "",
    "Знам’янка – «Зграя»… ЮРІЙ Щербухи, ʼЯрошенкоʼ",
    "It’s a “sale” — 20%\u00a0off • №5\u200b",
    "Привіт 😀 з'їзд ЄС Я",
    "Съешь ещё",
    "iPhone для Юрія; ЗГОРАНИ\tРозгон",
    *(cyrillic for cyrillic, _ in RESOLUTION_EXAMPLES),
]


def random_samples(count: int) -> list[str]:
    """Texts of Ukrainian and Russian letters, apostrophes, twins, Latin and emoji (fixed seed)."""
    import random

    from django_letsads.gsm7 import TWINS

    pool = (
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъ"
        + "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯЁЫЭЪ"
        + "'’ʼ‘`  ,.-!?0123456789abcXYZ😀\n"
        + "".join(TWINS)
    )
    rng = random.Random(19)
    return ["".join(rng.choices(pool, k=rng.randint(0, 40))) for _ in range(count)]


TEXT = (
    "Знам’янка – осіння розпродаж! Знижки до 50% на все: взуття, одяг, аксесуари. "
    "Поспішайте, пропозиція діє лише до неділі включно, до 30.11"
)  # 136 characters: 3 UCS-2 segments; transliterated 148, 1 GSM-7 segment


@pytest.mark.letsads_simulator(balance=Decimal("100"))
def test_replace_transliterate_save_confirm_and_see_the_price(
    browser: Any, live_server: Any, transactional_db: None, letsads_simulator: Any
) -> None:
    forget_balance()
    log_in(browser, live_server)
    from selenium.webdriver.support.ui import WebDriverWait

    # Logged in before going on.
    WebDriverWait(browser, 10).until(lambda driver: "Site administration" in driver.title)

    browser.get(f"{live_server.url}/admin/django_letsads/campaign/add/")
    browser.find_element("name", "name").send_keys("Znamianka")
    browser.find_element("name", "sender").send_keys("Test")
    area = browser.find_element("name", "text")
    area.send_keys(TEXT)
    assert counter(browser)["encoding"] == "UCS-2"
    assert counter(browser)["segments"] == "3"

    # The browser's transliteration and suggestions are Python's.
    rules = json.loads(
        browser.find_element("id", "id_text_counter_config").get_attribute("textContent")
    )["rules"]
    for sample in SAMPLES:
        in_browser = browser.execute_script(
            "return window.letsadsTransliterate(arguments[0], arguments[1], 'uk');",
            sample,
            rules["translit"],
        )
        assert in_browser == text.transliterate(sample), sample
        suggestions = browser.execute_script(
            "return window.letsadsGsm7Suggestions(arguments[0], arguments[1]);", sample, rules
        )
        assert suggestions == [s.as_dict() for s in text.gsm7_suggestions(sample)], sample

    samples = random_samples(300)
    in_browser = browser.execute_script(
        "var rules = arguments[1]; return arguments[0].map(function (t) { return ["
        "window.letsadsTransliterate(t, rules.translit, 'uk'),"
        "window.letsadsTransliterate(t, rules.translit, 'ru'),"
        "window.letsadsGsm7Suggestions(t, rules)]; });",
        samples,
        rules,
    )
    for sample, (uk, ru, suggestions) in zip(samples, in_browser, strict=True):
        assert uk == text.transliterate(sample), sample
        assert ru == text.transliterate(sample, "ru"), sample
        assert suggestions == [s.as_dict() for s in text.gsm7_suggestions(sample)], sample

    # The curly apostrophe and the dash have GSM-7 twins: one click each.
    suggestions = browser.find_element("id", "id_text_suggestions")
    shown = {
        b.get_attribute("data-character")
        for b in suggestions.find_elements("css selector", "button[data-character]")
    }
    assert shown == {"’", "–"}
    suggestions.find_element("css selector", "button[data-character='’']").click()
    assert "’" not in area.get_attribute("value")
    browser.find_element("css selector", "#id_text_suggestions button[data-character='–']").click()
    assert area.get_attribute("value").startswith("Знам'янка - ")
    assert counter(browser)["segments"] == "3"  # still Cyrillic: UCS-2
    shot(browser, "cost-1-replaced")

    # Transliterate: the count falls, the preview shows what will be sent.
    browser.find_element("name", "transliterate").click()
    live = counter(browser)
    assert (live["encoding"], live["segments"]) == ("GSM-7", "1")
    line = browser.find_element("id", "id_text_translit")
    assert (line.get_attribute("data-before"), line.get_attribute("data-after")) == ("3", "1")
    assert "3 → 1" in line.text
    preview = browser.find_element("id", "id_text_preview").text
    assert preview == text.transliterate(area.get_attribute("value"))
    assert preview.startswith("Znamianka - osinnia rozprodazh!")
    shot(browser, "cost-2-transliterated")

    browser.find_element("name", "recipients_text").send_keys("0501234567\n0671234567")
    browser.find_element("name", "_save").click()
    browser.find_element("css selector", "ul.messagelist")  # the save has finished
    campaign = Campaign.objects.get(name="Znamianka")
    assert campaign.transliterate
    assert campaign.messages.count() == 2

    # The confirmation prices both choices.
    from selenium.webdriver.support.ui import Select

    with override_settings(LETSADS={**settings.LETSADS, "PRICE_PER_SEGMENT": Decimal("0.45")}):
        browser.find_element("css selector", f"input.action-select[value='{campaign.pk}']").click()
        Select(browser.find_element("name", "action")).select_by_value("send_campaigns")
        browser.find_element("css selector", "button[name=index]").click()
        estimate = browser.find_element("id", "letsads-estimate").text
        shot(browser, "cost-3-confirm")
        assert re.search(
            r"Znamianka \(transliterated\)\s+0\.90 UAH\s+as written: 6 segments, 2\.70 UAH",
            estimate,
        ), estimate
        assert "after sending: 99.10 UAH" in estimate
        browser.find_element("name", "confirm").click()
        assert "being sent" in browser.find_element("css selector", "ul.messagelist").text
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
