"""Shared test configuration.

The package's pytest plugin is normally loaded through its ``pytest11`` entry point; when the
package is used from a checkout without being installed, load it here instead (loading it both
ways would register it twice).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from tests.servers import no_proxies

if not any(ep.value == "django_letsads.pytest_plugin" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["django_letsads.pytest_plugin"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: the locale middleware activates a request's
    language on the test's own thread and leaves it there for the next test."""
    yield
    translation.deactivate()


@pytest.fixture
def superuser_client(client: Client) -> Client:
    """The test client, logged in as a superuser (the admin tests' usual visitor)."""
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    return client


@pytest.fixture
def no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's proxy settings removed, so requests to 127.0.0.1 go there directly; a module
    of such tests says ``pytestmark = pytest.mark.usefixtures("no_proxy_from_the_machine")``."""
    no_proxies(monkeypatch)


@pytest.fixture
def fresh_balance() -> Iterator[None]:
    """No account balance remembered by the admin from another test, before or after this one;
    a module of admin tests says ``pytest.mark.usefixtures("fresh_balance")``."""
    from django_letsads.admin.balance import forget_balance

    forget_balance()
    yield
    forget_balance()


@pytest.fixture
def empty_cache() -> Iterator[None]:
    """Django's cache emptied before and after the test (the Send confirmation's holds, the
    balance); a module says ``pytest.mark.usefixtures("empty_cache")``."""
    from django.core.cache import cache

    from django_letsads.admin.balance import forget_balance

    cache.clear()
    forget_balance()
    yield
    cache.clear()
