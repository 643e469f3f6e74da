"""Status changes of messages, in bulk: status, timestamps and history move together.

Every function here changes rows with one ``UPDATE`` guarded by the status the rows must still be
in, and writes one ``StatusEvent`` per changed row with a single ``INSERT … SELECT``, so a
transition of a million rows does no per-row Python work. Callers run them inside their own
transaction; :func:`notify` sends ``status_changed`` once that transaction has committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.utils import timezone

from django_letsads.models import Message, StatusEvent
from django_letsads.status import FINAL_STATUSES, Status


def record_events(
    message_ids: Sequence[int],
    old_status: str,
    new_status: str,
    *,
    code: str = "",
    note: str = "",
    when: datetime | None = None,
) -> None:
    """Append one event per message of ``message_ids``.

    The rows must already be in ``new_status``: the INSERT selects them from the message table,
    so it never invents history for a row that did not change.
    """
    if not message_ids:
        return
    msg_table = Message._meta.db_table
    ev_table = StatusEvent._meta.db_table
    marks = ", ".join(["%s"] * len(message_ids))
    params: list[Any] = [new_status, *message_ids]
    sql = (
        f"INSERT INTO {ev_table} (message_id, old_status, new_status, code, note, created_at) "  # noqa: S608 - table names from _meta, values bound
        f"SELECT id, %s, %s, %s, %s, %s FROM {msg_table} WHERE status = %s AND id IN ({marks})"
    )
    db = router.db_for_write(Message)
    with connections[db].cursor() as cursor:
        cursor.execute(
            sql, [old_status, new_status, code[:64], note[:255], when or timezone.now(), *params]
        )


def notify(message_ids: Iterable[int], old_status: str, new_status: str, code: str = "") -> None:
    """Send ``status_changed`` for each message after the current transaction commits.

    Costs nothing when no receiver is connected, which is the case for bulk campaigns unless the
    project asks for it.
    """
    from django_letsads.signals import status_changed

    if not status_changed.has_listeners(Message):
        return
    ids = list(message_ids)

    def send() -> None:
        for message in Message.objects.filter(id__in=ids).select_related("campaign"):
            status_changed.send(
                sender=Message,
                message=message,
                old_status=old_status,
                new_status=new_status,
                code=code,
            )

    transaction.on_commit(send)


def change_status(
    queryset: QuerySet[Message],
    old_status: Status,
    new_status: Status,
    *,
    code: str = "",
    note: str = "",
    **fields: Any,
) -> int:
    """Move the rows of ``queryset`` that are still in ``old_status`` to ``new_status``.

    Returns the number of rows changed. ``fields`` are set on the same rows (e.g. timestamps).
    """
    now = timezone.now()
    if new_status in FINAL_STATUSES:
        fields.setdefault("final_at", now)
    with transaction.atomic():
        ids = list(
            queryset.filter(status=old_status)
            .select_for_update()
            .order_by()
            .values_list("id", flat=True)
        )
        changed = 0
        for chunk in _chunks(ids, 2000):
            changed += Message.objects.filter(id__in=chunk, status=old_status).update(
                status=new_status, **fields
            )
            record_events(chunk, old_status, new_status, code=code, note=note, when=now)
        notify(ids, old_status, new_status, code)
    return changed


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
