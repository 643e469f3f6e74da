"""System checks: report configuration mistakes at ``manage.py check`` time, not at the first SMS.

Settings are read when the checks run, never at import. Ids:

* ``django_letsads.E001`` - under ``check --deploy`` only: the LetsAds backend (or the outbox,
  whose worker uses it) has no ``LOGIN`` or ``PASSWORD``.
* ``django_letsads.E002`` - ``SMS_BACKEND`` cannot be imported or is not an SMS backend.
* ``django_letsads.E003`` - ``LETSADS["SENDER"]`` can never be accepted by the gateway.
* ``django_letsads.E004`` - ``LETSADS["POLL_SCHEDULE"]`` is not a list of increasing positive
  whole seconds (this and E007, E010-E013 come from ``settings_rules``, which the workers use too).
* ``django_letsads.E005`` - ``LETSADS["DEFAULT_REGION"]`` is not a region ``phonenumbers`` knows.
* ``django_letsads.E006`` - a text limit is not a positive whole number.
* ``django_letsads.E007`` - ``API_URL`` is not an http(s) URL with a host.
* ``django_letsads.E010`` - ``LETSADS`` is not a dict.
* ``django_letsads.E011`` - ``TIMEOUT`` is not a number of seconds above 0.
* ``django_letsads.E012`` - a whole-number setting (``BATCH_SIZE``, ``CONCURRENCY``, ``CLAIM_SIZE``,
  ``CLAIM_LEASE``, ``CONNECT_RETRIES``, ``POLL_RETRY_DELAY``, ``BALANCE_CACHE_SECONDS``) is not one,
  or is below its least value.
* ``django_letsads.E013`` - ``RATE_LIMIT`` is not a number of at least 0.
* ``django_letsads.E030`` - ``LETSADS["QUIET_HOURS"]`` is not None or a pair of "HH:MM" times.
* ``django_letsads.E031`` - ``LETSADS["TIME_ZONE"]`` is not a time zone ``zoneinfo`` knows.
* ``django_letsads.W001`` - ``API_URL`` is plain HTTP to a host other than this machine.
* ``django_letsads.W002`` - ``BATCH_SIZE`` is outside 1 to 50 and is clamped.
* ``django_letsads.W003`` - a text limit is above what the gateway accepts.
* ``django_letsads.W020`` - what E001 reports, as a warning in ordinary checks, so that
  ``migrate``, tests and the simulator run without the account.
* ``django_letsads.W021`` - ``USE_TASKS`` with a task backend that runs tasks immediately.
* ``django_letsads.E040`` - ``UNSUBSCRIBE_BASE_URL`` is set but not an http(s) URL with a host.
* ``django_letsads.W040`` - a campaign that can still send uses ``{unsubscribe_url}`` while
  ``UNSUBSCRIBE_BASE_URL`` is not set (its sending would pause). Needs the database: runs with
  ``check --database default`` and before ``migrate``.
* ``django_letsads.W041`` - ``UNSUBSCRIBE_BASE_URL`` does not end with ``/``, so the token would
  be glued to its last path segment.
* ``django_letsads.E050`` - ``LETSADS["PRICE_PER_SEGMENT"]`` is not a number.
* ``django_letsads.E051`` - ``LETSADS["PRICE_PER_SEGMENT"]`` is negative.
* ``django_letsads.E060`` - ``LETSADS["WORKER_STALE_AFTER"]`` is not a positive whole number.
* ``django_letsads.E080`` to ``E083`` - the layout of a ``LETSADS`` with several accounts (no
  ``"default"``, an account key beside the accounts, a shared key inside one, a bad alias);
  from ``settings_rules``. With accounts, every message above about an account key names it:
  ``LETSADS['promo']['PASSWORD']``. ``W080``, ``W081``: :mod:`django_letsads.account_checks`.
* ``django_letsads.E090`` - ``USE_TASKS`` is on, but no task framework is installed, or the task
  backend, queue or priority of ``TASKS_BACKEND``/``TASKS_QUEUE``/``TASKS_PRIORITY`` is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError
from django.utils.module_loading import import_string

from django_letsads.conf import DEFAULTS, parse_price
from django_letsads.settings_rules import (
    Problem,
    account_dicts,
    alias_in_names,
    letsads_dict,
    problem_of,
    setting_name,
    setting_problems,
    shared_dict,
)
from django_letsads.text import DEFAULT_LIMITS, GSM7, UCS2

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _letsads(key: str) -> Any:
    """A shared key's value (a LETSADS that is not a dict is E010; the checks then see
    defaults)."""
    user = letsads_dict()
    return DEFAULTS[key] if isinstance(user, Problem) else shared_dict(user).get(key, DEFAULTS[key])


def _per_account(key: str) -> list[tuple[str, Any]]:
    """``(name, value)`` of an account key for each account, named as the messages name it
    (``LETSADS['SENDER']``, or ``LETSADS['promo']['SENDER']`` with accounts)."""
    user = letsads_dict()
    if isinstance(user, Problem):
        return [(setting_name(key, None), DEFAULTS[key])]
    return [
        (setting_name(key, alias_in_names(user, alias)), account.get(key, DEFAULTS[key]))
        for alias, account in account_dicts(user).items()
    ]


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
    logins = dict(_per_account("LOGIN"))
    passwords = dict(_per_account("PASSWORD"))
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


@register(Tags.compatibility)
def check_credentials(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    # Only a warning: the credentials are needed to talk to the gateway, not to migrate, run
    # tests or start the simulator. Sending without them still raises LetsAdsConfigurationError,
    # and ``check --deploy`` (check_credentials_deploy) makes it an error.
    path, missing = _missing_credentials()
    if not missing:
        return []
    return [
        Warning(
            _credentials_text(path, missing) + " Sending will fail until they are set.",
            hint=_CREDENTIALS_HINT,
            id="django_letsads.W020",
        )
    ]


@register(Tags.security, deploy=True)
def check_credentials_deploy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    path, missing = _missing_credentials()
    if not missing:
        return []
    return [
        Error(_credentials_text(path, missing), hint=_CREDENTIALS_HINT, id="django_letsads.E001")
    ]


@register(Tags.compatibility)
def check_sender(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_letsads.senders import sender_error

    messages: list[CheckMessage] = []
    for name, sender in _per_account("SENDER"):
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


@register(Tags.compatibility)
def check_numbers_and_limits(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    import phonenumbers

    messages: list[CheckMessage] = []
    region = _letsads("DEFAULT_REGION")
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        messages.append(
            Error(
                f"LETSADS['DEFAULT_REGION'] is {region!r}, not a region code phonenumbers knows.",
                hint="Use a two-letter region such as 'UA'.",
                id="django_letsads.E005",
            )
        )
    for key, encoding in (("MAX_LENGTH_GSM7", GSM7), ("MAX_LENGTH_UCS2", UCS2)):
        value = _letsads(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            messages.append(
                Error(
                    f"LETSADS[{key!r}] is {value!r}; it must be a positive whole number.",
                    id="django_letsads.E006",
                )
            )
        elif value > DEFAULT_LIMITS[encoding]:
            messages.append(
                Warning(
                    f"LETSADS[{key!r}] is {value}, above the gateway's documented limit of "
                    f"{DEFAULT_LIMITS[encoding]} for {encoding}; longer texts will be refused "
                    "with MESSAGE_TOO_LONG.",
                    id="django_letsads.W003",
                )
            )
    batch = _letsads("BATCH_SIZE")
    if problem_of("BATCH_SIZE", batch) is None and not 1 <= batch <= 50:
        messages.append(
            Warning(
                f"LETSADS['BATCH_SIZE'] is {batch!r}; the gateway takes 1 to 50 recipients per "
                "request, so it is clamped.",
                id="django_letsads.W002",
            )
        )
    return messages


@register(Tags.security)
def check_api_url(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for name, value in _per_account("API_URL"):
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


@register(Tags.compatibility)
def check_unsubscribe_url(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    value = _letsads("UNSUBSCRIBE_BASE_URL")
    if not value:
        return []
    url = urlsplit(str(value))
    if url.scheme not in ("http", "https") or not url.hostname:
        return [
            Error(
                f"LETSADS['UNSUBSCRIBE_BASE_URL'] is {value!r}, not an http(s) URL.",
                hint="Give the full address where django_letsads.urls is included, e.g. "
                "'https://example.com/sms/'.",
                id="django_letsads.E040",
            )
        ]
    if not url.path.endswith("/"):
        return [
            Warning(
                f"LETSADS['UNSUBSCRIBE_BASE_URL'] is {value!r}; the token is appended to it, so "
                "it should end with '/'.",
                hint="Use e.g. 'https://example.com/sms/' with path('sms/', "
                "include('django_letsads.urls')).",
                id="django_letsads.W041",
            )
        ]
    return []


@register(Tags.compatibility)
def check_task_mode(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not _letsads("USE_TASKS"):
        return []
    from django_letsads import tasks

    module = tasks._tasks_module()
    if module is None:
        return [
            Error(
                "LETSADS['USE_TASKS'] is on, but no task framework is installed.",
                hint="Use Django 6 (django.tasks), or pip install django-letsads[tasks] on 5.2.",
                id="django_letsads.E090",
            )
        ]
    try:
        tasks.send_step.using(
            backend=_letsads("TASKS_BACKEND"),
            queue_name=_letsads("TASKS_QUEUE"),
            priority=_letsads("TASKS_PRIORITY"),
        )
    except Exception as exc:  # InvalidTaskBackend, InvalidTask … differ between the frameworks
        return [
            Error(
                f"LETSADS task mode cannot enqueue its rounds: {exc}",
                hint="Check LETSADS['TASKS_BACKEND'] (an alias of TASKS), LETSADS['TASKS_QUEUE'] "
                "(listed in that backend's QUEUES) and LETSADS['TASKS_PRIORITY'].",
                id="django_letsads.E090",
            )
        ]
    return []


@register(Tags.database)
def check_unsubscribe_campaigns(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Campaigns whose text needs the unsubscribe link, where the link cannot be made."""
    if not databases or _letsads("UNSUBSCRIBE_BASE_URL"):
        return []
    from django_letsads.models import Campaign

    try:
        names = list(
            Campaign.objects.exclude(state__in=[Campaign.State.DONE, Campaign.State.CANCELLED])
            .filter(text__contains="{unsubscribe_url")
            .values_list("name", flat=True)[:6]
        )
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if not names:
        return []
    shown = ", ".join(repr(name) for name in names[:5]) + (" …" if len(names) > 5 else "")
    return [
        Warning(
            f"Campaigns use {{unsubscribe_url}} but LETSADS['UNSUBSCRIBE_BASE_URL'] is not set: "
            f"{shown}. The worker pauses them instead of sending texts without the link.",
            hint="Set it to the address where django_letsads.urls is included, e.g. "
            "'https://example.com/sms/'.",
            id="django_letsads.W040",
        )
    ]


