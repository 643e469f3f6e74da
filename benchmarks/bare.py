"""The reference every send and poll case is measured against: the same requests, nothing else.

``python -m benchmarks.bare <plan.json>`` sends the requests a plan lists from ``concurrency``
threads, each with a ``requests.Session`` of its own, to the simulator, and checks each answer
just enough to know it was the one expected (HTTP 200, the answer's ``<name>``, one id per
recipient). No database, no Django, nothing of ``django_letsads``: the request bodies are built
here with ElementTree (the same bytes the client sends) before the clock starts. Its wall time
is what the machine can do with these requests right now; the worker's wall time over it, both
measured in the same run, is the worker's overhead factor.

A plan is ``{"url": …, "login": …, "password": …, "concurrency": n, "requests": [...]}``, each
request either ``{"sender": …, "text": …, "recipients": [...]}`` or ``{"sms_id": …}``. The last
line of the output is ``BENCH-RESULT {json}`` with the wall and CPU seconds and the counts.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

RESULT_PREFIX = "BENCH-RESULT "
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def body(login: str, password: str, request: dict[str, Any]) -> tuple[bytes, bytes, int]:
    """The XML of one request, the ``<name>`` its answer must have and how many ids it carries."""
    root = ET.Element("request")
    auth = ET.SubElement(root, "auth")
    ET.SubElement(auth, "login").text = login
    ET.SubElement(auth, "password").text = password
    if "sms_id" in request:
        ET.SubElement(root, "sms_id").text = str(request["sms_id"])
        expected, ids = b"Status</name>", 0  # the gateway writes "<name> Status"
    else:
        message = ET.SubElement(root, "message")
        ET.SubElement(message, "from").text = request["sender"]
        ET.SubElement(message, "text").text = request["text"]
        for recipient in request["recipients"]:
            ET.SubElement(message, "recipient").text = recipient
        expected, ids = b"Complete</name>", len(request["recipients"])
    xml = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return DECLARATION + xml.encode(), expected, ids


def send_all(url: str, bodies: Sequence[tuple[bytes, bytes, int]], concurrency: int) -> int:
    """Send every body from ``concurrency`` threads; returns how many answers were wrong."""
    lock = threading.Lock()
    position = iter(range(len(bodies)))
    wrong = [0]

    def run() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                data, expected, ids = bodies[index]
                try:
                    answer = session.post(url, data=data, headers=HEADERS, timeout=30)
                    content = answer.content
                    right = (
                        answer.status_code == 200
                        and expected in content
                        and content.count(b"<sms_id>") == ids
                    )
                except requests.RequestException:
                    right = False
                if not right:
                    with lock:
                        wrong[0] += 1

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return wrong[0]


def main(argv: list[str]) -> None:
    plan = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    bodies = [body(plan["login"], plan["password"], request) for request in plan["requests"]]
    started = time.perf_counter()
    cpu_started = time.process_time()
    wrong = send_all(plan["url"], bodies, int(plan["concurrency"]))
    result = {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "requests": len(bodies),
        "wrong": wrong,
    }
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
