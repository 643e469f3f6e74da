"""A small JSON API under ``/_simulator/`` to read and steer a simulator in another process.

Benchmarks and the example project run the simulator as a separate process; this is how they
move its clock, inject faults, top up an account or read the request log. It listens on the same
127.0.0.1 socket as the gateway and never answers with a password.

=======  ==================  ==========================================================
GET      ``stats``           counters, accounts (without passwords), clock, faults
GET      ``log``             ``?since=<seq>&limit=<n>``: request log entries after ``seq``
GET      ``message``         ``?sms_id=<id>``: one stored message with its current status
GET      ``recipients``      every recipient of every processed send, with repeats
POST     ``advance``         ``{"seconds": 600}``: move the clock forward
POST     ``speed``           ``{"speed": 60}``
POST     ``faults``          ``{"rate", "kinds", "only", "processed", "seed", "latency",
                             "latency_share", "timeout_seconds", "clear", "inject":
                             {"kind", "count", "only", "processed"}}``
POST     ``balance``         ``{"login", "balance"}`` or ``{"login", "add"}``
POST     ``account``         ``{"login", "password", ...}``: add an account
POST     ``status``          ``{"sms_id", "status"}``: pin a message's status
POST     ``down``            ``{"seconds": 5}``: refuse connections for a while (or until up)
=======  ==================  ==========================================================
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_letsads.simulator.core import Simulator

CONTROL_PREFIX = "/_simulator/"


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ControlError(f"{name} must be a number") from None


def _login(sim: Simulator, data: dict[str, Any]) -> str:
    login = data.get("login")
    if login is None:
        if len(sim.gateway.accounts) != 1:
            raise ControlError("login is required when there is not exactly one account")
        return next(iter(sim.gateway.accounts))
    if login not in sim.gateway.accounts:
        raise ControlError(f"no account {login!r}", status=404)
    return str(login)


def handle_control(
    sim: Simulator, method: str, path: str, query: dict[str, str], body: bytes
) -> tuple[int, Any]:
    """Run one control call; returns (HTTP status, JSON-able payload) or raises ControlError."""
    name = path[len(CONTROL_PREFIX) :].strip("/")
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        raise ControlError("the body must be JSON") from None
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object")
    handler = _ROUTES.get((method, name))
    if handler is None:
        raise ControlError(f"no control call {method} {name!r}", status=404)
    try:
        return 200, handler(sim, query, data)
    except (ValueError, KeyError, TypeError) as exc:
        raise ControlError(f"{type(exc).__name__}: {exc}") from None


def _stats(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    return sim.stats()


def _log(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    entries = sim.log(since=int(query.get("since", 0)))
    if "limit" in query:
        entries = entries[: int(query["limit"])]
    return {"entries": [entry.as_dict() for entry in entries]}


def _message(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    message = sim.message(query["sms_id"])
    if message is None:
        raise ControlError(f"no message {query['sms_id']}", status=404)
    return {
        "sms_id": message.sms_id,
        "recipient": message.recipient,
        "login": message.login,
        "sender": message.sender,
        "text": message.text,
        "sent_at": message.sent_at,
        "status": message.status,
    }


def _recipients(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    return {"recipients": sim.sent_recipients()}


def _advance(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    return {"clock": sim.clock.advance(float(data["seconds"]))}


def _speed(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    sim.clock.speed = float(data["speed"])
    return {"clock": sim.clock.now(), "speed": sim.clock.speed}


def _faults(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    plan = sim.faults
    if data.get("clear"):
        plan.clear()
    if "rate" in data:
        plan.set_rate(
            float(data["rate"]),
            data.get("kinds") or (),
            only=data.get("only"),
            processed=data.get("processed"),
            seed=data.get("seed"),
        )
    if "latency" in data:
        plan.set_latency(float(data["latency"]), float(data.get("latency_share", 1.0)))
    if "timeout_seconds" in data:
        plan.timeout_seconds = float(data["timeout_seconds"])
    inject = data.get("inject")
    if inject:
        plan.inject(
            inject["kind"],
            int(inject.get("count", 1)),
            only=inject.get("only"),
            processed=inject.get("processed"),
        )
    return plan.as_dict()


def _balance(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    login = _login(sim, data)
    if "balance" in data:
        sim.set_balance(login, _decimal(data["balance"], "balance"))
    if "add" in data:
        sim.top_up(login, _decimal(data["add"], "add"))
    return sim.account(login).as_dict()


def _account(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    options: dict[str, Any] = {}
    for key in ("balance", "price"):
        if key in data:
            options[key] = _decimal(data[key], key)
    for key in ("api_enabled", "moderated"):
        if key in data:
            options[key] = bool(data[key])
    if "senders" in data:
        options["senders"] = set(data["senders"])
    return sim.add_account(str(data["login"]), str(data["password"]), **options).as_dict()


def _status(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    sim.force_status(data["sms_id"], str(data["status"]))
    return {"sms_id": data["sms_id"], "status": data["status"]}


def _down(sim: Simulator, query: dict[str, str], data: dict[str, Any]) -> Any:
    seconds = data.get("seconds")
    # Go down only after this answer has left, or the caller would see its own connection cut.
    timer = threading.Timer(0.1, sim.down, kwargs={"seconds": seconds})
    timer.daemon = True
    timer.start()
    return {"down": True, "seconds": seconds}


_ROUTES = {
    ("GET", "stats"): _stats,
    ("GET", "log"): _log,
    ("GET", "message"): _message,
    ("GET", "recipients"): _recipients,
    ("POST", "advance"): _advance,
    ("POST", "speed"): _speed,
    ("POST", "faults"): _faults,
    ("POST", "balance"): _balance,
    ("POST", "account"): _account,
    ("POST", "status"): _status,
    ("POST", "down"): _down,
}
