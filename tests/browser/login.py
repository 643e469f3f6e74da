"""Logging in to the admin in the browser tests' Chromium."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User


def log_in(browser: Any, live_server: Any) -> None:
    """Create the superuser "admin" and log in with the admin's login form (the click submits
    it; a test that must be on the next page waits for it)."""
    User.objects.create_superuser("admin", "admin@example.com", "secret-pw")
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element("name", "username").send_keys("admin")
    browser.find_element("name", "password").send_keys("secret-pw")
    browser.find_element("css selector", "input[type=submit]").click()
