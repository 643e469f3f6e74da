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
* ``django_letsads.E050`` - ``LETSADS["PRICE_PER_SEGMENT"]`` (or an account's own,
  ``LETSADS["promo"]["PRICE_PER_SEGMENT"]``) is not a number.
* ``django_letsads.E051`` - that price is negative.
* ``django_letsads.E060`` - ``LETSADS["WORKER_STALE_AFTER"]`` is not a positive whole number.
* ``django_letsads.E080`` to ``E083`` - the layout of a ``LETSADS`` with several accounts (no
  ``"default"``, an account key beside the accounts, a shared key inside one, a bad alias);
  from ``settings_rules``. With accounts, every message above about an account key names it:
  ``LETSADS['promo']['PASSWORD']``. ``W080``, ``W081``: :mod:`django_letsads.account_checks`.
* ``django_letsads.E090`` - ``USE_TASKS`` is on, but no task framework is installed, or the task
  backend, queue or priority of ``TASKS_BACKEND``/``TASKS_QUEUE``/``TASKS_PRIORITY`` is refused.

The checks are registered with ``@register`` when this package is imported (by
``LetsAdsConfig.ready()``), in modules by what they look at: :mod:`.connection`, :mod:`.messages`,
:mod:`.unsubscribe` and :mod:`.workers`; :mod:`.reading` is how they read the settings.
"""

from __future__ import annotations

from django_letsads.checks.connection import (
    check_api_url,
    check_backend,
    check_credentials,
    check_credentials_deploy,
    check_sender,
    check_settings,
)
from django_letsads.checks.messages import check_numbers_and_limits, check_price, check_quiet_hours
from django_letsads.checks.unsubscribe import check_unsubscribe_campaigns, check_unsubscribe_url
from django_letsads.checks.workers import (
    check_task_mode,
    check_tasks_backend,
    check_worker_stale_after,
)

__all__ = [
    "check_api_url",
    "check_backend",
    "check_credentials",
    "check_credentials_deploy",
    "check_numbers_and_limits",
    "check_price",
    "check_quiet_hours",
    "check_sender",
    "check_settings",
    "check_task_mode",
    "check_tasks_backend",
    "check_unsubscribe_campaigns",
    "check_unsubscribe_url",
    "check_worker_stale_after",
]
