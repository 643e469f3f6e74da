"""Deleting a campaign's messages without a foreign key in the database to do it.

``Message.campaign`` has no database constraint (an import's row-by-row check of it cost two
fifths of the insert, ``docs/benchmarks.rst``), so nothing in the database stops a message from
being inserted for a campaign that a concurrent transaction is deleting. Django's cascade deletes
the messages it collected *before* it deleted the campaign row; the receiver here runs after that
row is gone, in the same transaction, and deletes whatever arrived in between.

It closes the gap together with the import, which inserts under a ``FOR KEY SHARE`` lock on the
campaign row (as the foreign key check did): an import chunk that committed first is swept here,
and one that comes later finds no campaign and stops with an error.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models.signals import post_delete

from django_letsads.models import Campaign, Message, StatusEvent


def delete_messages_of(campaign_id: int, using: str) -> int:
    """Delete the campaign's messages and their history in two statements; return how many
    messages. No signals are sent for them (see ``campaigns.delete_campaign``)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    messages = quote(Message._meta.db_table)
    campaign = quote(Message._meta.get_field("campaign").column)
    events = quote(StatusEvent._meta.db_table)
    message = quote(StatusEvent._meta.get_field("message").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {events} WHERE {message} IN "  # noqa: S608 - names from _meta
            f"(SELECT id FROM {messages} WHERE {campaign} = %s)",
            [campaign_id],
        )
        cursor.execute(f"DELETE FROM {messages} WHERE {campaign} = %s", [campaign_id])  # noqa: S608
        return int(cursor.rowcount)


def delete_late_messages(
    sender: type[Campaign], instance: Campaign, using: str, **kwargs: Any
) -> None:
    """Delete the messages of the deleted campaign that Django's cascade had not collected.

    In SQL, not through the ORM: the cascade has already sent its signals for every message it
    collected (and may not have deleted them yet, since the campaign can go first); the rows
    left are ones that no code of this process has seen.
    """
    delete_messages_of(instance.pk, using)


def connect() -> None:
    post_delete.connect(
        delete_late_messages, sender=Campaign, dispatch_uid="django_letsads.cascade"
    )
