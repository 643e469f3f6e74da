"""The fake gateway's checks of a request: who sends, and whether a send may go (then billed).

The checks of a send run in the gateway's order, so a request with several faults gets the
answer the real gateway gives first.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping

from django_letsads.simulator.records import Account
from django_letsads.simulator.wire import ParsedRequest
from django_letsads.text import analyze

_ALNUM_SENDER = re.compile(r"[A-Za-z0-9]{1,11}")
_DIGIT_SENDER = re.compile(r"[0-9]{1,15}")
_RECIPIENT = re.compile(r"[0-9]{10,15}")


def authenticate(accounts: Mapping[str, Account], request: ParsedRequest) -> Account | None:
    """The account whose login and password the request carries, else None (compared in
    constant time)."""
    account = accounts.get(request.login or "")
    if account is None or request.password is None:
        return None
    if not hmac.compare_digest(account.password.encode(), request.password.encode()):
        return None
    return account


def send_error(
    account: Account,
    request: ParsedRequest,
    *,
    max_recipients: int,
    max_length_gsm7: int,
    max_length_ucs2: int,
    bad_recipients: set[str],
) -> str:
    """The gateway's checks of a send request, in order; '' when it may go (and is billed)."""
    if not account.moderated:
        return "USER_NOT_MODERATED"
    sender = request.sender or ""
    if not (_ALNUM_SENDER.fullmatch(sender) or _DIGIT_SENDER.fullmatch(sender)):
        return "INCORRECT_FROM"
    if sender not in account.senders:
        return "INVALID_FROM"
    text = request.text or ""
    if not text.strip():
        return "NO_MESSAGE"
    info = analyze(text, max_gsm7=max_length_gsm7, max_ucs2=max_length_ucs2)
    if info.over_limit:
        return "MESSAGE_TOO_LONG"
    if not request.recipients:
        return "REQUEST_FORMAT"
    if len(request.recipients) > max_recipients:
        return "MAX_MESSAGES_COUNT"
    for recipient in request.recipients:
        if not _RECIPIENT.fullmatch(recipient) or recipient in bad_recipients:
            return f"INCORRECT_RECIPIENT_{recipient}"
    cost = account.price * info.segments * len(request.recipients)
    if cost > account.balance:
        return "NOT_ENOUGH_MONEY"
    account.balance -= cost
    return ""
