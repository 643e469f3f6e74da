"""``manage.py send_otp PHONE``: text a one-time code from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_letsads.exceptions import LetsAdsError
from otp.codes import new_code, send_code


class Command(BaseCommand):
    help = "Send a one-time code by SMS through SMS_BACKEND and print the result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phone", help="Phone number, any common format.")
        parser.add_argument("--sender", help="Sender name (default: LETSADS['SENDER']).")

    def handle(self, *args: Any, **options: Any) -> None:
        code = new_code()
        try:
            (result,) = send_code(options["phone"], code, sender=options["sender"])
        except LetsAdsError as exc:
            raise CommandError(f"{type(exc).__name__}: {exc.code}: {exc.message}") from exc
        self.stdout.write(
            f"code={code} recipient={result.recipient} status={result.status} "
            f"sms_id={result.sms_id or '-'} error_code={result.error_code or '-'}"
        )
        if result.status == "failed":
            raise CommandError(f"not sent: {result.error_code}")
