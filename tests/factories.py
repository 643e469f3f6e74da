"""Small builders shared by the tests: campaigns and messages, worker processes, and the admin's
visitors and uploads."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from django_letsads.models import Campaign, Message

ROOT = Path(__file__).resolve().parent.parent


def numbers(count: int, start: int = 0, prefix: str = "38050") -> list[str]:
    """Distinct valid-looking Ukrainian mobile numbers."""
    return [f"{prefix}{start + i:07d}" for i in range(count)]


def make_campaign(
    recipients: list[str],
    *,
    text: str = "Sale: -20% & free delivery <today>",
    sender: str = "Test",
    state: str = Campaign.State.SENDING,
    name: str = "Test campaign",
) -> Campaign:
    campaign = Campaign.objects.create(name=name, sender=sender, text=text, state=state)
    Message.objects.bulk_create(
        [
            Message(campaign=campaign, recipient=r, status=Message.Status.PENDING)
            for r in recipients
        ],
        batch_size=2000,
    )
    return campaign


def make_outbox_messages(recipients: list[str], text: str = "Code 1234") -> list[Message]:
    return Message.objects.bulk_create(
        [
            Message(recipient=r, sender="Test", text=text, status=Message.Status.PENDING)
            for r in recipients
        ]
    )


def worker_env(sim_url: str, password: str, **extra: str) -> dict[str, str]:
    """Environment for a worker process that uses the test database and the simulator."""
    env = dict(os.environ)
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "postgresql":
        env["LETSADS_TEST_DB"] = "postgres"
        env["LETSADS_TEST_PG_NAME"] = name
    else:
        env["LETSADS_TEST_SQLITE_NAME"] = name
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "LETSADS_API_URL": sim_url,
            "LETSADS_PASSWORD": password,
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


def start_worker(
    command: str, env: dict[str, str], *args: str, **popen: Any
) -> subprocess.Popen[str]:
    """Start ``manage.py <command>`` for the test project in its own process."""
    code = (
        "import sys, django; django.setup(); "
        "from django.core.management import call_command; "
        f"call_command({command!r}, *sys.argv[1:])"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def failing_on_call(func: Callable[..., Any], call: int, error: Exception) -> Callable[..., Any]:
    """``func``, except that its ``call``-th call (from 1) raises ``error``: an unexpected failure
    at a chosen moment of a round."""
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            raise error
        return func(*args, **kwargs)

    return wrapper


def staff_client(*codenames: str, name: str = "staff") -> Client:
    """A test client logged in as staff user ``name`` with only these permissions of the app."""
    user = User.objects.create_user(name, f"{name}@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="django_letsads", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


def upload_recipients(
    client: Client, data: str | bytes, *, name: str = "list.csv", language: str = "en"
) -> str:
    """Add the campaign "Promo" in the admin with ``data`` (text is encoded as UTF-8) as its
    recipients file ``name``, the page in ``language``: the page shown after saving."""
    response = client.post(
        reverse("admin:django_letsads_campaign_add"),
        {
            "name": "Promo",
            "sender": "Shop",
            "text": "Hello",
            "scheduled_at": "",
            "recipients_file": SimpleUploadedFile(
                name, data.encode() if isinstance(data, str) else data, "text/csv"
            ),
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return response.content.decode()
