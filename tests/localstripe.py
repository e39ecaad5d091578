"""localstripe (a stateful fake Stripe, from PyPI) in a subprocess, behind a recording proxy.

A plugin of the whole suite (``tests/conftest.py``): a test asks for the
``stripe_gateway`` fixture and Recurra runs on Stripe, against localstripe.

- :class:`LocalStripe`: the server on a free loopback port, started once per
  session with ``--from-scratch``; ``js_url`` is its Stripe.js stand-in.
- :class:`Proxy`: what Recurra's SDK calls go through. It records every
  request (method, path, headers, form fields), so tests can check the
  idempotency keys the SDK sends (localstripe ignores them), and it can lose
  a reply (forward the request, then close the connection unanswered) or
  fail before forwarding, as a network would.
- For what localstripe cannot answer (a SEPA debit still ``processing``: its
  debits settle at once), :meth:`Proxy.patch_reply` changes top-level fields of
  a reply to Stripe's documented values.
- localstripe's confirm endpoint refuses ``off_session``, which Stripe takes
  (docs.stripe.com/api/payment_intents/confirm); the proxy records it and
  forwards the rest. Nothing else is changed.
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import stripe

from tests.smtp import free_port

SECRET_KEY = "sk_test_recurra"  # localstripe takes any key
PUBLISHABLE_KEY = "pk_test_recurra"
WEBHOOK_SECRET = "whsec_recurra_test"
CONFIRM = re.compile(r"^/v1/payment_intents/[^/]+/confirm$")


class LocalStripe:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.js_url = f"{self.url}/js.stripe.com/v3/"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.js_url, timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)

    def client(self) -> stripe.StripeClient:
        """An SDK client straight to localstripe (the tests' own calls, not Recurra's)."""
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.url}, max_network_retries=0)

    def flush(self) -> None:
        """Forget every object (a fresh Stripe account)."""
        self._call("DELETE", "/_config/data")

    def register_webhook(self, url: str, *, secret: str = WEBHOOK_SECRET, name: str = "recurra") -> None:
        """Have localstripe send its events to ``url``, signed with ``secret`` (about a second late)."""
        self._call("POST", f"/_config/webhooks/{name}", {"url": url, "secret": secret})

    def _call(self, method: str, path: str, fields: dict[str, str] | None = None) -> None:
        body = urlencode(fields).encode() if fields else None
        request = urllib.request.Request(self.url + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {SECRET_KEY}")
        urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    fields: list[tuple[str, str]]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class Fault:
    pattern: re.Pattern[str]
    kind: str  # "lose_reply": forwarded, answer dropped; "no_answer": not forwarded, dropped; "patch"
    times: int
    changes: dict[str, Any] = field(default_factory=dict)
    method: str | None = None  # only requests of this method (None: any)


@dataclass
class Proxy:
    """Forwards to ``target``; see the module's notes."""

    target: str
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def lose_reply(self, path: str, *, times: int = 1, method: str | None = None) -> None:
        """The next ``times`` requests whose path matches ``path`` (a regex), of ``method`` if given,
        reach localstripe, but their answers are lost (the connection closes unanswered)."""
        self.faults.append(Fault(re.compile(path), "lose_reply", times, method=method))

    def no_answer(self, path: str, *, times: int = 1, method: str | None = None) -> None:
        """The next ``times`` matching requests never reach localstripe and get no answer."""
        self.faults.append(Fault(re.compile(path), "no_answer", times, method=method))

    def patch_reply(self, path: str, changes: dict[str, Any], *, times: int = 1) -> None:
        """The next ``times`` matching replies reach Recurra with ``changes`` set in their JSON."""
        self.faults.append(Fault(re.compile(path), "patch", times, changes))

    def calls(self, method: str, path: str) -> list[Recorded]:
        """Recorded requests of ``method`` whose path matches ``path`` (a regex), in order."""
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times and fault.method in (None, method) and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None