@register(Tags.compatibility)
def check_quiet_hours(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_letsads.conf import letsads_settings, parse_quiet_hours
    from django_letsads.exceptions import LetsAdsConfigurationError

    messages: list[CheckMessage] = []
    value = _letsads("QUIET_HOURS")
    try:
        parse_quiet_hours(value)
    except ValueError as exc:
        messages.append(
            Error(
                f"LETSADS['QUIET_HOURS'] is {value!r}: {exc}.",
                hint='Campaigns are held from the first time to the second, e.g. ("21:00", '
                '"09:00") (the window may cross midnight); None sends at any hour.',
                id="django_letsads.E030",
            )
        )
    try:
        letsads_settings.TIME_ZONE  # noqa: B018 - raises LetsAdsConfigurationError if unknown
    except LetsAdsConfigurationError as exc:
        messages.append(
            Error(str(exc), hint="Use a name such as 'Europe/Kyiv'.", id="django_letsads.E031")
        )
    return messages


@register(Tags.compatibility)
def check_price(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    value = _letsads("PRICE_PER_SEGMENT")
    if value is None or value == "" or parse_price(value) is not None:
        return []
    negative = parse_price(str(value).lstrip().removeprefix("-")) is not None
    return [
        Error(
            f"LETSADS['PRICE_PER_SEGMENT'] is {value!r}; "
            + ("a price cannot be negative." if negative else "it must be a number."),
            hint="The price of one segment in the account's currency, e.g. Decimal('0.45'), or "
            "None for no cost estimate.",
            id="django_letsads.E051" if negative else "django_letsads.E050",
        )
    ]


@register(Tags.compatibility)
def check_worker_stale_after(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    value = _letsads("WORKER_STALE_AFTER")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return []
    return [
        Error(
            f"LETSADS['WORKER_STALE_AFTER'] is {value!r}; it must be a positive whole number "
            "of seconds.",
            hint="Seconds after which a worker that has not been seen counts as stopped; keep "
            "it above the longest wait between rounds (the default 600 is twice the back-off).",
            id="django_letsads.E060",
        )
    ]


@register(Tags.compatibility)
def check_tasks_backend(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not _letsads("USE_TASKS"):
        return []
    from django_letsads.tasks import immediate_backend

    try:
        alias = immediate_backend()
    except Exception:  # an unknown task backend: E090 (and Django's own task checks) report it
        return []
    if alias is None:
        return []
    return [
        Warning(
            f"LETSADS['USE_TASKS'] is on, but the task backend {alias!r} runs tasks immediately, "
            "inside the request that enqueues them: a whole send round would run in the admin's "
            "request. Send and poll rounds are therefore not enqueued.",
            hint="Configure a task backend with a worker in TASKS (e.g. a database backend), or "
            "set LETSADS['USE_TASKS'] = False and run letsads_send --loop and letsads_poll --loop.",
            id="django_letsads.W021",
        )
    ]
