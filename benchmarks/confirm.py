# ruff: noqa: RUF001 - Cyrillic names are the data here
"""Case "confirm" (issue 18): the Send confirmation's figures for a million recipients.

The confirmation shows, per personalised campaign, how many recipients need 1, 2, 3 …
segments, the total, the number of distinct texts and who is left out, for the text as written
and transliterated (the estimate prices both): ``personalisation.distributions(campaign,
(False, True))``, measured in this process as the admin page calls it. Goal: under 3 s of server
time (the call's wall time) for 1,000,000 recipients (``--quick``: 100,000), also when every
text differs.

* **distinct**: ``Привіт, {name}! Код {code}``, the code unique, the names repeating (200 of
  them, some with an apostrophe, a soft sign, the GSM-7 extension ``€``): every text differs.
* **repeating**: ``Привіт, {name}! Знижка {discount|5}%``: 200 names times 4 discounts (a tenth
  of the recipients without one): few distinct texts.

The data is written by the fixture in SQL. CPU of this process and of its PostgreSQL backend is
reported beside the wall time (the machine is shared), and the figures of both ways of sending
are printed, so that a change in them shows. On PostgreSQL the same call then renders in Python
(``in_sql=False``, the way SQLite and the exceptions take): its time is the before, in the same
run, and its figures must be the same (``same_figures``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.db import connection

from benchmarks.cpu import BackendCpu
from benchmarks.fixtures import analyze, create_campaign, insert_messages, reset_tables
from benchmarks.harness import Bench
from benchmarks.results import Result
from django_letsads.models import Campaign, Message

DISTINCT = "Привіт, {name}! Код {code}"
REPEATING = "Привіт, {name}! Знижка {discount|5}%"
GOAL_SECONDS = 3.0
NAMES = 200
_STEMS = (
    "Олена",
    "Мар'яна",
    "Ілля",
    "Юрій",
    "Andrew",
    "Zoë €",
    "Наталія",
    "Ярослав",
    # Long enough for a second UCS-2 segment as written (one GSM-7 segment transliterated).
    "Олександра-Анастасія Вікторівна, відділ продажів",
)


def names() -> list[str]:
    """``NAMES`` names: Cyrillic, Latin, an apostrophe, a soft sign, a euro sign, a long one."""
    return [f"{_STEMS[i % len(_STEMS)]}{'ь' if i % 7 == 0 else ''} {i}" for i in range(NAMES)]


def give_data(campaign_id: int, repeating: bool) -> None:
    """``Message.data`` for the whole campaign in one ``UPDATE`` (ids number the recipients)."""
    table = Message._meta.db_table
    pg = connection.vendor == "postgresql"
    listed = names()
    name = "(%s::text[])[1 + (id %% {n})]" if pg else "json_extract(%s, '$[' || (id %% {n}) || ']')"
    name = name.format(n=len(listed))
    param: str | list[str] = listed
    if not pg:
        param = json.dumps(listed, ensure_ascii=False)
    build = "jsonb_build_object" if pg else "json_object"
    if repeating:
        value = "((id %% 4) * 5 + 10)::text" if pg else "CAST((id %% 4) * 5 + 10 AS TEXT)"
        pair = f"'discount', CASE WHEN id %% 10 = 0 THEN '' ELSE {value} END"
    else:
        pair = "'code', substr(recipient, 6)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET data = {build}('name', {name}, {pair}) "  # noqa: S608 - constant SQL
            "WHERE campaign_id = %s",
            [param, campaign_id],
        )


def _measure(campaign: Campaign, in_sql: bool | None) -> tuple[float, float, float, list[Any]]:
    """Wall seconds, CPU seconds of this process and of its PostgreSQL backend, figures."""
    from django_letsads.personalisation import distributions

    backends = BackendCpu()
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        backends.seen(int(connection.connection.info.backend_pid))
    started, cpu_started = time.perf_counter(), time.process_time()
    shown = distributions(campaign, (False, True), in_sql=in_sql)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return seconds, cpu_seconds, backends.read(), list(shown)


def _key(figures: Any) -> tuple[Any, ...]:
    """What the confirmation shows and the fingerprint covers (ties in length aside)."""
    return (
        figures.segments,
        figures.encodings,
        figures.distinct_texts,
        figures.missing,
        figures.too_long,
        len(figures.longest),
        len(figures.shortest),
    )


def _case(bench: Bench, result: Result, label: str, repeating: bool) -> None:
    count = bench.size(1_000_000)
    reset_tables()
    pk = create_campaign(state="draft", name=label)
    Campaign.objects.filter(pk=pk).update(text=REPEATING if repeating else DISTINCT)
    insert_messages(pk, count)
    give_data(pk, repeating)
    analyze()
    campaign = Campaign.objects.get(pk=pk)
    pg = connection.vendor == "postgresql"
    # The way the confirmation takes (on PostgreSQL, SQL when the values look mostly distinct),
    # then rendering in Python: the figures must be the same.
    seconds, cpu_seconds, server, shown = _measure(campaign, None)
    result.figures[f"{label}_recipients"] = count
    for mode, figures in zip(("as_written", "translit"), shown, strict=True):
        result.figures[f"{label}_{mode}_segments"] = figures.segments_display
        result.figures[f"{label}_{mode}_distinct_texts"] = figures.distinct_texts
        result.figures[f"{label}_{mode}_left_out"] = figures.left_out
    result.figures[f"{label}_server_s"] = round(seconds, 3)
    result.figures[f"{label}_cpu_s"] = round(cpu_seconds, 3)
    if pg:
        result.figures[f"{label}_db_cpu_s"] = round(server, 3)
        python_s, python_cpu, python_server, rendered = _measure(campaign, False)
        same = [_key(a) for a in shown] == [_key(b) for b in rendered]
        result.figures[f"{label}_python_path_s"] = round(python_s, 3)
        result.figures[f"{label}_python_path_cpu_s"] = round(python_cpu, 3)
        result.figures[f"{label}_python_path_db_cpu_s"] = round(python_server, 3)
        result.figures[f"{label}_same_figures"] = int(same)
        result.goal(f"{label}_same_figures", int(same), "==", 1)
        # SQLite renders each distinct combination in Python: its figure is reported, not judged.
        result.goal(f"{label}_server_s", seconds, "<=", GOAL_SECONDS)


def run(bench: Bench) -> Result:
    result = bench.result("confirm")
    _case(bench, result, "distinct", repeating=False)
    _case(bench, result, "repeating", repeating=True)
    return result
