"""Writing several answers together without letting one bad answer spoil the others.

The send worker writes every batch that finished while its writer was busy in one transaction
(:func:`claims.apply_results`). If the database refuses that write, say because the gateway gave
an id it had already given (the unique index on ``sms_id``), the whole transaction is rolled
back: the neighbours' ids would be lost with it and their messages, accepted and billed, would
end ``unknown`` after the lease. So on an integrity error the answers are written again one by
one; an answer that still cannot be written is recorded as ``unknown`` with
:data:`SMS_ID_CONFLICT` (the gateway may have queued its messages, but its ids cannot be
stored). Nothing is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import IntegrityError

from django_letsads.dispatch import BatchResult, Outcome
from django_letsads.status import Status
from django_letsads.worker import claims
from django_letsads.worker.claims import Applied, Claimed
from django_letsads.worker.dbretry import retry_on_db_error

logger = logging.getLogger(__name__)

#: Error code of messages whose answer carried ids the database refused.
SMS_ID_CONFLICT = "SMS_ID_CONFLICT"

Item = tuple[Sequence[Claimed], BatchResult, bool]


def write_answers(token: str, items: Sequence[Item]) -> Applied:
    """:func:`claims.apply_results` for ``items``, isolating an answer the database refuses."""
    try:
        return retry_on_db_error(claims.apply_results, token, items)
    except IntegrityError:
        if len(items) == 1 and _conflicted(items[0]) is items[0]:
            raise  # already the fallback: a bug, not the gateway's answer
        logger.warning("Writing %d answers together failed; writing them one by one", len(items))
    total = Applied()
    for item in items:
        try:
            applied = retry_on_db_error(claims.apply_results, token, [item])
        except IntegrityError:
            logger.error(
                "The gateway's ids %s for %d message(s) cannot be stored (already used?); "
                "the messages are unknown with %s",
                sorted({o.sms_id for o in item[1].outcomes.values() if o.sms_id is not None}),
                len(item[0]),
                SMS_ID_CONFLICT,
            )
            applied = retry_on_db_error(claims.apply_results, token, [_conflicted(item)])
        for name in ("queued", "failed", "unknown", "released", "stale"):
            setattr(total, name, getattr(total, name) + getattr(applied, name))
    return total


def _conflicted(item: Item) -> Item:
    """``item`` with its accepted recipients turned ``unknown`` (their ids cannot be stored)."""
    batch, result, release = item
    if not any(o.status == Status.QUEUED for o in result.outcomes.values()):
        return item
    reason = "The gateway accepted the message with an id already stored for another one."
    outcomes = {
        recipient: (
            Outcome(Status.UNKNOWN, error_code=SMS_ID_CONFLICT, reason=reason)
            if outcome.status == Status.QUEUED
            else outcome
        )
        for recipient, outcome in result.outcomes.items()
    }
    return batch, BatchResult(outcomes, result.error, result.requests), release
