"""Run the whole example in one terminal: simulator, worker, poller and web server.

``bash example_project/run-demo.sh`` installs the package into a virtualenv and then runs this
file, which:

1. migrates the database and creates (or resets) a demo superuser, printing its credentials;
2. adds a draft campaign with a few recipients, ready for the admin's **Send campaign** action;
3. starts ``letsads_simulator`` (unless ``LETSADS_API_URL`` points somewhere else, e.g. the real
   gateway), ``letsads_send --loop``, ``letsads_poll --loop`` and ``runserver`` as child processes,
   each in its own session so that Ctrl-C reaches only this process;
4. prints the URLs and streams the children's output, each line prefixed with its name;
5. on Ctrl-C (or SIGTERM, or when a child dies) stops every child: SIGTERM first, so the worker
   finishes the requests it has in flight, then SIGKILL after a grace period.

The simulator's clock runs ``--speed`` times faster than real time, and the poll schedule is
shortened to match (``LETSADS_POLL_SCHEDULE``), so a text sent from the OTP page reaches
``delivered`` within seconds instead of ten minutes.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent
MANAGE = PROJECT_DIR / "manage.py"

DEMO_USERNAME = "admin"
# Printed on purpose: the demo server listens on 127.0.0.1 only.
DEMO_PASSWORD = "letsads-demo"
# Twenty numbers; the simulator fails those ending in 00-09, so two of them end undelivered.
DEMO_RECIPIENTS = [f"+38050{n:07d}" for n in range(1234500, 1234600, 5)]
STOP_GRACE_SECONDS = 10.0
IDLE_SUFFIX = "nothing to do"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="web server port (default 8000)")
    parser.add_argument("--simulator-port", type=int, default=8025, help="default 8025")
    parser.add_argument(
        "--speed", type=float, default=60, help="simulated seconds per real second (default 60)"
    )
    parser.add_argument(
        "--poll-schedule",
        default="10,60,300",
        help="seconds after sending at which statuses are polled (default 10,60,300)",
    )
    parser.add_argument(
        "--no-campaign", action="store_true", help="do not add the sample draft campaign"
    )
    return parser.parse_args(argv)


def configure_environment(args: argparse.Namespace) -> bool:
    """Set the variables the children inherit; returns True when the simulator should run."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # The commands print one summary line per round; the package's INFO log would repeat it.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    default_url = f"http://127.0.0.1:{args.simulator_port}/"
    api_url = os.environ.get("LETSADS_API_URL") or _dotenv_value("LETSADS_API_URL") or default_url
    use_simulator = urlsplit(api_url).hostname in {"127.0.0.1", "localhost"} and (
        urlsplit(api_url).port == args.simulator_port
    )
    if use_simulator:
        os.environ["LETSADS_API_URL"] = api_url
        # Polls are due on the database's (real) clock but statuses move on the simulator's
        # faster one: a short schedule shows deliveries within a minute.
        os.environ.setdefault("LETSADS_POLL_SCHEDULE", args.poll_schedule)
    return use_simulator


def _dotenv_value(name: str) -> str | None:
    """The value of ``name`` in ``example_project/.env``, which the settings read too."""
    path = PROJECT_DIR / ".env"
    if not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == name:
            return value.strip().strip("'\"") or None
    return None


