"""Command line of the simulator, shared by ``manage.py letsads_simulator`` and
``python -m django_letsads.simulator`` (which needs no Django settings)."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import FrameType
from typing import Any

from django_letsads import arguments
from django_letsads.simulator.core import Simulator
from django_letsads.simulator.faults import FAULT_KINDS, REQUEST_KINDS

DEFAULT_PORT = 8765


def _kinds(value: str) -> list[str]:
    kinds = [kind.strip() for kind in value.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault kind(s) {', '.join(unknown)}; choose from {', '.join(FAULT_KINDS)}"
        )
    return kinds


def add_arguments(parser: argparse.ArgumentParser, *, login: str = "", password: str = "") -> None:
    """Options of the simulator; ``login``/``password`` are the defaults of its one account."""
    parser.add_argument(
        "--port", type=arguments.PORT, default=DEFAULT_PORT, help="0 picks a free port"
    )
    parser.add_argument("--login", default=login or os.environ.get("LETSADS_LOGIN", "380501234567"))
    parser.add_argument(
        "--password",
        default=password or os.environ.get("LETSADS_PASSWORD", "simulator"),
        help="password of the account (default: LETSADS password or $LETSADS_PASSWORD)",
    )
    parser.add_argument(
        "--sender", action="append", dest="senders", help="registered sender (repeatable)"
    )
    parser.add_argument("--balance", type=Decimal, default=Decimal("1000"))
    parser.add_argument("--price", type=Decimal, default=Decimal("0.50"), help="per segment")
    parser.add_argument(
        "--latency", type=arguments.number(0, 3600), default=0.0, help="seconds per request"
    )
    parser.add_argument(
        "--speed",
        type=arguments.number(0.001, 10**6),
        default=1.0,
        help="simulated seconds per second",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fault-rate", type=arguments.number(0, 1), default=0.0, help="share of requests, 0 to 1"
    )
    parser.add_argument(
        "--faults",
        type=_kinds,
        default=list(FAULT_KINDS),
        help=f"comma-separated kinds: {','.join(FAULT_KINDS)}",
    )
    parser.add_argument("--fault-only", choices=REQUEST_KINDS, help="limit faults to one kind")
    parser.add_argument("--timeout-seconds", type=float, default=30.0)
    parser.add_argument("--sent-after", type=float, default=10.0)
    parser.add_argument("--final-after", type=float, default=120.0)
    parser.add_argument("--undelivered-share", type=float, default=0.1)


def build(options: dict[str, Any]) -> Simulator:
    sim = Simulator(
        options["port"],
        speed=options["speed"],
        latency=options["latency"],
        seed=options["seed"],
        fault_rate=options["fault_rate"],
        fault_kinds=options["faults"],
        fault_only=options["fault_only"],
        timeout_seconds=options["timeout_seconds"],
        sent_after=options["sent_after"],
        final_after=options["final_after"],
        undelivered_share=options["undelivered_share"],
    )
    sim.add_account(
        options["login"],
        options["password"],
        balance=options["balance"],
        price=options["price"],
        senders=options["senders"] or ["Test"],
    )
    return sim


def serve(options: dict[str, Any], write: Callable[[str], object]) -> None:
    """Run until interrupted (Ctrl+C or SIGTERM)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        with build(options) as sim:
            write(
                f"LetsAds simulator on {sim.url} (account {options['login']}, "
                f"speed {options['speed']:g}, control API {sim.control_url}); Ctrl+C stops it."
            )
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    write("LetsAds simulator stopped.")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m django_letsads.simulator", description="Run a fake LetsAds gateway."
    )
    add_arguments(parser)
    serve(vars(parser.parse_args(argv)), lambda line: print(line, flush=True))
