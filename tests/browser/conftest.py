"""The ``browser`` fixture of the browser tests (:mod:`tests.browser.chromium`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.chromium import ARTIFACTS, start_chromium


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium, 1400 x 1000, in English; screenshots go to ``test-artifacts/``."""
    driver = start_chromium("--window-size=1400,1000", "--lang=en")
    driver.implicitly_wait(5)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
