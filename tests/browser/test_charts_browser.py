"""The campaign page's charts in a real browser, in the admin's light and dark themes.

Screenshots of the charts go to ``test-artifacts/campaign-charts-{light,dark}.png``; the README's
images in ``docs/images/`` are copies of them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_letsads.admin.balance import forget_balance
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from tests.browser.conftest import wait_for_login
from tests.browser.login import log_in
from tests.browser.test_admin_browser import ARTIFACTS, browser  # noqa: F401 - the fixture
from tests.browser.test_admin_browser import pytestmark as browser_marks
from tests.factories import make_campaign, numbers

pytestmark = browser_marks

#: (prefix, share of delivered in ten): three operators with different delivery rates.
OPERATORS = (("38067", 9), ("38050", 8), ("38063", 6))


def _campaign() -> Campaign:
    """A finished campaign of 900 messages sent over 40 minutes, statuses by operator."""
    start = timezone.now() - timedelta(hours=2)
    recipients = [n for prefix, _rate in OPERATORS for n in numbers(300, prefix=prefix)]
    campaign = make_campaign(recipients, state=Campaign.State.DONE, name="Autumn sale")
    Campaign.objects.filter(pk=campaign.pk).update(
        started_at=start, finished_at=start + timedelta(minutes=45)
    )
    updates = []
    for i, message in enumerate(campaign.messages.order_by("id")):
        rate = dict(OPERATORS)[message.recipient[:5]]
        sent = start + timedelta(minutes=(i % 300) * 40 // 300, seconds=i % 50)
        message.status = Status.DELIVERED if i % 10 < rate else Status.UNDELIVERED
        if i % 97 == 0:
            message.status = Status.EXPIRED
        message.sent_at = sent
        message.final_at = sent + timedelta(minutes=2 + i % 3)
        updates.append(message)
    Message.objects.bulk_update(updates, ["status", "sent_at", "final_at"], batch_size=500)
    return campaign


def _luminance(css_colour: str) -> float:
    """Rough luminance (0 black, 1 white) of ``rgb(r, g, b)``."""
    parts = css_colour[css_colour.index("(") + 1 : css_colour.index(")")].split(",")
    r, g, b = (int(float(p)) for p in parts[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_charts_are_readable_in_both_themes(
    browser: Any,  # noqa: F811 - the fixture
    live_server: Any,
    transactional_db: None,
    theme: str,
) -> None:
    forget_balance()
    campaign = _campaign()
    log_in(browser, live_server)
    wait_for_login(browser)
    # The admin's theme switch stores the choice here and applies it on load.
    browser.execute_script("localStorage.setItem('theme', arguments[0])", theme)
    browser.set_window_size(1100, 1600)
    browser.get(f"{live_server.url}/admin/django_letsads/campaign/{campaign.pk}/change/")

    report = browser.find_element("id", "letsads-report")
    assert browser.execute_script("return document.documentElement.dataset.theme") == theme
    charts = report.find_elements("css selector", "svg.letsads-chart")
    assert len(charts) == 3
    lines = report.find_elements("css selector", "polyline.letsads-line")
    assert len(lines) == 3
    assert all(len(line.get_attribute("points").split()) == 46 for line in lines)  # 45 minutes
    labels = " ".join(t.text for t in report.find_elements("css selector", "svg text"))
    for name in ("Kyivstar", "Vodafone", "lifecell"):
        assert name in labels

    text_colour = browser.execute_script(
        "return getComputedStyle(arguments[0]).fill",
        report.find_element("css selector", "svg text.letsads-label"),
    )
    page_colour = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    text, page = _luminance(text_colour), _luminance(page_colour)
    # Light text on a dark page, or dark text on a light page: never the same side.
    assert abs(text - page) > 0.5, (theme, text_colour, page_colour)
    assert (page < 0.3) == (theme == "dark")

    browser.execute_script("arguments[0].scrollIntoView()", report)
    ARTIFACTS.mkdir(exist_ok=True)
    report.screenshot(str(ARTIFACTS / f"campaign-charts-{theme}.png"))
