"""pytest fixtures of django-letsads, registered through the ``pytest11`` entry point.

Importing this module is cheap and needs neither Django settings nor pytest-django: everything
heavy is imported inside the fixtures.

``letsads_simulator``
    A running :class:`~django_letsads.simulator.Simulator` with one account. Under pytest-django
    the ``LETSADS`` setting points at it (``API_URL``, ``LOGIN``, ``PASSWORD``, ``SENDER``) for
    the test's duration. Options come from the marker::

        @pytest.mark.letsads_simulator(speed=0, balance=Decimal("1"), senders={"Shop"})
        def test_low_balance(letsads_simulator): ...

    Account options (``login``, ``password``, ``balance``, ``senders``, ``api_enabled``,
    ``moderated``, ``price``, ``currency``) go to ``add_account``; the rest to ``Simulator``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django_letsads.simulator import Simulator

DEFAULT_LOGIN = "380501234567"
DEFAULT_PASSWORD = "simulator-test-password"  # noqa: S105 - a fake account of a fake gateway
DEFAULT_SENDER = "Test"
_ACCOUNT_OPTIONS = frozenset(
    {"balance", "senders", "api_enabled", "moderated", "price", "currency"}
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "letsads_simulator(**options): options of the letsads_simulator fixture's simulator "
        "and account",
    )


def _configured_letsads() -> dict[str, Any]:
    """``settings.LETSADS`` when Django is configured, else an empty dict."""
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is a dependency
        return {}
    if not settings.configured:
        return {}
    return dict(getattr(settings, "LETSADS", None) or {})


def _uses_pytest_django(request: pytest.FixtureRequest) -> bool:
    """True when pytest-django runs with settings, so its ``settings`` fixture can be used."""
    if not request.config.pluginmanager.hasplugin("django"):
        return False
    from django.conf import settings

    return bool(settings.configured)


@pytest.fixture
def letsads_simulator(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    """A simulator on 127.0.0.1 with one account; Django's ``LETSADS`` points at it."""
    from django_letsads.simulator import Simulator

    marker = request.node.get_closest_marker("letsads_simulator")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    configured = _configured_letsads()
    login = str(options.pop("login", None) or configured.get("LOGIN") or DEFAULT_LOGIN)
    password = str(options.pop("password", None) or configured.get("PASSWORD") or DEFAULT_PASSWORD)
    sender = str(configured.get("SENDER") or DEFAULT_SENDER)
    account = {key: options.pop(key) for key in list(options) if key in _ACCOUNT_OPTIONS}
    account.setdefault("senders", {DEFAULT_SENDER, sender})

    with Simulator(**options) as sim:
        sim.add_account(login, password, **account)
        if _uses_pytest_django(request):
            settings = request.getfixturevalue("settings")
            settings.LETSADS = {
                **configured,
                "API_URL": sim.url,
                "LOGIN": login,
                "PASSWORD": password,
                "SENDER": sender,
            }
        yield sim


@pytest.fixture(autouse=True)
def _letsads_clear_outbox() -> None:
    """Empty ``django_letsads.outbox`` before every test, as Django empties ``mail.outbox``."""
    import django_letsads

    django_letsads.outbox.clear()


@pytest.fixture
def sms_outbox(request: pytest.FixtureRequest) -> list[Any]:
    """``django_letsads.outbox``: the ``SmsMessage`` objects the locmem backend "sent" in this test.

    Under pytest-django, ``SMS_BACKEND`` is the locmem backend for the test's duration.
    """
    import django_letsads

    if _uses_pytest_django(request):
        settings = request.getfixturevalue("settings")
        settings.SMS_BACKEND = "django_letsads.backends.locmem.SmsBackend"
    return django_letsads.outbox
