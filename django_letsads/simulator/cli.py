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
DESCRIPTION = (
    "Run a fake LetsAds gateway on 127.0.0.1 for development, demos and tests: it takes sends, "
    "balance and status requests like the real one, bills a balance, reports statuses on a "
    "simulated clock, and can inject faults."
)


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
        "--port",
        type=arguments.PORT,
        default=DEFAULT_PORT,
        help="port on 127.0.0.1 to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--login",
        default=login or os.environ.get("LETSADS_LOGIN", "380501234567"),
        help="login of the account (default: LETSADS login, $LETSADS_LOGIN or %(default)s)",
    )
    parser.add_argument(
        "--password",
        default=password or os.environ.get("LETSADS_PASSWORD", "simulator"),
        help="password of the account (default: LETSADS password or $LETSADS_PASSWORD)",
    )
    parser.add_argument(
        "--sender",
        action="append",
        dest="senders",
        help="a sender name the account may use; repeat for several (default: Test and "
        "LETSADS sender)",
    )
    parser.add_argument(
        "--balance",
        type=Decimal,
        default=Decimal("1000"),
        help="money on the account at the start (default: %(default)s)",
    )
    parser.add_argument(
        "--price",
        type=Decimal,
        default=Decimal("0.50"),
        help="price of one SMS segment, taken from the balance (default: %(default)s)",
    )
    parser.add_argument(
        "--latency",
        type=arguments.number(0, 3600),
        default=0.0,
        help="seconds each request takes to answer (default: %(default)s)",
    )
    parser.add_argument(
        "--speed",
        type=arguments.number(0.001, 10**6),
        default=1.0,
        help="simulated seconds per real second, for delivery reports (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the random choices (faults, undelivered messages) (default: %(default)s)",
    )
    parser.add_argument(
        "--fault-rate",
        type=arguments.number(0, 1),
        default=0.0,
        help="share of requests that meet a fault, 0 to 1 (default: %(default)s)",
    )
    parser.add_argument(
        "--faults",
        type=_kinds,
        default=list(FAULT_KINDS),
        help=f"comma-separated kinds of fault to inject (default: all of {','.join(FAULT_KINDS)})",
    )
    parser.add_argument(
        "--fault-only",
        choices=REQUEST_KINDS,
        help="inject faults only into this kind of request (default: every kind)",
    )
    parser.add_argument(
        "--timeout-seconds",
        type=float,
        default=30.0,
        help="how long a 'timeout' fault holds the request before answering (default: %(default)s)",
    )
    parser.add_argument(
        "--sent-after",
        type=float,
        default=10.0,
        help="simulated seconds until an accepted message is reported sent (default: %(default)s)",
    )
    parser.add_argument(
        "--final-after",
        type=float,
        default=120.0,
        help="simulated seconds until it is delivered or undelivered (default: %(default)s)",
    )
    parser.add_argument(
        "--undelivered-share",
        type=float,
        default=0.1,
        help="share of messages that end undelivered, 0 to 1 (default: %(default)s)",
    )


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
        prog="python -m django_letsads.simulator", description=DESCRIPTION
    )
    add_arguments(parser)
    serve(vars(parser.parse_args(argv)), lambda line: print(line, flush=True))
