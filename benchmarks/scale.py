"""Case 3: a million recipients imported from CSV and sent, with memory and rate checked.

The import runs ``django_letsads.importing.import_recipients`` (the admin's import) on a CSV file
in a process of its own, and the send runs ``manage.py letsads_send`` in another, the simulator
answering at once so that only our own cost is measured. Each process reports its peak resident
memory above what it held when the work began, and its CPU (and its PostgreSQL backend's) per
line or message. The send rate at a million must stay within 20 %
of the rate at a hundred thousand measured in the same run: the cost per message is constant.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.cpu import per_item_us
from benchmarks.fixtures import analyze, create_campaign, reset_tables
from benchmarks.harness import Bench, SimulatorProcess, run_child
from benchmarks.results import Result
from django_letsads.models import Campaign, Message

CONCURRENCY = 8
GOAL_RSS_MB = 150
GOAL_IMPORT_RATE = 50_000
GOAL_LINEAR = 0.80


def write_csv(path: Path, count: int) -> None:
    """A CSV as people export it: a header, numbers written with ``+`` and spaces, a name."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Phone;Name\n")
        for i in range(count):
            digits = f"{i:07d}"
            out.write(f"+380 50 {digits[:3]} {digits[3:5]} {digits[5:]};Customer {i}\n")


def _import_and_send(bench: Bench, sim: SimulatorProcess, count: int) -> dict[str, float]:
    reset_tables()
    campaign = create_campaign(state="draft")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recipients.csv"
        write_csv(path, count)
        imported = run_child(bench, None, "import", str(campaign), str(path))
    if imported["added"] != count:
        raise RuntimeError(f"imported {imported['added']} of {count}: {imported}")
    analyze()
    Campaign.objects.filter(pk=campaign).update(state=Campaign.State.SENDING)
    sent = run_child(bench, sim, "command", "letsads_send", f"--concurrency={CONCURRENCY}")
    queued = Message.objects.filter(campaign_id=campaign, status=Message.Status.QUEUED).count()
    if queued != count:
        raise RuntimeError(f"{queued} of {count} messages queued: {sent.get('output')}")
    return {
        "import_s": imported["seconds"],
        "import_rss": imported["peak_rss_mb"] - imported["start_rss_mb"],
        "send_s": sent["seconds"],
        "send_rss": sent["peak_rss_mb"] - sent["start_rss_mb"],
        "import_cpu": imported["cpu_seconds"],
        "import_server_cpu": imported.get("server_cpu_seconds", 0.0),
        "send_cpu": sent["cpu_seconds"],
        "send_server_cpu": sent.get("server_cpu_seconds", 0.0),
    }


def run(bench: Bench) -> Result:
    result = bench.result("scale")
    small_n = bench.size(100_000)
    big_n = bench.size(1_000_000)
    with SimulatorProcess(latency=0) as sim:
        small = _import_and_send(bench, sim, small_n)
        big = _import_and_send(bench, sim, big_n)
    small_rate = small_n / small["send_s"]
    big_rate = big_n / big["send_s"]
    import_rate = big_n / big["import_s"]
    result.figures.update(
        recipients=big_n,
        import_s=round(big["import_s"], 1),
        import_rate_per_s=round(import_rate),
        import_rss_above_start_mb=round(big["import_rss"], 1),
        send_s=round(big["send_s"], 1),
        send_rate_per_s=round(big_rate),
        send_rss_above_start_mb=round(big["send_rss"], 1),
        small_recipients=small_n,
        small_send_rate_per_s=round(small_rate),
        small_import_rate_per_s=round(small_n / small["import_s"]),
        rate_big_vs_small=round(big_rate / small_rate, 3),
        import_cpu_us_per_line=round(per_item_us(big["import_cpu"], big_n), 1),
        import_server_cpu_us_per_line=round(per_item_us(big["import_server_cpu"], big_n), 1),
        send_cpu_us_per_msg=round(per_item_us(big["send_cpu"], big_n), 1),
        send_server_cpu_us_per_msg=round(per_item_us(big["send_server_cpu"], big_n), 1),
    )
    result.goal("import_rss_above_start_mb", big["import_rss"], "<=", GOAL_RSS_MB)
    result.goal("send_rss_above_start_mb", big["send_rss"], "<=", GOAL_RSS_MB)
    result.goal("import_rate_per_s", import_rate, ">=", GOAL_IMPORT_RATE)
    result.goal("rate_big_vs_small", big_rate / small_rate, ">=", GOAL_LINEAR)
    return result
