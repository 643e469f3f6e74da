"""Headless Chromium for the browser tests: where it is, the marks that skip the tests without
it, a driver with the options every test uses, screenshots, and logging in to the admin.

The ``browser`` fixture (``tests/browser/conftest.py``) is the usual English window of
1400 x 1000; a test that needs another starts its own with :func:`start_chromium`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Whether Chromium and its driver are installed.
AVAILABLE = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()

#: A module of browser tests says ``pytestmark = BROWSER_MARKS``.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not AVAILABLE,
        reason="needs Chromium and chromedriver (apt-get install chromium chromium-driver)",
    ),
]


def start_chromium(*arguments: str, prefs: dict[str, Any] | None = None) -> Any:
    """A headless Chromium driven through Selenium, with ``arguments`` after the usual ones and
    ``prefs`` as its preferences; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        *arguments,
    ):
        options.add_argument(argument)
    if prefs is not None:
        options.add_experimental_option("prefs", prefs)
    options.binary_location = CHROMIUM
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def shot(driver: Any, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"admin-{name}.png"))


def log_in(browser: Any, live_server: Any) -> None:
    """Create the superuser "admin" and log in with the admin's login form (the click submits
    it; a test that must be on the next page waits for it)."""
    User.objects.create_superuser("admin", "admin@example.com", "secret-pw")
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element("name", "username").send_keys("admin")
    browser.find_element("name", "password").send_keys("secret-pw")
    browser.find_element("css selector", "input[type=submit]").click()
