"""The example project works as a user runs it: its own settings, its own processes.

Everything here runs ``example_project/manage.py`` (or ``demo.py``) in a subprocess with a
throw-away SQLite database, so the project's settings, environment handling and URLs are the ones
tested, not the test suite's.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from django_letsads.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "example_project"
LOGIN, PASSWORD = "380501234567", "example-test-password"

pytest.importorskip("environ", reason="the example project needs django-environ")


@pytest.fixture
def project_env(tmp_path: Path) -> dict[str, str]:
    """Environment of a user's shell: a fresh database, the simulator's test account."""
    return environment(tmp_path)


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LETSADS_", "DJANGO_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'example.sqlite3'}",
        LETSADS_LOGIN=LOGIN,
        LETSADS_PASSWORD=PASSWORD,
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        SECRET_KEY="example-project-tests",
        PYTHONPATH=str(ROOT),  # the checkout's django_letsads, as an editable install gives
    )
    env.pop("SMS_BACKEND", None)
    return env


def manage(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project's database after ``manage.py migrate``, made once a session: the
    tests that only need the tables copy it (``migrate``). Migrating itself is proven by
    ``test_check_migrate_and_no_missing_migrations``, which runs the command."""
    folder = tmp_path_factory.mktemp("example-migrated")
    manage(environment(folder), "migrate", "--noinput", "-v", "0")
    return folder / "example.sqlite3"


def migrate(env: dict[str, str], migrated: Path) -> None:
    """What ``manage.py migrate`` would leave in ``env``'s new database: a copy of ``migrated``."""
    target = env["DATABASE_URL"][len("sqlite:///") :]
    with closing(sqlite3.connect(migrated)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)


def shell(env: dict[str, str], code: str) -> str:
    return manage(env, "shell", "-v", "0", "-c", textwrap.dedent(code)).stdout


def test_check_migrate_and_no_missing_migrations(project_env: dict[str, str]) -> None:
    manage(project_env, "check", "--fail-level", "WARNING")
    manage(project_env, "migrate", "--noinput", "-v", "0")
    manage(project_env, "makemigrations", "--check", "--dry-run")


def test_settings_come_from_the_environment(project_env: dict[str, str]) -> None:
    project_env.update(
        LETSADS_SENDER="Shop",
        LETSADS_API_URL="https://api.letsads.com",
        LETSADS_POLL_SCHEDULE="10,60,300",
        DEBUG="false",
    )
    out = shell(
        project_env,
        """
        from django.conf import settings
        L = settings.LETSADS
        print(L["LOGIN"], L["SENDER"], L["API_URL"], L["POLL_SCHEDULE"], settings.DEBUG)
        print(settings.SECRET_KEY, settings.DATABASES["default"]["NAME"])
        """,
    )
    first, second = out.strip().splitlines()
    assert first == f"{LOGIN} Shop https://api.letsads.com [10, 60, 300] False"
    assert second == f"example-project-tests {project_env['DATABASE_URL'][len('sqlite:///') :]}"


def test_defaults_use_sqlite_in_the_project_folder_and_the_simulator(
    project_env: dict[str, str],
) -> None:
    for name in ("DATABASE_URL", "LETSADS_LOGIN", "LETSADS_PASSWORD"):
        project_env.pop(name)
    out = shell(
        project_env,
        """
        from django.conf import settings
        print(settings.DATABASES["default"]["NAME"])
        print(settings.LETSADS["API_URL"], settings.SMS_BACKEND)
        """,
    )
    database, gateway = out.strip().splitlines()
    assert database == str(PROJECT / "db.sqlite3")
    assert gateway == "http://127.0.0.1:8025/ django_letsads.backends.outbox.SmsBackend"


def test_otp_page_sends_a_code_through_sms_backend(
    project_env: dict[str, str], migrated_database: Path
) -> None:
    project_env["SMS_BACKEND"] = "django_letsads.backends.locmem.SmsBackend"
    migrate(project_env, migrated_database)
    out = shell(
        project_env,
        """
        import re
        from django.test import Client
        import django_letsads

        client = Client()
        response = client.post("/", {"phone": "050 123 45 67"})
        assert response.status_code == 302 and response["Location"] == "/verify/", response
        (sms,) = django_letsads.outbox
        code = re.search(r"Your code is (\\d{6})", sms.text).group(1)
        assert client.post("/verify/", {"code": "000000" if code != "000000" else "111111"}
                           ).status_code == 200  # wrong code: the form again
        assert client.post("/verify/", {"code": code}).status_code == 302
        assert client.post("/", {"phone": "not a phone"}).status_code == 200
        print("ok", sms.recipients, len(django_letsads.outbox))
        """,
    )
    assert out.strip() == "ok ['380501234567'] 1"  # the form hands on the normalised number


