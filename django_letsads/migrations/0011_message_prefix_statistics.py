"""Statistics on the first six digits of ``Message.recipient`` (PostgreSQL 14 and later).

The campaign page's delivery rate by operator groups a campaign's messages by that prefix
(:func:`django_letsads.reports.operators`). Without statistics on the expression PostgreSQL
expects one group per row, so it plans neither a parallel scan nor a small hash table: for a
million messages that is two to three times slower (``docs/benchmarks.rst``). Other databases,
and older PostgreSQL, are left as they are.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

NAME = "letsads_msg_recipient_prefix"


def _supported(schema_editor: Any) -> bool:
    connection = schema_editor.connection
    return connection.vendor == "postgresql" and connection.pg_version >= 140000


def create(apps: Any, schema_editor: Any) -> None:
    if _supported(schema_editor):
        table = schema_editor.quote_name(apps.get_model("django_letsads", "Message")._meta.db_table)
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {NAME} ON (substring(recipient, 1, 6)) FROM {table}"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if _supported(schema_editor):
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("django_letsads", "0010_worker_heartbeat")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
