"""``manage.py letsads_balance``: print an account's balance and currency."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_letsads.accounts import DEFAULT_ALIAS, aliases, balance_of, get_account
from django_letsads.exceptions import LetsAdsConfigurationError, LetsAdsError


class Command(BaseCommand):
    help = (
        "Print the LetsAds account balance; exits non-zero with the gateway's code on error. "
        "--account names the account (an alias of settings.LETSADS), --all prints every one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--account",
            default=DEFAULT_ALIAS,
            help='The account\'s alias in settings.LETSADS (default: "default").',
        )
        group.add_argument(
            "--all",
            action="store_true",
            help="Every configured account, one line each: alias: amount currency.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["all"]:
            self.stdout.write(self._balance(options["account"]))
            return
        failed = []
        for alias in aliases():
            try:
                self.stdout.write(f"{alias}: {self._balance(alias)}")
            except CommandError as exc:
                failed.append(alias)
                self.stderr.write(f"{alias}: {exc}")
        if failed:
            raise CommandError(f"No balance for: {', '.join(failed)}.")

    def _balance(self, alias: str) -> str:
        try:
            get_account(alias)
            balance = balance_of(alias)
        except LetsAdsConfigurationError as exc:
            raise CommandError(str(exc)) from None
        except LetsAdsError as exc:
            # The message often names the code already ("… answered with error AUTH_DATA").
            detail = exc.message if exc.code in exc.message else f"{exc.message} ({exc.code})"
            raise CommandError(detail) from None
        return f"{balance.amount} {balance.currency}".strip()
