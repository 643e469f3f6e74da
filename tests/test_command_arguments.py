"""Out-of-range command arguments are argument errors (issue 14, item 7)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from django_letsads.models import Message
from tests.factories import make_outbox_messages, numbers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("command", "args", "option"),
    [
        ("letsads_send", ["--loop", "--interval", "-1"], "--interval"),
        ("letsads_send", ["--loop", "--interval", "0"], "--interval"),
        ("letsads_poll", ["--loop", "--interval", "nan"], "--interval"),
        ("letsads_send", ["--dry-run", "--limit", "99999999999999999999"], "--limit"),
        ("letsads_send", ["--limit", "0"], "--limit"),
        ("letsads_poll", ["--concurrency", "100000"], "--concurrency"),
        (
            "letsads_send",
            ["--resend-unknown", "--campaign", "99999999999999999999"],
            "--campaign",
        ),
        ("letsads_simulator", ["--port", "99999"], "--port"),
        ("letsads_simulator", ["--port", "-1"], "--port"),
        ("letsads_simulator", ["--fault-rate", "2"], "--fault-rate"),
    ],
)
def test_an_out_of_range_argument_is_an_argument_error(
    command: str, args: list[str], option: str
) -> None:
    make_outbox_messages(numbers(2))
    with pytest.raises(CommandError, match=option):
        call_command(command, *args)
    # Nothing ran: nothing was claimed.
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.PENDING}


@pytest.mark.parametrize(("name", "value"), [("interval", -1), ("limit", 0), ("limit", 10**20)])
def test_values_passed_as_keywords_are_checked_too(name: str, value: float) -> None:
    with pytest.raises(CommandError, match=f"--{name}"):
        call_command("letsads_send", loop=True, **{name: value})


def test_the_standalone_simulator_refuses_a_port_out_of_range() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "django_letsads.simulator", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--port" in done.stderr
    assert "Traceback" not in done.stderr
