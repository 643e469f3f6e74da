"""Checks of what reaching the gateway needs: the settings' shapes (``settings_rules``), the
backend, the credentials, the sender and the API URL (E001-E004, E007, E010-E013, W001, W020)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from django_letsads.checks.reading import per_account
from django_letsads.settings_rules import problem_of, setting_problems

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@register(Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    return [Error(p.message, hint=p.hint or None, id=p.id) for p in setting_problems()]


@register(Tags.compatibility)
def check_backend(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_letsads.backends.base import BaseSmsBackend
    from django_letsads.conf import letsads_settings

    path = letsads_settings.BACKEND
    try:
        backend = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"SMS_BACKEND {path!r} cannot be imported: {exc}.",
                hint="Use a dotted path such as 'django_letsads.backends.letsads.SmsBackend'.",
                id="django_letsads.E002",
            )
        ]
    if not (isinstance(backend, type) and issubclass(backend, BaseSmsBackend)):
        return [
            Error(
                f"SMS_BACKEND {path!r} is not a subclass of "
                "django_letsads.backends.base.BaseSmsBackend.",
                id="django_letsads.E002",
            )
        ]
    return []


def _missing_credentials() -> tuple[str, list[str]]:
    """The backend's path and the credential keys it needs but lacks (none if it needs none)."""
    from django_letsads.conf import letsads_settings

    path = letsads_settings.BACKEND
    try:
        backend = import_string(path)
    except ImportError:
        return path, []  # E002 says so
    if not getattr(backend, "needs_credentials", False):
        return path, []
    logins = dict(per_account("LOGIN"))
    passwords = dict(per_account("PASSWORD"))
    missing = [name for name, value in [*logins.items(), *passwords.items()] if not value]
    return path, sorted(missing, key=lambda name: name.rsplit("[", 1)[0])


def _credentials_text(path: str, missing: list[str]) -> str:
    if len(missing) == 1:
        return (
            f"{missing[0]} is not set, but SMS_BACKEND {path!r} sends through the LetsAds gateway."
        )
    return (
        f"{', '.join(missing[:-1])} and {missing[-1]} are not set, but SMS_BACKEND {path!r} sends "
        "through the LetsAds gateway."
    )


_CREDENTIALS_HINT = (
    "Set them, e.g. from the LETSADS_LOGIN and LETSADS_PASSWORD environment variables; the login "
    "is the account's phone number in international digits."
)


def _credentials_messages(
    level: type[Warning] | type[Error], check_id: str, after: str = ""
) -> list[CheckMessage]:
    """One message of ``level`` naming the missing credentials (``after`` appended), or none."""
    path, missing = _missing_credentials()
    if not missing:
        return []
    return [level(_credentials_text(path, missing) + after, hint=_CREDENTIALS_HINT, id=check_id)]


@register(Tags.compatibility)
def check_credentials(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    # Only a warning: the credentials are needed to talk to the gateway, not to migrate, run
    # tests or start the simulator. Sending without them still raises LetsAdsConfigurationError,
    # and ``check --deploy`` (check_credentials_deploy) makes it an error.
    return _credentials_messages(
        Warning, "django_letsads.W020", " Sending will fail until they are set."
    )


@register(Tags.security, deploy=True)
def check_credentials_deploy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    return _credentials_messages(Error, "django_letsads.E001")


@register(Tags.compatibility)
def check_sender(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_letsads.senders import sender_error

    messages: list[CheckMessage] = []
    for name, sender in per_account("SENDER"):
        error = sender_error(sender) if isinstance(sender, str) else f"{sender!r} is not a string."
        if error:
            messages.append(
                Error(
                    f"{name} cannot be sent: {error}",
                    hint="Use the sender name registered for the account in the LetsAds cabinet.",
                    id="django_letsads.E003",
                )
            )
    return messages


@register(Tags.security)
def check_api_url(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for name, value in per_account("API_URL"):
        if problem_of("API_URL", value) is not None:
            continue  # E007, from check_settings
        url = urlsplit(value)
        if url.scheme == "http" and (url.hostname or "") not in _LOCAL_HOSTS:
            messages.append(
                Warning(
                    f"{name} sends the account password in clear over {url.scheme}://"
                    f"{url.hostname}.",
                    hint="Use https://api.letsads.com.",
                    id="django_letsads.W001",
                )
            )
    return messages
