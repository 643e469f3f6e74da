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

``sms_outbox``
    ``django_letsads.outbox``, the messages the locmem backend "sent" in this test.

Every test (autouse, under pytest-django) sends through the locmem backend and starts with an
empty outbox, as Django's test runner does for e-mail, so a project whose settings name the
``letsads`` backend never reaches a gateway from its tests. A test sets ``settings.SMS_BACKEND``
to use another backend; ``@pytest.mark.letsads_keep_backend`` (on a test, a module's
``pytestmark`` or a class) keeps the backend of the settings.
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
    config.addinivalue_line(
        "markers",
        "letsads_keep_backend: keep the SMS_BACKEND of the settings instead of the locmem backend",
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
    from django_letsads.settings_rules import has_accounts
    from django_letsads.simulator import Simulator

    marker = request.node.get_closest_marker("letsads_simulator")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    letsads = _configured_letsads()
    # With several accounts, the simulator stands in for the "default" one.
    nested = has_accounts(letsads)
    configured = dict(letsads.get("default") or {}) if nested else letsads
    login = str(options.pop("login", None) or configured.get("LOGIN") or DEFAULT_LOGIN)
    password = str(options.pop("password", None) or configured.get("PASSWORD") or DEFAULT_PASSWORD)
    sender = str(configured.get("SENDER") or DEFAULT_SENDER)
    account = {key: options.pop(key) for key in list(options) if key in _ACCOUNT_OPTIONS}
    account.setdefault("senders", {DEFAULT_SENDER, sender})

    with Simulator(**options) as sim:
        sim.add_account(login, password, **account)
        if _uses_pytest_django(request):
            settings = request.getfixturevalue("settings")
            default = {
                **configured,
                "API_URL": sim.url,
                "LOGIN": login,
                "PASSWORD": password,
                "SENDER": sender,
            }
            settings.LETSADS = {**letsads, "default": default} if nested else default
        yield sim


@pytest.fixture(autouse=True)
def _letsads_test_backend(request: pytest.FixtureRequest) -> None:
    """Empty ``django_letsads.outbox`` before every test and, under pytest-django, send through
    the locmem backend, as Django's test runner does for e-mail."""
    import django_letsads

    django_letsads.outbox.clear()
    if not _uses_pytest_django(request) or request.node.get_closest_marker("letsads_keep_backend"):
        return
    from django_letsads.backends.locmem import TEST_BACKEND, LetsAdsTestMixin

    if isinstance(request.instance, LetsAdsTestMixin):
        return  # the mixin switches, and lets the class's own override_settings win
    if "SMS_BACKEND" in (getattr(request.cls, "_overridden_settings", None) or {}):
        return  # a Django test class that chose its backend with @override_settings
    request.getfixturevalue("settings").SMS_BACKEND = TEST_BACKEND


@pytest.fixture
def sms_outbox(request: pytest.FixtureRequest) -> list[Any]:
    """``django_letsads.outbox``: the ``SmsMessage`` objects the locmem backend "sent" in this test.

    Under pytest-django, ``SMS_BACKEND`` is the locmem backend for the test's duration, even
    with ``letsads_keep_backend``: asking for the outbox asks for the backend that fills it.
    """
    import django_letsads

    if _uses_pytest_django(request):
        from django_letsads.backends.locmem import TEST_BACKEND

        request.getfixturevalue("settings").SMS_BACKEND = TEST_BACKEND
    return django_letsads.outbox
