"""Settings of the test suite. ``LETSADS_TEST_DB=postgres`` runs it on the local PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_letsads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

if os.environ.get("LETSADS_TEST_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("LETSADS_TEST_PG_NAME", "letsads"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            # One test database per run, so parallel runs on one machine never share one.
            "TEST": {"NAME": f"test_letsads_{os.getpid()}"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # Worker processes started by tests point at the test database through this variable.
            "NAME": os.environ.get("LETSADS_TEST_SQLITE_NAME", str(BASE_DIR / "test.sqlite3")),
            "TEST": {"NAME": str(BASE_DIR / f"test-db-{os.getpid()}.sqlite3")},
            # IMMEDIATE makes every transaction take the write lock at BEGIN, so two worker
            # processes never deadlock on a read-then-write transaction.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

STATIC_URL = "/static/"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("uk", "Українська"), ("ru", "Русский")]

SMS_BACKEND = "django_letsads.backends.locmem.SmsBackend"
LETSADS = {
    "LOGIN": "380501234567",
    "PASSWORD": os.environ.get("LETSADS_PASSWORD", "p1a2s3s4-test-secret"),
    "SENDER": "Test",
    # Nothing in the test suite may reach the real gateway; fixtures point this at the simulator
    # (worker processes started by tests get its address through the environment).
    "API_URL": os.environ.get("LETSADS_API_URL", "http://127.0.0.1:9/"),
    "TIMEOUT": float(os.environ.get("LETSADS_TIMEOUT", "5")),
    "CLAIM_LEASE": int(os.environ.get("LETSADS_CLAIM_LEASE", "600")),
    # Off, so no test depends on the hour it runs at; tests of quiet hours set it and the clock.
    "QUIET_HOURS": None,
}

LOGGING_CONFIG = None
