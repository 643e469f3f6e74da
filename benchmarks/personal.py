"""Case "personal" (issue 18): recipient data at the scale of a real list.

**Import.** A CSV of 1,000,000 rows with a name and two more columns (``Phone;Name;City;Code``)
is imported with ``importing.import_recipients`` in a process of its own, as in the scale case;
the import keeps the extra columns in ``Message.data``. Goals: at least 50,000 rows a second
(PostgreSQL), peak memory under 150 MB above start. CPU per line is reported for the process and
its PostgreSQL backend, and a sample of rows is checked for its data.

**Every text different.** 100,000 messages of a campaign whose text is ``"Код {code}"``, each
with a code of its own in ``Message.data`` (written by the fixture in SQL), go out through
``letsads_send --concurrency 32`` at 50 ms: one request per message. The bare thread pool then
sends the same 100,000 one-recipient requests with the same texts and no database; goal: the
worker's wall time at most 1.15 times the bare pool's. Every message must have had a request of
its own (the simulator counts them) and a sample of texts is checked.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

from benchmarks.cpu import per_item_us
from benchmarks.fixtures import analyze, create_campaign, insert_messages, reset_tables
from benchmarks.harness import Bench, SimulatorProcess, run_child
from benchmarks.reference import Request, number, run_bare
from benchmarks.results import Result
from django_letsads.models import Campaign, Message

LATENCY = 0.05
CONCURRENCY = 32
TEMPLATE = "Код {code}"
GOAL_IMPORT_RATE = 50_000
GOAL_RSS_MB = 150
GOAL_OVERHEAD = 1.15
SAMPLE = 25


def write_csv(path: Path, count: int) -> None:
    """A header and ``count`` rows: a number as people write it, a name and two more columns."""
    cities = ("Київ", "Львів", "Одеса", "Харків", 'Дніпро "Центр"')
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Phone;Name;City;Code\n")
        for i in range(count):
            digits = f"{i:07d}"
            out.write(
                f"+380 50 {digits[:3]} {digits[3:5]} {digits[5:]};Customer {i};"
                f"{cities[i % len(cities)]};C{i:07d}\n"
            )


def _import(bench: Bench, result: Result) -> None:
    count = bench.size(1_000_000)
    reset_tables()
    campaign = create_campaign(state="draft", name="Imported")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recipients.csv"
        write_csv(path, count)
        measured = run_child(bench, None, "import", str(campaign), str(path))
    if measured["added"] != count:
        raise RuntimeError(f"imported {measured['added']} of {count}: {measured}")
    rate = count / float(measured["seconds"])
    rss = float(measured["peak_rss_mb"]) - float(measured["start_rss_mb"])
    sample = list(
        Message.objects.filter(campaign_id=campaign).order_by("?")[:SAMPLE].values("data")
    )
    kept = sum(1 for row in sample if row["data"] and {"city", "code"} <= set(row["data"]))
    result.figures.update(
        import_rows=count,
        import_s=round(float(measured["seconds"]), 1),
        import_rate_per_s=round(rate),
        import_rss_above_start_mb=round(rss, 1),
        import_cpu_us_per_line=round(per_item_us(float(measured["cpu_seconds"]), count), 1),
    )
    if measured.get("backends"):
        server = per_item_us(float(measured["server_cpu_seconds"]), count)
        result.figures["import_server_cpu_us_per_line"] = round(server, 1)
    result.figures["import_rows_with_data"] = f"{kept} of {len(sample)} sampled"
    result.goal("import_rate_per_s", rate, ">=", GOAL_IMPORT_RATE)
    result.goal("import_rss_above_start_mb", rss, "<=", GOAL_RSS_MB)
    result.goal("import_rows_with_data", kept, "==", len(sample))


def give_codes(campaign_id: int) -> None:
    """``Message.data = {"code": <the recipient's last 7 digits>}`` for the whole campaign."""
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            value = "jsonb_build_object('code', substr(recipient, 6))"
        else:
            value = "json_object('code', substr(recipient, 6))"
        cursor.execute(
            f"UPDATE {table} SET data = {value} WHERE campaign_id = %s",  # noqa: S608 - constant SQL
            [campaign_id],
        )


def distinct_requests(count: int) -> Iterator[Request]:
    """The one-recipient requests of the campaign, each with its own text."""
    for i in range(count):
        recipient = number(i)
        yield {
            "sender": "Test",
            "text": TEMPLATE.format(code=recipient[5:]),
            "recipients": [recipient],
        }


def _every_text_different(bench: Bench, result: Result) -> None:
    # One request per message: a quick run sends 2,000 (two rounds of 3 s at 50 ms, 32 at once).
    n = 2_000 if bench.quick else 100_000
    reset_tables()
    campaign = create_campaign()
    Campaign.objects.filter(pk=campaign).update(text=TEMPLATE)
    insert_messages(campaign, n)
    give_codes(campaign)
    analyze()
    with SimulatorProcess(latency=LATENCY) as sim:
        before = int(sim.stats()["requests"])
        measured = run_child(bench, sim, "command", "letsads_send", f"--concurrency={CONCURRENCY}")
        requests = int(sim.stats()["requests"]) - before
        queued = Message.objects.filter(campaign_id=campaign, status=Message.Status.QUEUED)
        sent = queued.count()
        wrong = 0
        for sms_id, recipient in queued.order_by("?")[:SAMPLE].values_list("sms_id", "recipient"):
            answer = sim.control(f"message?sms_id={sms_id}")
            wrong += answer["text"] != TEMPLATE.format(code=recipient[5:])
        # Without the worker's rendering of Message.data nothing goes out (each message fails
        # MISSING_FIELD): then there is nothing to compare with, and the goals below say so.
        bare = run_bare(sim, distinct_requests(n), CONCURRENCY).seconds if sent == n else 0.0
    seconds = float(measured["seconds"])
    worker_cpu = float(measured["cpu_seconds"])
    result.figures.update(
        personalised_recipients=n,
        personalised_concurrency=CONCURRENCY,
        personalised_queued=sent,
        personalised_requests=requests,
        personalised_wrong_texts=f"{wrong} of {min(SAMPLE, sent)} sampled",
        personalised_wall_s=round(seconds, 3),
        personalised_worker_cpu_us_per_msg=round(per_item_us(worker_cpu, n), 1),
    )
    if measured.get("backends"):
        server = per_item_us(float(measured["server_cpu_seconds"]), n)
        result.figures["personalised_server_cpu_us_per_msg"] = round(server, 1)
    result.goal("personalised_queued", sent, "==", n)
    result.goal("personalised_requests", requests, "==", n)
    result.goal("personalised_wrong_texts", wrong, "==", 0)
    if bare:
        result.figures["personalised_bare_s"] = round(bare, 3)
        result.figures["personalised_overhead"] = round(seconds / bare, 3)
        result.goal("personalised_overhead", seconds / bare, "<=", GOAL_OVERHEAD)
    else:
        result.note = f"{n - sent} of {n} personalised messages were not sent: {measured['output']}"


def run(bench: Bench) -> Result:
    result = bench.result("personal")
    _import(bench, result)
    _every_text_different(bench, result)
    return result
