"""Settings of the example project, read from the environment (and ``.env``) by django-environ.

Without any variable set, the project talks to the LetsAds simulator on 127.0.0.1:8025 with the
simulator's demo account, stores everything in ``db.sqlite3`` beside ``manage.py`` and hands
messages to the outbox worker. Set the ``LETSADS_*`` variables (see ``.env.example``) to talk to
the real gateway instead.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # a missing file is fine: defaults below apply

SECRET_KEY = env.str("SECRET_KEY", default="example-project-not-secret-change-me")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_letsads",
    "otp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker, the poller and the web server write to one file at the same time.
    # IMMEDIATE takes the write lock at BEGIN, so they queue instead of deadlocking.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("uk", "Українська"), ("ru", "Русский")]
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
LOGIN_URL = "admin:login"

# How other apps send: through this setting, never by importing a backend. The outbox backend
# stores messages for the worker (``letsads_send`` / ``letsads_poll``), so the page answers at
# once and every message is visible in the admin. ``django_letsads.backends.letsads.SmsBackend``
# would send inline instead.
SMS_BACKEND = env.str("SMS_BACKEND", default="django_letsads.backends.outbox.SmsBackend")

LETSADS = {
    # The defaults are the simulator's demo account (``manage.py letsads_simulator``).
    "LOGIN": env.str("LETSADS_LOGIN", default="380501234567"),
    "PASSWORD": env.str("LETSADS_PASSWORD", default="demo-password"),
    "SENDER": env.str("LETSADS_SENDER", default="Test"),
    "API_URL": env.str("LETSADS_API_URL", default="http://127.0.0.1:8025/"),
    "TIMEOUT": env.float("LETSADS_TIMEOUT", default=15),
    # Seconds after sending; the demo shortens it because its simulator runs 60 times faster.
    "POLL_SCHEDULE": env.list("LETSADS_POLL_SCHEDULE", cast=int, default=[600, 10800, 86400]),
    # Where urls.py includes django_letsads.urls: the {unsubscribe_url} link of campaign texts.
    "UNSUBSCRIBE_BASE_URL": env.str(
        "LETSADS_UNSUBSCRIBE_BASE_URL", default="http://127.0.0.1:8000/sms/"
    ),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_letsads": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")}},
}
