"""The example project's one-time-code page: form errors, limits and a status that updates in
place (the page never reloads the form, so typed digits stay)."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_example_project import PROJECT, migrate, migrated_database, project_env, shell

__all__ = ["migrated_database", "project_env"]  # fixtures, used by name

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def test_a_word_as_phone_number_is_a_form_error_and_sends_nothing(project_env, migrated_database):
    project_env["SMS_BACKEND"] = "django_letsads.backends.locmem.SmsBackend"
    migrate(project_env, migrated_database)
    out = shell(
        project_env,
        """
        from django.test import Client
        import django_letsads

        response = Client().post("/", {"phone": "hello"})
        page = response.content.decode()
        assert response.status_code == 200, response.status_code
        assert "Enter a phone number, like +380 50 123 45 67" in page, page
        assert "cannot receive texts" not in page
        print("ok", len(django_letsads.outbox))
        """,
    )
    assert out.strip() == "ok 0"


def test_codes_are_limited_per_number_and_per_client_address(project_env, migrated_database):
    project_env["SMS_BACKEND"] = "django_letsads.backends.locmem.SmsBackend"
    migrate(project_env, migrated_database)
    out = shell(
        project_env,
        """
        from django.test import Client
        import django_letsads
        from otp.throttle import PER_ADDRESS, PER_NUMBER

        one = Client(REMOTE_ADDR="10.0.0.1")
        codes = [one.post("/", {"phone": "050 123 45 67"}).status_code for _ in range(PER_NUMBER[0] + 1)]
        assert codes == [302] * PER_NUMBER[0] + [429], codes
        refused = one.post("/", {"phone": "050 123 45 67"})
        assert "Too many codes" in refused.content.decode()

        other = Client(REMOTE_ADDR="10.0.0.2")
        statuses = [
            other.post("/", {"phone": f"050 123 45 {i:02d}"}).status_code
            for i in range(10, 10 + PER_ADDRESS[0] + 1)
        ]
        assert statuses == [302] * PER_ADDRESS[0] + [429], statuses
        # Another visitor may still ask for a code for their own number.
        assert Client(REMOTE_ADDR="10.0.0.3").post("/", {"phone": "067 123 45 67"}).status_code == 302
        print("ok", len(django_letsads.outbox))
        """,
    )
    assert out.strip() == "ok 14"


def test_the_status_view_lists_the_outbox_as_json(project_env, migrated_database):
    project_env["SMS_BACKEND"] = "django_letsads.backends.outbox.SmsBackend"
    migrate(project_env, migrated_database)
    out = shell(
        project_env,
        """
        import json
        from django.test import Client

        client = Client()
        assert client.post("/", {"phone": "050 123 45 67"}).status_code == 302
        page = client.get("/verify/").content.decode()
        assert 'http-equiv="refresh"' not in page
        assert 'id="outbox"' in page
        (row,) = json.loads(client.get("/status/").content)["messages"]
        print(row["recipient"], row["status"], row["final"])
        """,
    )
    assert out.strip() == "+380501234567 pending False"


# -- in a browser -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def otp_site(
    project_env: dict[str, str], migrated_database: Path, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """The example project's pages served by runserver, storing texts in the outbox."""
    project_env["SMS_BACKEND"] = "django_letsads.backends.outbox.SmsBackend"
    project_env["DEBUG"] = "true"
    migrate(project_env, migrated_database)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(PROJECT / "manage.py"), "runserver", "--noreload", str(port)],
        cwd=PROJECT,
        env=project_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/status/", timeout=2) as response:
                json.loads(response.read())
            break
        except OSError:
            assert time.monotonic() < deadline, "runserver did not start"
            time.sleep(0.3)
    try:
        yield url, tmp_path / "example.sqlite3"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.browser
@pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="needs Chromium and chromedriver",
)
def test_typed_digits_survive_a_status_update(otp_site: tuple[str, Path]) -> None:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service

    url, database = otp_site
    options = webdriver.ChromeOptions()
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--window-size=1400,900",
    ):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    browser: Any = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(3)
    try:
        browser.get(url + "/")
        phone = browser.find_element("name", "phone")
        phone.clear()
        phone.send_keys("050 123 45 67")
        browser.find_element("css selector", "button[type=submit]").click()
        browser.find_element("name", "code").send_keys("123")  # half typed
        browser.execute_script("window.otpSamePage = true;")
        assert (
            browser.find_element("css selector", "tr.message").get_attribute("data-status")
            == "pending"
        )

        # The worker's part, done to the database directly: the text is delivered.
        with sqlite3.connect(database) as db:
            db.execute("UPDATE django_letsads_message SET status = 'delivered'")

        def shown_status() -> str | None:
            # The page replaces the row when the status changes: a row found just before that
            # is gone by the time it is read, which is no answer yet.
            try:
                row = browser.find_element("css selector", "tr.message")
                return row.get_attribute("data-status")
            except StaleElementReferenceException:
                return None

        deadline = time.monotonic() + 15
        while shown_status() != "delivered":
            assert time.monotonic() < deadline, "the status did not update"
            time.sleep(0.3)
        assert "delivered" in browser.find_element("css selector", "tr.message").text
        assert browser.find_element("name", "code").get_attribute("value") == "123"
        assert browser.execute_script("return window.otpSamePage === true;")
    finally:
        browser.quit()
