"""Tests of a project that uses the app never reach a gateway, whatever its settings say."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import unittest
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from django.test import SimpleTestCase, override_settings

import django_letsads
from django_letsads import send_sms
from django_letsads.backends.locmem import TEST_BACKEND, LetsAdsTestMixin
from django_letsads.exceptions import LetsAdsConfigurationError

ROOT = Path(__file__).resolve().parent.parent
LETSADS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
# What an integrator's settings look like before the password is in the environment.
PROJECT_SETTINGS = {
    "SMS_BACKEND": LETSADS_BACKEND,
    "LETSADS": {"LOGIN": "380501234567", "PASSWORD": "", "API_URL": "http://127.0.0.1:9/"},
}


def run_django_tests(case: type[unittest.TestCase]) -> unittest.TestResult:
    """Run a Django test class as Django's test runner would, and return its result."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = unittest.TestResult()
    suite.run(result)
    return result


def assert_passed(result: unittest.TestResult) -> None:
    problems = [text for _, text in result.errors + result.failures]
    assert not problems, "\n".join(problems)
    assert result.testsRun


@override_settings(**PROJECT_SETTINGS)
def test_the_mixin_sends_through_the_locmem_backend_whatever_the_settings_say():
    seen: list[str] = []

    class OrderTests(LetsAdsTestMixin, SimpleTestCase):
        def test_first(self):
            from django.conf import settings

            seen.append(settings.SMS_BACKEND)
            (result,) = send_sms("Your code is 1234", ["+380501234567"])
            assert result.status == "queued"
            assert len(django_letsads.outbox) == 1

        def test_second(self):
            assert django_letsads.outbox == []  # emptied before each test
            send_sms("Again", ["+380501234567"])

    assert_passed(run_django_tests(OrderTests))
    assert seen == [TEST_BACKEND]
    from django.conf import settings

    assert settings.SMS_BACKEND == LETSADS_BACKEND  # restored after the class


@override_settings(**PROJECT_SETTINGS)
def test_the_mixin_lets_an_explicit_override_or_the_opt_out_keep_the_real_backend():
    @override_settings(SMS_BACKEND="django_letsads.backends.dummy.SmsBackend")
    class ExplicitTests(LetsAdsTestMixin, SimpleTestCase):
        def test_dummy(self):
            from django.conf import settings

            assert settings.SMS_BACKEND == "django_letsads.backends.dummy.SmsBackend"

    class KeepTests(LetsAdsTestMixin, SimpleTestCase):
        letsads_keep_backend = True

        def test_the_settings_backend(self):
            # The project's own backend, so its missing password is an error at the first send.
            with pytest.raises(LetsAdsConfigurationError, match="PASSWORD"):
                send_sms("Hello", ["+380501234567"])

    assert_passed(run_django_tests(ExplicitTests))
    assert_passed(run_django_tests(KeepTests))


PLUGIN_TESTS = """
import pytest
from django.conf import settings
from django.test import SimpleTestCase, override_settings

import django_letsads
from django_letsads import send_sms
from django_letsads.exceptions import LetsAdsConfigurationError


def test_sends_nowhere():
    assert settings.SMS_BACKEND == "django_letsads.backends.locmem.SmsBackend"
    (result,) = send_sms("Your code is 1234", ["+380501234567"])
    assert result.status == "queued" and len(django_letsads.outbox) == 1


def test_outbox_is_empty_again():
    assert django_letsads.outbox == []


@pytest.mark.letsads_keep_backend
def test_opted_out():
    assert settings.SMS_BACKEND == "django_letsads.backends.letsads.SmsBackend"
    with pytest.raises(LetsAdsConfigurationError, match="PASSWORD"):
        send_sms("Hello", ["+380501234567"])


class PlainTests(SimpleTestCase):
    def test_a_django_test_class_too(self):
        assert settings.SMS_BACKEND == "django_letsads.backends.locmem.SmsBackend"


@override_settings(SMS_BACKEND="django_letsads.backends.dummy.SmsBackend")
class ExplicitTests(SimpleTestCase):
    def test_its_own_override_wins(self):
        assert settings.SMS_BACKEND == "django_letsads.backends.dummy.SmsBackend"
"""


def test_the_pytest_plugin_sends_every_test_through_the_locmem_backend(tmp_path):
    (tmp_path / "project_settings.py").write_text(
        textwrap.dedent(
            f"""
            SECRET_KEY = "x"
            INSTALLED_APPS = ["django.contrib.contenttypes", "django_letsads"]
            DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
            USE_TZ = True
            SMS_BACKEND = {PROJECT_SETTINGS["SMS_BACKEND"]!r}
            LETSADS = {PROJECT_SETTINGS["LETSADS"]!r}
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "test_project.py").write_text(PLUGIN_TESTS, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    command += ["--ds", "project_settings", "-W", "error", "test_project.py"]
    if not any(ep.value == "django_letsads.pytest_plugin" for ep in entry_points(group="pytest11")):
        command += ["-p", "django_letsads.pytest_plugin"]  # a checkout that is not installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout
