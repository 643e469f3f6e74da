"""Case "optout": the send case's rate with 1,000,000 numbers on the stop list, against without.

The worker checks every claim against the stop list (an indexed semi-join per claim), so a long
list must not slow a campaign. The same 100,000-recipient send as the "send" case (50 ms
latency, 8 requests in flight) runs without a stop list and with 1,000,000 numbers on it, in
this run; a thousandth of the recipients are on the list, so the check is exercised and proven
(exactly those messages must end ``cancelled``/``OPTED_OUT``, all others ``queued``). Each
variant runs ``ROUNDS`` times, alternating, and the best of each is compared (the machine is
shared: the best run is the least disturbed). Rate = recipients handled per second.

The machine's load moves those wall times by more than the check costs, so the check is also
timed on its own: milliseconds per claim of 800 ids, with and without the list.
"""

from __future__ import annotations

import math

from django.db import connection, transaction
from django.utils import timezone

from benchmarks.fixtures import create_campaign, insert_messages, reset_tables
from benchmarks.harness import Bench, SimulatorProcess, run_child, timer
from benchmarks.results import Result
from django_letsads import optout
from django_letsads.models import Message, OptOut

LATENCY = 0.05
CONCURRENCY = 8
GOAL_RATIO = 0.95
ROUNDS = 3
#: One recipient in this many is on the stop list.
LISTED_EVERY = 1000


def fill_stop_list(count: int, recipients: int) -> int:
    """``count`` numbers no recipient has, plus every ``LISTED_EVERY``-th recipient; in SQL."""
    table = OptOut._meta.db_table
    columns = "number, reason, source, created_at, campaign_id"
    listed = list(range(0, recipients, LISTED_EVERY))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT '38067' || lpad(i::text, 7, '0'), "  # noqa: S608 - constant SQL
                "'', 'import', now(), NULL FROM generate_series(0, %s - 1) AS i",
                [count],
            )
            cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute(
                "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < %s) "  # noqa: S608 - constant SQL
                f"INSERT INTO {table} ({columns}) SELECT '38067' || substr('0000000' || i, -7, 7), "
                "'', 'import', datetime('now'), NULL FROM seq",
                [count - 1],
            )
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, '', 'import', %s, NULL)",  # noqa: S608 - constant SQL
            [(f"38050{i:07d}", "2026-01-01 00:00:00+00:00") for i in listed],
        )
    return len(listed)


def clear_stop_list() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {OptOut._meta.db_table}")
        else:
            cursor.execute(f"DELETE FROM {OptOut._meta.db_table}")  # noqa: S608 - name from _meta


def send_once(bench: Bench, sim: SimulatorProcess, n: int, stop_list: int) -> float:
    """Send a fresh campaign of ``n`` with ``stop_list`` numbers listed (0: none); returns its
    seconds, after checking every outcome."""
    reset_tables()  # on PostgreSQL its TRUNCATE … CASCADE empties the stop list too
    clear_stop_list()
    listed = fill_stop_list(stop_list, n) if stop_list else 0
    campaign = create_campaign()
    insert_messages(campaign, n)
    measured = run_child(bench, sim, "command", "letsads_send", f"--concurrency={CONCURRENCY}")
    messages = Message.objects.filter(campaign_id=campaign)
    queued = messages.filter(status=Message.Status.QUEUED).count()
    stopped = messages.filter(status=Message.Status.CANCELLED, error_code="OPTED_OUT").count()
    if (queued, stopped) != (n - listed, listed):
        raise RuntimeError(f"{queued} queued, {stopped} opted out of {n}: {measured.get('output')}")
    return float(measured["seconds"])


def check_cost_ms(n: int, stop_list: int, claim: int = CONCURRENCY * 100) -> float:
    """Milliseconds of the worker's stop-list check per claim (``claim`` ids, the size the send
    above claims), measured in this process over ``n`` pending messages and rolled back: the
    figure the shared machine's load disturbs least."""
    reset_tables()
    clear_stop_list()
    if stop_list:
        fill_stop_list(stop_list, n)
    insert_messages(create_campaign(), n)
    ids = list(Message.objects.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    with transaction.atomic(), timer() as elapsed:
        for start in range(0, len(ids), claim):
            optout.cancel_opted_out(ids[start : start + claim], now)
        transaction.set_rollback(True)
    return elapsed[0] * 1000 / math.ceil(len(ids) / claim)


def run(bench: Bench) -> Result:
    result = bench.result("optout")
    n = bench.size(100_000)
    stop_list = bench.size(1_000_000)
    without: list[float] = []
    with_list: list[float] = []
    with SimulatorProcess(latency=LATENCY) as sim:
        for _ in range(ROUNDS):
            without.append(send_once(bench, sim, n, 0))
            with_list.append(send_once(bench, sim, n, stop_list))
        listed = OptOut.objects.filter(number__startswith="38050").count()
    check_without = check_cost_ms(n, 0)
    check_with = check_cost_ms(n, stop_list)
    clear_stop_list()
    rate_without = n / min(without)
    rate_with = n / min(with_list)
    result.figures.update(
        recipients=n,
        stop_list=stop_list + listed,
        recipients_on_list=listed,
        wall_s_without=" ".join(f"{s:.2f}" for s in without),
        wall_s_with=" ".join(f"{s:.2f}" for s in with_list),
        rate_without_per_s=round(rate_without),
        rate_with_per_s=round(rate_with),
        rate_ratio=round(rate_with / rate_without, 3),
        check_ms_per_claim_without=round(check_without, 2),
        check_ms_per_claim_with=round(check_with, 2),
    )
    result.goal("rate_ratio", rate_with / rate_without, ">=", GOAL_RATIO)
    return result
