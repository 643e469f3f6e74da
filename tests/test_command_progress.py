"""The commands' progress bar: on a terminal only, one line that fits the terminal's width."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest
from django.core.management import call_command

from django_letsads.models import Message
from tests.factories import ROOT, make_campaign, numbers, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_terminal(command: str, env: dict[str, str], columns: int) -> str:
    """Run ``command`` with a pseudo-terminal of ``columns`` columns as its output; all it wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    code = (
        "import django; django.setup(); "
        "from django.core.management import call_command; "
        f"call_command({command!r})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process has ended
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=60)
    os.close(master)
    assert process.returncode == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode("utf-8", "replace")


def frames(output: str) -> list[str]:
    """Every state the terminal's lines went through: the text between carriage returns."""
    return [ANSI.sub("", frame) for line in output.split("\n") for frame in line.split("\r")]


@pytest.mark.letsads_simulator(undelivered_share=0)
def test_send_draws_one_bar_that_fits_80_columns(letsads_simulator, settings):
    make_campaign(numbers(400))
    env = worker_env(letsads_simulator.url, settings.LETSADS["PASSWORD"])

    output = run_on_a_terminal("letsads_send", env, columns=80)

    shown = [f for f in frames(output) if f.strip()]
    bars = [f for f in shown if f.startswith("Sending")]
    assert bars, output
    assert all(len(frame) <= 80 for frame in shown), [f for f in shown if len(f) > 80]
    assert "400/400" in bars[-1]
    assert "100%" in bars[-1]
    assert "msg/s" in "".join(bars)
    # The summary has a line of its own, after the bar.
    summary = [f for f in shown if "claimed=400" in f]
    assert summary
    assert not summary[0].startswith("Sending")
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == 400


def test_no_bar_when_the_output_is_not_a_terminal(letsads_simulator):
    make_campaign(numbers(20))
    out = io.StringIO()

    call_command("letsads_send", stdout=out)

    assert out.getvalue().startswith("claimed=20")
    assert "Sending" not in out.getvalue()
    assert "\r" not in out.getvalue()


# -- help texts and messages of the commands ------------------------------------------------------


def help_of(command: str) -> dict[str, str]:
    """Each option of ``command`` with its help text, as ``--help`` prints them."""
    from django.core.management import load_command_class

    parser = load_command_class("django_letsads", command).create_parser("manage.py", command)
    return {
        action.option_strings[-1]: action.help or ""
        for action in parser._actions
        if action.option_strings
    }


BASE_OPTIONS = {  # Django's own, documented by Django
    "--help",
    "--version",
    "--verbosity",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
}


@pytest.mark.parametrize("command", ["letsads_send", "letsads_poll", "letsads_simulator"])
def test_every_option_says_what_it_does_and_its_default(command):
    options = {k: v for k, v in help_of(command).items() if k not in BASE_OPTIONS}

    assert options
    for option, text in options.items():
        assert len(text) > 15, option
        flag = option in {"--dry-run", "--resend-unknown", "--i-accept-duplicates"}
        assert flag or "default" in text, (option, text)


def test_the_worker_options_name_their_defaults():
    from django.core.management import load_command_class

    options = help_of("letsads_send")
    parser = load_command_class("django_letsads", "letsads_send").create_parser("manage.py", "x")
    printed = " ".join(parser.format_help().split())

    assert "nothing to do (default: 5.0;" in printed
    assert "LETSADS['CONCURRENCY']" in options["--concurrency"]
    assert "id or exact name" in options["--campaign"]


def test_the_simulator_does_not_send_people_to_its_own_help():
    from django.core.management import load_command_class

    command = load_command_class("django_letsads", "letsads_simulator")

    assert "--help" not in command.help
    assert "fake LetsAds gateway" in command.help


@pytest.mark.letsads_simulator(password="right-password")
def test_balance_errors_name_the_code_once(letsads_simulator, settings):
    from django.core.management.base import CommandError

    settings.LETSADS = {
        **settings.LETSADS,
        "API_URL": letsads_simulator.url,
        "PASSWORD": "wrong-password",
    }

    with pytest.raises(CommandError) as error:
        call_command("letsads_balance", stdout=io.StringIO())

    assert str(error.value).count("AUTH_DATA") == 1


def test_resend_unknown_takes_a_campaign_by_name(letsads_simulator):
    campaign = make_campaign(numbers(2), name="Autumn")
    other = make_campaign(numbers(2, start=10), name="Winter")
    Message.objects.update(status=Message.Status.UNKNOWN)

    call_command(
        "letsads_send",
        "--resend-unknown",
        "--i-accept-duplicates",
        "--campaign",
        "Autumn",
        "--dry-run",
        stdout=io.StringIO(),
    )

    assert set(campaign.messages.values_list("status", flat=True)) == {Message.Status.PENDING}
    assert set(other.messages.values_list("status", flat=True)) == {Message.Status.UNKNOWN}


@pytest.mark.parametrize(
    ("value", "error"), [("Nope", "no campaign with"), ("Twin", "several campaigns")]
)
def test_resend_unknown_refuses_an_unknown_or_ambiguous_campaign(value, error):
    from django.core.management.base import CommandError

    make_campaign(numbers(1), name="Twin")
    make_campaign(numbers(1, start=5), name="Twin")

    with pytest.raises(CommandError, match=error):
        call_command(
            "letsads_send", "--resend-unknown", "--i-accept-duplicates", "--campaign", value
        )
