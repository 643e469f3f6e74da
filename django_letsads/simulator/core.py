"""``Simulator``: the fake gateway, its clock, its faults and its HTTP server in one handle."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from django_letsads.simulator.clock import Clock
from django_letsads.simulator.faults import FaultPlan
from django_letsads.simulator.gateway import (
    Account,
    Gateway,
    LogEntry,
    StoredMessage,
    undelivered_by_share,
)
from django_letsads.simulator.server import SimulatorHTTPServer

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"


class Simulator:
    """A LetsAds gateway on ``http://127.0.0.1:<port>/`` for tests, demos and benchmarks.

    ::

        with Simulator() as sim:
            sim.add_account("380501234567", "secret", balance=Decimal("10"))
            client = LetsAdsClient("380501234567", "secret", api_url=sim.url)
            ids = client.send("Test", "Hello", ["380671234567"])
            sim.clock.advance(600)
            assert client.status(ids[0]) == "MESSAGE_IS_DELIVERED"

    It listens on 127.0.0.1 only; ``port=0`` picks a free port. Statuses move on ``clock``
    (``speed`` scales real time): ``MESSAGE_IN_QUEUE`` until ``sent_after`` seconds,
    ``MESSAGE_IS_SENT`` until ``final_after``, then ``MESSAGE_IS_DELIVERED`` or, when
    ``undelivered(recipient)`` is true, ``MESSAGE_NOT_DELIVERED``. By default a share
    ``undelivered_share`` of numbers fails, chosen by their last two digits (0.1: those ending in
    ``00`` to ``09``).
    """

    def __init__(
        self,
        port: int = 0,
        *,
        speed: float = 1.0,
        latency: float = 0.0,
        seed: int = 0,
        fault_rate: float = 0.0,
        fault_kinds: Iterable[str] = (),
        fault_only: str | None = None,
        timeout_seconds: float = 30.0,
        first_id: int = 1_633_217,
        sent_after: float = 10.0,
        final_after: float = 120.0,
        undelivered_share: float = 0.1,
        undelivered: Callable[[str], bool] | None = None,
        max_length_gsm7: int = 459,
        max_length_ucs2: int = 402,
        log_limit: int = 100_000,
    ) -> None:
        self.clock = Clock(speed)
        self.faults = FaultPlan(seed=seed, timeout_seconds=timeout_seconds)
        if latency:
            self.faults.set_latency(latency)
        if fault_rate:
            self.faults.set_rate(fault_rate, fault_kinds, only=fault_only)
        self.gateway = Gateway(
            self.clock.now,
            first_id=first_id,
            max_length_gsm7=max_length_gsm7,
            max_length_ucs2=max_length_ucs2,
            sent_after=sent_after,
            final_after=final_after,
            undelivered=undelivered or undelivered_by_share(undelivered_share),
            log_limit=log_limit,
        )
        self._port = port
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.RLock()
        self._stopping = threading.Event()
        self._started = False
        self._up_timer: threading.Timer | None = None
        self._connections_before = 0  # accepted by servers closed by down()

    def __repr__(self) -> str:
        state = "down" if self.is_down else ("running" if self._started else "stopped")
        return f"<Simulator {self.url if self._port else '(no port)'} {state}>"

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The gateway URL to put in ``LETSADS["API_URL"]``."""
        if not self._port:
            raise RuntimeError("The simulator has no port until it is started.")
        return f"http://{HOST}:{self._port}/"

    @property
    def control_url(self) -> str:
        return f"{self.url}_simulator/"

    @property
    def running(self) -> bool:
        return self._started

    @property
    def is_down(self) -> bool:
        return self._started and self._server is None

    def start(self) -> Self:
        with self._lifecycle:
            if self._started:
                raise RuntimeError("The simulator is already running.")
            self._stopping.clear()
            self._listen()
            self._started = True
        logger.info("LetsAds simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; waiting faults are cut short."""
        with self._lifecycle:
            if not self._started:
                return
            self._started = False
            self._stopping.set()
            self._cancel_up_timer()
            self._close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def down(self, seconds: float | None = None) -> None:
        """Stop accepting connections (clients get "connection refused") until :meth:`up`.

        Open keep-alive connections are cut too, as when the host dies. With ``seconds`` the
        simulator comes back up by itself after that many real seconds.
        """
        with self._lifecycle:
            if not self._started:
                raise RuntimeError("The simulator is not running.")
            self._cancel_up_timer()
            self._close()
            if seconds is not None:
                self._up_timer = threading.Timer(float(seconds), self.up)
                self._up_timer.daemon = True
                self._up_timer.start()
        logger.info("LetsAds simulator on port %s is down", self._port)

    def up(self) -> None:
        """Listen again on the same port after :meth:`down`."""
        with self._lifecycle:
            if not self._started or self._server is not None:
                return
            self._cancel_up_timer()
            self._listen()
        logger.info("LetsAds simulator on port %s is up again", self._port)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` (real time) unless the simulator stops first."""
        self._stopping.wait(seconds)

    def _listen(self) -> None:
        server = SimulatorHTTPServer(self._port, self)
        self._port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"letsads-simulator-{self._port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    def _close(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        # Only now is the port refusing connections, so only now does ``is_down`` say so.
        self._connections_before += server.connections_accepted
        self._server = self._thread = None

    def _cancel_up_timer(self) -> None:
        if self._up_timer is not None:
            if self._up_timer is not threading.current_thread():
                self._up_timer.cancel()
            self._up_timer = None

    # -- accounts -----------------------------------------------------------------------------

    def add_account(
        self,
        login: str,
        password: str,
        *,
        balance: Decimal = Decimal("1000"),
        senders: Iterable[str] = ("Test",),
        api_enabled: bool = True,
        moderated: bool = True,
        price: Decimal = Decimal("0.50"),
        currency: str = "UAH",
    ) -> Account:
        """Add (or replace) an account; ``price`` is charged per segment per recipient."""
        return self.gateway.add_account(
            Account(
                login=login,
                password=password,
                balance=Decimal(balance),
                senders=set(senders),
                api_enabled=api_enabled,
                moderated=moderated,
                price=Decimal(price),
                currency=currency,
            )
        )

    def account(self, login: str) -> Account:
        """The live account: change ``api_enabled``, ``moderated``, ``senders``… at run time."""
        return self.gateway.account(login)

    def set_balance(self, login: str, amount: Decimal) -> None:
        with self.gateway.lock:
            self.gateway.account(login).balance = Decimal(amount)

    def top_up(self, login: str, amount: Decimal) -> Decimal:
        """Add ``amount`` to the balance; returns the new balance."""
        with self.gateway.lock:
            account = self.gateway.account(login)
            account.balance += Decimal(amount)
            return account.balance

    def add_bad_recipients(self, *numbers: str) -> None:
        """Make the gateway refuse these numbers with ``INCORRECT_RECIPIENT_<n>``."""
        self.gateway.bad_recipients.update(numbers)

    # -- clock and faults ---------------------------------------------------------------------

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward; returns its new time."""
        return self.clock.advance(seconds)

    def inject(
        self, kind: str, count: int = 1, *, only: str | None = None, processed: bool | None = None
    ) -> None:
        """Make the next ``count`` requests (of kind ``only``) meet fault ``kind``."""
        self.faults.inject(kind, count, only=only, processed=processed)

    # -- what happened ------------------------------------------------------------------------

    def log(self, since: int = 0) -> list[LogEntry]:
        """Every request received (newest last), without passwords."""
        return self.gateway.log(since)

    def sends(self) -> list[LogEntry]:
        """Logged send requests that the gateway processed (queued and billed)."""
        return [entry for entry in self.gateway.log() if entry.kind == "send" and entry.processed]

    def sent_recipients(self) -> list[str]:
        """Every recipient of every processed send, in order, repeats included."""
        return list(self.gateway.iter_recipients())

    def billed_count(self, recipient: str) -> int:
        """How many messages to ``recipient`` were queued and billed."""
        return self.gateway.count_recipient(recipient)

    def message(self, sms_id: int | str) -> StoredMessage | None:
        return self.gateway.message(sms_id)

    def force_status(self, sms_id: int | str, status: str) -> None:
        self.gateway.force_status(sms_id, status)

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted since start; keep-alive clients open few."""
        server = self._server
        return self._connections_before + (server.connections_accepted if server else 0)

    def stats(self) -> dict[str, Any]:
        return {
            **self.gateway.stats(),
            "connections": self.connections_accepted,
            "speed": self.clock.speed,
            "faults_plan": self.faults.as_dict(),
            "down": self.is_down,
        }