def _handler(proxy: Proxy) -> type[http.server.BaseHTTPRequestHandler]:
    target = urlsplit(proxy.target)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The answer goes out as headers, then body: with Nagle's algorithm the body waits for the
        # client's delayed ACK of the headers, 40 ms a request; the worker tests make hundreds.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            fields = parse_qsl(body.decode(), keep_blank_values=True)
            with proxy.lock:
                proxy.requests.append(
                    Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, fields)
                )
            fault = proxy._fault_for(self.command, path)
            kind = fault.kind if fault else None
            if kind == "no_answer":
                self.close_connection = True
                return
            if self.command == "POST" and CONFIRM.match(path):
                body = urlencode([(k, v) for k, v in fields if k != "off_session"]).encode()
            upstream = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            headers["Content-Length"] = str(len(body))
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            upstream.close()
            if kind == "lose_reply":
                self.close_connection = True
                return
            if fault is not None and kind == "patch":
                data = json.dumps({**json.loads(data), **fault.changes}).encode()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _forward

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a caller that died mid-call: no news
            super().handle_error(request, client_address)


def start_proxy(target: str) -> tuple[Proxy, http.server.ThreadingHTTPServer]:
    proxy = Proxy(target=target)
    server = _Server(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="stripe-proxy", daemon=True).start()
    return proxy, server


@dataclass
class StripeWorld:
    """One test's Stripe: localstripe (flushed), the proxy Recurra calls, and the settings in force."""

    server: LocalStripe
    proxy: Proxy

    def client(self) -> stripe.StripeClient:
        return self.server.client()

    def card(self, number: str = "4242424242424242", *, exp_year: int = 2030) -> str:
        """A PaymentMethod as Stripe.js makes one on a buyer page: a SetupIntent confirmed with the
        card's details (3-D Secure cards then wait for authentication). Returns its ``pm_…`` id."""
        api = self.client()
        intent = api.v1.setup_intents.create(params={"usage": "off_session"})
        card = {"number": number, "exp_month": "12", "exp_year": str(exp_year), "cvc": "123"}
        confirmed = api.v1.setup_intents.confirm(
            intent.id, params={"payment_method_data": {"type": "card", "card": card}}
        )
        return str(confirmed.payment_method)

    def sepa_debit(self, iban: str = "DE89370400440532013000") -> str:
        """A SEPA Direct Debit PaymentMethod set up the same way (its charges process, then settle)."""
        api = self.client()
        intent = api.v1.setup_intents.create(
            params={"usage": "off_session", "payment_method_types": ["sepa_debit"]}
        )
        confirmed = api.v1.setup_intents.confirm(
            intent.id, params={"payment_method_data": {"type": "sepa_debit", "sepa_debit": {"iban": iban}}}
        )
        return str(confirmed.payment_method)

    def authenticate(self, intent_id: str, client_secret: str, *, success: bool = True) -> None:
        """What localstripe's Stripe.js sends when the buyer completes (or fails) 3-D Secure."""
        body = urlencode(
            {"client_secret": client_secret, "success": str(success).lower(), "key": PUBLISHABLE_KEY}
        )
        request = urllib.request.Request(
            f"{self.server.url}/v1/payment_intents/{intent_id}/_authenticate",
            data=body.encode(),
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).close()

    def intents(self) -> list[Any]:
        """Every PaymentIntent localstripe holds."""
        return list(self.client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter())

    def succeeded_intents(self) -> list[Any]:
        return [i for i in self.intents() if i.status == "succeeded"]


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[LocalStripe]:
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stripe_proxy(localstripe_server: LocalStripe) -> Iterator[Proxy]:
    proxy, server = start_proxy(localstripe_server.url)
    yield proxy
    server.shutdown()


@pytest.fixture
def stripe_gateway(settings: Any, localstripe_server: LocalStripe, stripe_proxy: Proxy) -> StripeWorld:
    """Recurra on the Stripe gateway against a fresh localstripe, through the recording proxy."""
    localstripe_server.flush()
    stripe_proxy.reset()
    settings.RECURRA_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_proxy.url
    settings.STRIPE_JS_URL = localstripe_server.js_url
    return StripeWorld(localstripe_server, stripe_proxy)
