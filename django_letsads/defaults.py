"""Every key of ``LETSADS`` with its default: the one table that :mod:`django_letsads.conf`, the
settings' rules (:mod:`django_letsads.settings_rules`) and the system checks read. Data only, no
imports of the app, so every layer may use it."""

from __future__ import annotations

from typing import Any

DEFAULT_API_URL = "https://api.letsads.com"

#: Every key of ``LETSADS`` with its default. README's settings reference mirrors this table.
DEFAULTS: dict[str, Any] = {
    "LOGIN": "",
    "PASSWORD": "",
    "SENDER": "Test",
    "API_URL": DEFAULT_API_URL,
    "TIMEOUT": 15,
    # Seconds after sending at which a status is polled; after the last poll, ``expired``.
    "POLL_SCHEDULE": [600, 10800, 86400],
    # Delay before re-trying a poll that hit a transport fault.
    "POLL_RETRY_DELAY": 300,
    # Recipients per send request (the gateway takes at most 50).
    "BATCH_SIZE": 50,
    # Requests a worker runs at once.
    "CONCURRENCY": 4,
    # Requests per second to the gateway across a worker's threads; 0 means no cap.
    "RATE_LIMIT": 0,
    # Messages a worker claims per round.
    "CLAIM_SIZE": 2000,
    # Seconds a message may stay ``sending`` before recovery declares it ``unknown``.
    "CLAIM_LEASE": 600,
    # Times a request that provably never left (connection refused, DNS) is tried again.
    "CONNECT_RETRIES": 2,
    # Text limits of the gateway, in characters.
    "MAX_LENGTH_GSM7": 459,
    "MAX_LENGTH_UCS2": 402,
    # Region for numbers written without a country code.
    "DEFAULT_REGION": "UA",
    # Folder of the filebased backend.
    "FILE_PATH": "",
    # Seconds the admin caches the account balance.
    "BALANCE_CACHE_SECONDS": 60,
    # Enqueue send/poll rounds on Django's task framework (django_letsads.tasks).
    "USE_TASKS": False,
    # Where django_letsads.urls is served; the {unsubscribe_url} placeholder appends a token.
    "UNSUBSCRIBE_BASE_URL": "",
    # Task mode: the task backend alias, queue and priority of the rounds' tasks.
    "TASKS_BACKEND": "default",
    "TASKS_QUEUE": "default",
    "TASKS_PRIORITY": 0,
    # Task mode: messages (or polls) one task round takes at most, so that a round stays short.
    "TASKS_ROUND_LIMIT": 2000,
    # Task mode: seconds by which a chain's next task must have begun before it is taken for
    # dead (its worker killed) and replaced.
    "TASKS_LEASE": 300,
    # Task mode: seconds before the next round when work is there but none could be taken.
    "TASKS_IDLE_DELAY": 10,
    # Local times ("HH:MM", start, end) in which no campaign message is claimed; None: never.
    "QUIET_HOURS": ("21:00", "09:00"),
    # Time zone of QUIET_HOURS; None: settings.TIME_ZONE.
    "TIME_ZONE": None,
    # Price of one segment in the account's currency, for cost estimates; None: no estimate.
    # Shared, and an account may set its own (ACCOUNT_OVERRIDES).
    "PRICE_PER_SEGMENT": None,
    # Seconds after which a worker's heartbeat no longer counts as a running worker.
    "WORKER_STALE_AFTER": 600,
}

#: Shared keys that an account of a ``LETSADS`` with accounts may also set for itself: the
#: top-level value is the default of the accounts without their own.
ACCOUNT_OVERRIDES: tuple[str, ...] = ("PRICE_PER_SEGMENT",)
