"""A real HTTP receiver on 127.0.0.1 (the standard library's server, in a thread) that verifies
every delivery with two independent Standard Webhooks implementations: the ``standardwebhooks``
package and ``svix``'s own verifier (svix < 1.84 has its own code).

``script`` answers request n with its nth step (the last repeats): ``(status, seconds to wait
first)``; a wait past the sender's timeout is a hang. ``hold`` (a threading.Event) keeps each
answer back until it is set.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import standardwebhooks
import svix.webhooks


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified_by: list[str]  # which secrets verified it, with both libraries each
    at: float

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def verify_both(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """True when both libraries accept the delivery with ``secret``; False when both refuse it;
    AssertionError when they disagree."""
    results = []
    for verify in (standardwebhooks.Webhook(secret).verify, svix.webhooks.Webhook(secret).verify):
        try:
            verify(body, headers)
            results.append(True)
        except Exception:
            results.append(False)
    assert results[0] == results[1], f"the two verifiers disagree: {results}"
    return results[0]


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    script: list[tuple[int, float]] = field(default_factory=lambda: [(200, 0.0)])
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    extra_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        receiver = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = [s for s in receiver.secrets if verify_both(s, body, headers)]
                with receiver._lock:
                    receiver.received.append(Received(headers, body, ok, time.monotonic()))
                    n = len(receiver.received)
                receiver.arrived.set()
                status, wait = receiver.script[min(n, len(receiver.script)) - 1]
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                if wait:
                    time.sleep(wait)
                try:
                    self.send_response(status)
                    for name, value in receiver.extra_headers.items():
                        self.send_header(name, value)
                    answer = b'{"received": true}'
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up (a hang past its timeout)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks"

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()