def prepare_database(add_campaign: bool) -> None:
    """Migrate, create the demo superuser and the sample campaign (in this process)."""
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    user_model = get_user_model()
    user, _ = user_model._default_manager.get_or_create(
        username=DEMO_USERNAME, defaults={"email": "admin@example.com"}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    if add_campaign:
        _add_sample_campaign(user)


def _add_sample_campaign(user: Any) -> None:
    from django.db import transaction

    from django_letsads.models import Campaign, Message

    name = "Demo: spring sale"
    if Campaign.objects.filter(name=name).exists():
        return
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            sender="Test",
            text="Spring sale: -20% on everything until Sunday. Reply STOP to opt out.",
            created_by=user,
        )
        Message.objects.bulk_create(
            Message(campaign=campaign, recipient=number.lstrip("+"), status=Message.Status.PENDING)
            for number in DEMO_RECIPIENTS
        )


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[str] | None = None
    pump: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv,
            cwd=PROJECT_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C goes to the demo, which stops children in order
        )
        self.pump = threading.Thread(target=self._pump, name=f"pump-{self.name}", daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.rstrip().endswith(IDLE_SUFFIX):
                continue  # an idle round every second or two would drown everything else
            print(f"[{self.name:>4}] {line.rstrip()}", flush=True)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.running():
            assert self.process is not None
            self.process.send_signal(signum)


def manage(*args: str) -> list[str]:
    return [sys.executable, str(MANAGE), *args]


def wait_for_port(port: int, child: Child, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running():
            raise SystemExit(f"{child.name} exited before listening on port {port}.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{child.name} did not listen on port {port} within {timeout:.0f} s.")


def wait_for_http(url: str, child: Child, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running():
            raise SystemExit(f"{child.name} exited before answering {url}.")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own 127.0.0.1 URL
                return
        except urllib.error.HTTPError:
            return  # it answered, even if with an error page
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s.")


def stop_all(children: list[Child]) -> None:
    """SIGTERM in reverse start order, then SIGKILL whatever is still alive after the grace."""
    for child in reversed(children):
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in reversed(children):
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"[demo] {child.name} did not stop in time; killing it.", flush=True)
            child.process.kill()
            child.process.wait()
    for child in children:
        if child.pump is not None:
            child.pump.join(timeout=2)


def banner(args: argparse.Namespace, use_simulator: bool) -> str:
    base = f"http://127.0.0.1:{args.port}"
    gateway = (
        f"simulator on http://127.0.0.1:{args.simulator_port}/ (clock x{args.speed:g})"
        if use_simulator
        else f"REAL gateway at {os.environ.get('LETSADS_API_URL') or _dotenv_value('LETSADS_API_URL')}"
    )
    lines = [
        "",
        "django-letsads demo is running.",
        f"  Admin:     {base}/admin/   (user {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r})",
        f"  OTP page:  {base}/         (texts a one-time code through SMS_BACKEND)",
        f"  Gateway:   {gateway}",
        "  Worker:    letsads_send --loop and letsads_poll --loop",
        "  Try: Admin > Campaigns > 'Demo: spring sale' > action 'Send campaign'.",
        "Press Ctrl-C to stop everything.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    use_simulator = configure_environment(args)
    print("[demo] migrating and creating the demo user ...", flush=True)
    prepare_database(add_campaign=not args.no_campaign)

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    children: list[Child] = []
    try:
        if use_simulator:
            sim = Child(
                "sim",
                manage(
                    "letsads_simulator",
                    "--port",
                    str(args.simulator_port),
                    "--speed",
                    f"{args.speed:g}",
                ),
            )
            children.append(sim)
            sim.start()
            wait_for_port(args.simulator_port, sim)
        for name, command in (
            ("send", manage("letsads_send", "--loop", "--interval", "1")),
            ("poll", manage("letsads_poll", "--loop", "--interval", "2")),
            ("web", manage("runserver", f"127.0.0.1:{args.port}", "--noreload")),
        ):
            child = Child(name, command)
            children.append(child)
            child.start()
        web = children[-1]
        wait_for_http(f"http://127.0.0.1:{args.port}/admin/login/", web)
        print(banner(args, use_simulator), flush=True)
        while not stopping.wait(0.5):
            dead = [child for child in children if not child.running()]
            if dead:
                codes = ", ".join(
                    f"{c.name} (exit {c.process.returncode if c.process else '?'})" for c in dead
                )
                print(f"[demo] stopped unexpectedly: {codes}; shutting down.", flush=True)
                return 1
        print("\n[demo] stopping ...", flush=True)
        return 0
    finally:
        stop_all(children)
        print("[demo] all stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
