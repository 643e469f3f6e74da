"""``manage.py letsads_balance``: print the account's balance and currency."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_letsads.exceptions import LetsAdsError
from django_letsads.gateway import client_from_settings


class Command(BaseCommand):
    help = "Print the LetsAds account balance; exits non-zero with the gateway's code on error."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with client_from_settings() as client:
                balance = client.balance()
        except LetsAdsError as exc:
            # The message often names the code already ("… answered with error AUTH_DATA").
            detail = exc.message if exc.code in exc.message else f"{exc.message} ({exc.code})"
            raise CommandError(detail) from None
        self.stdout.write(f"{balance.amount} {balance.currency}".strip())
