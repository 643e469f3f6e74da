"""Deleting a campaign's messages without a foreign key in the database to do it.

``Message.campaign`` has no database constraint (an import's row-by-row check of it cost two
fifths of the insert, ``docs/benchmarks.rst``), so nothing in the database stops a message from
being inserted for a campaign that a concurrent transaction is deleting. Django's cascade deletes
the messages it collected *before* it deleted the campaign row; this receiver runs after that row
is gone, in the same transaction, and deletes whatever arrived in between.

It closes the gap together with the import, which inserts under a ``FOR KEY SHARE`` lock on the
campaign row (as the foreign key check did): an import chunk that committed first is swept here,
and one that comes later finds no campaign and stops with an error.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete

from django_letsads.models import Campaign, Message


def delete_late_messages(
    sender: type[Campaign], instance: Campaign, using: str, **kwargs: Any
) -> None:
    """Delete the messages of the deleted campaign that Django's cascade had not collected."""
    Message.objects.using(using).filter(campaign_id=instance.pk).delete()


def connect() -> None:
    post_delete.connect(
        delete_late_messages, sender=Campaign, dispatch_uid="django_letsads.cascade"
    )
