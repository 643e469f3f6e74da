"""One headless Chromium per kind of browser for the whole session, cleaned between tests.

Starting Chromium and chromedriver takes seconds on a loaded machine, more than many of these
tests take themselves. A test gets the session's browser of its kind back in the state a fresh
one has: no cookies (so no login), nothing stored for the site (the admin's theme lives in
``localStorage``), a blank page and the kind's window size and implicit wait. A browser that
cannot be cleaned (it crashed, a dialog is open) is quit, and the next test starts a new one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

Start = Callable[[], Any]


class Browsers:
    """The session's running browsers, by kind (a kind fixes the start options)."""

    def __init__(self) -> None:
        self.running: dict[str, Any] = {}

    def get(self, kind: str, start: Start) -> Any:
        if kind not in self.running:
            self.running[kind] = start()
        return self.running[kind]

    def clean(self, kind: str, window: tuple[int, int] | None, implicit_wait: float) -> None:
        driver = self.running.get(kind)
        if driver is None:
            return
        try:
            parts = urlsplit(driver.current_url)
            if parts.scheme in ("http", "https"):
                driver.execute_cdp_cmd(
                    "Storage.clearDataForOrigin",
                    {"origin": f"{parts.scheme}://{parts.netloc}", "storageTypes": "all"},
                )
            driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
            driver.get("about:blank")
            if window is not None:
                driver.set_window_size(*window)
            driver.implicitly_wait(implicit_wait)
        except Exception:  # whatever went wrong, the next test gets a new browser
            self.quit(kind)

    def quit(self, kind: str) -> None:
        driver = self.running.pop(kind, None)
        if driver is not None:
            with contextlib.suppress(Exception):  # it may be gone already
                driver.quit()

    def quit_all(self) -> None:
        for kind in list(self.running):
            self.quit(kind)


@pytest.fixture(scope="session")
def browsers() -> Iterator[Browsers]:
    pool = Browsers()
    try:
        yield pool
    finally:
        pool.quit_all()


def session_browser(
    browsers: Browsers,
    kind: str,
    start: Start,
    *,
    window: tuple[int, int] | None,
    implicit_wait: float,
) -> Iterator[Any]:
    """The body of a test's ``browser`` fixture: the kind's browser, cleaned after the test."""
    driver = browsers.get(kind, start)
    try:
        yield driver
    finally:
        browsers.clean(kind, window, implicit_wait)


def wait_for_login(driver: Any, timeout: float = 20) -> None:
    """After the login form's submit: wait until its POST has been answered (the redirect away
    from the login page). Going on at once races it: the next ``get`` can leave before the
    session cookie is set, and the page asked for is the login form again."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: "/login/" not in d.current_url)