def test_send_otp_command_prints_the_result(project_env: dict[str, str]) -> None:
    project_env["SMS_BACKEND"] = "django_letsads.backends.dummy.SmsBackend"
    out = manage(project_env, "send_otp", "+380 67 123 45 67").stdout
    assert re.fullmatch(
        r"code=\d{6} recipient=380671234567 status=\w+ sms_id=\S+ error_code=-\n", out
    )


def test_otp_message_goes_through_worker_and_poller_to_delivered(
    project_env: dict[str, str], migrated_database: Path
) -> None:
    """The demo's path with the real commands: page → outbox → letsads_send → letsads_poll."""
    with Simulator(speed=0) as sim:
        sim.add_account(LOGIN, PASSWORD)
        project_env.update(LETSADS_API_URL=sim.url, LETSADS_POLL_SCHEDULE="1,2,5")
        migrate(project_env, migrated_database)
        shell(
            project_env,
            """
            from django.test import Client
            assert Client().post("/", {"phone": "+380 50 123 45 67"}).status_code == 302
            """,
        )
        assert "1 queued" in _summary(manage(project_env, "letsads_send"))
        assert sim.sent_recipients() == ["380501234567"]
        sim.advance(600)  # the gateway delivers; our first poll is due one second after sending
        time.sleep(1.2)
        manage(project_env, "letsads_poll")
        out = shell(
            project_env,
            """
            from django_letsads.models import Message
            m = Message.objects.get()
            print(m.status, m.gateway_status, list(m.events.values_list("new_status", flat=True)))
            """,
        )
    assert out.strip() == (
        "delivered MESSAGE_IS_DELIVERED ['pending', 'sending', 'queued', 'delivered']"
    )


def _summary(done: subprocess.CompletedProcess[str]) -> str:
    return " ".join((done.stdout + done.stderr).split())


# -- the demo runner ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Output:
    """Collects a process's output on a thread, so that the pipe never fills and blocks it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern: str, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in list(self.lines)):
                return list(self.lines)
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not seen:\n" + "\n".join(self.lines))


@pytest.fixture
def demo(project_env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], Output, int]]:
    port, sim_port = _free_port(), _free_port()
    for name in ("LETSADS_LOGIN", "LETSADS_PASSWORD", "ALLOWED_HOSTS"):
        project_env.pop(name)
    process = subprocess.Popen(
        [
            sys.executable,
            str(PROJECT / "demo.py"),
            "--port",
            str(port),
            "--simulator-port",
            str(sim_port),
            "--poll-schedule",
            "1,5,30",
        ],
        cwd=ROOT,
        env=project_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process, Output(process), port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


class Browser:
    """Just enough of a browser for Django forms: cookies and the CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=10) as response:
            return int(response.status), response.read().decode()

    def post_form(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        _, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token.group(1)}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base}
        )
        with self.opener.open(request, timeout=10) as response:
            return int(response.status), response.read().decode()


def test_demo_runs_everything_delivers_an_otp_and_stops_cleanly(demo: Any) -> None:
    process, output, port = demo
    banner = output.wait_for(r"Press Ctrl-C", timeout=120)
    admin = f"http://127.0.0.1:{port}/admin/"
    assert any(admin in line and "letsads-demo" in line for line in banner), banner

    browser = Browser(f"http://127.0.0.1:{port}")
    status, login_page = browser.get("/admin/login/")
    assert status == 200
    assert "Django administration" in login_page
    status, page = browser.post_form("/", {"phone": "+380 50 123 45 67"})
    assert status == 200
    assert "Enter the code" in page

    deadline = time.monotonic() + 60
    while 'data-status="delivered"' not in page:
        assert time.monotonic() < deadline, page
        time.sleep(1)
        _, page = browser.get("/")

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    output.thread.join(timeout=10)
    assert output.lines[-1] == "[demo] all stopped."
