"""USE_TASKS: rounds go onto a task queue, never onto a backend that runs them inside the request."""

from __future__ import annotations

import logging

import pytest

from django_letsads import send_sms, tasks
from django_letsads.models import Message

pytestmark = pytest.mark.django_db


def immediate_backend() -> dict[str, dict[str, str]]:
    module = tasks._tasks_module()
    if module is None:
        pytest.skip("needs django.tasks (Django 6) or the django-tasks backport")
    return {"default": {"BACKEND": f"{module.__name__}.backends.immediate.ImmediateBackend"}}


def test_a_send_round_is_not_run_inside_the_request_by_the_immediate_backend(
    letsads_simulator, settings, caplog, django_capture_on_commit_callbacks
):
    settings.TASKS = immediate_backend()
    settings.SMS_BACKEND = "django_letsads.backends.outbox.SmsBackend"
    settings.LETSADS = {**settings.LETSADS, "USE_TASKS": True}

    with (
        caplog.at_level(logging.WARNING, logger="django_letsads.tasks"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        (result,) = send_sms("Your code is 1234", ["+380501234567"])

    assert len(callbacks) == 1  # enqueue_send was asked, on commit
    assert result.status == "pending"
    assert list(Message.objects.values_list("status", flat=True)) == ["pending"]
    assert letsads_simulator.log() == []  # no round ran in this "request"
    assert "runs tasks immediately" in caplog.text
    assert "letsads_send --loop" in caplog.text
