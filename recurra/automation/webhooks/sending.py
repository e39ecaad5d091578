"""The HTTP port of webhook delivery (house rule 12): one POST, its answer, never a redirect.

:class:`HttpSender` (httpx) resolves the host itself and refuses it unless every address is allowed
(``addresses``: checked again at every delivery, as a name may point elsewhere by now), then connects
to the address it checked (the ``Host`` header and TLS's server name stay the host's, so the
certificate is verified against it). It follows no redirect, reads at most :data:`MAX_BODY` bytes of
the answer (streamed) and gives up after the timeout, for each step and for the whole answer.
:class:`MemorySender` is the in-process fake: it records each request and answers from a script.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

from recurra.automation.webhooks import addresses
from recurra.core import clock

MAX_BODY = 64 * 1024
SHOWN_BODY = 2 * 1024  # what pages show of an answer
USER_AGENT = "Recurra-Webhooks/1 (+https://www.standardwebhooks.com)"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a POST came to: the status (None when no answer came), the first 64 KB of the body,
    its headers, how long it took, and why it failed when it did not get an answer."""

    status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    duration_ms: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error

    @property
    def redirect(self) -> str | None:
        """Where a 3xx answer points (Recurra does not follow it)."""
        if self.status is not None and 300 <= self.status < 400:
            return self.headers.get("location", "")
        return None


class Sender(Protocol):
    def session(self) -> Any:
        """A context manager for a batch of posts (a connection pool)."""

    def post(
        self, *, url: str, headers: dict[str, str], body: bytes, timeout: float, session: Any
    ) -> Answer: ...


def timeout_seconds() -> float:
    """Seconds a delivery may take (``RECURRA_WEBHOOKS_TIMEOUT``, read by ``settings``)."""
    return settings.RECURRA_WEBHOOKS_TIMEOUT


class HttpSender:
    @contextmanager
    def session(self) -> Iterator[httpx.Client]:
        # TCP_NODELAY: the headers and the body go out as two writes; with Nagle's algorithm the body
        # would wait for the receiver's (delayed, up to 40 ms) acknowledgement of the headers.
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        with httpx.Client(follow_redirects=False, trust_env=False, transport=transport) as client:
            yield client

    def post(self, *, url: str, headers: dict[str, str], body: bytes, timeout: float, session: Any) -> Answer:
        started = time.monotonic()
        live, allow_private = addresses.policy()
        try:
            scheme, host, port = addresses.split(url, live=live)
            checked = addresses.allowed_addresses(host, port, live=live, allow_private=allow_private)
        except addresses.RefusedUrl as exc:
            return Answer(None, error=f"refused: {exc}"[:500])
        parts = urlsplit(url.strip())
        ip = checked[0]
        netloc = (f"[{ip}]" if ":" in ip else ip) + (f":{parts.port}" if parts.port else "")
        target = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        host_header = parts.netloc.rpartition("@")[2]
        client: httpx.Client = session
        try:
            with client.stream(
                "POST",
                target,
                content=body,
                headers={**headers, "host": host_header, "user-agent": USER_AGENT},
                timeout=httpx.Timeout(timeout),
                extensions=extensions,
            ) as response:
                read = bytearray()
                for chunk in response.iter_bytes():
                    read += chunk
                    if len(read) >= MAX_BODY:
                        break
                    if time.monotonic() - started > timeout:
                        raise httpx.ReadTimeout("the answer took longer than the timeout")
                elapsed = time.monotonic() - started
                answer_headers = {k.lower(): v for k, v in response.headers.items()}
                if elapsed > timeout:
                    return Answer(
                        response.status_code,
                        bytes(read[:MAX_BODY]),
                        answer_headers,
                        _ms(started),
                        f"timed out after {timeout:g} s",
                    )
                return Answer(response.status_code, bytes(read[:MAX_BODY]), answer_headers, _ms(started))
        except httpx.TimeoutException:
            return Answer(None, duration_ms=_ms(started), error=f"timed out after {timeout:g} s")
        except httpx.HTTPError as exc:
            return Answer(None, duration_ms=_ms(started), error=f"{type(exc).__name__}: {exc}"[:500])


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


@dataclass
class Sent:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class MemorySender:
    """The fake: answers from ``script`` (one Answer, or a callable of the request, per post; the
    last one repeats), keeps every request in ``sent``."""

    script: list[Answer | Callable[[Sent], Answer]] = field(default_factory=lambda: [Answer(200, b"ok")])
    sent: list[Sent] = field(default_factory=list)

    @contextmanager
    def session(self) -> Iterator[None]:
        yield None

    def post(self, *, url: str, headers: dict[str, str], body: bytes, timeout: float, session: Any) -> Answer:
        request = Sent(url, dict(headers), body)
        self.sent.append(request)
        step = self.script[min(len(self.sent), len(self.script)) - 1]
        return step(request) if callable(step) else step


_sender: Sender = HttpSender()


def sender() -> Sender:
    return _sender


def use_sender(new: Sender) -> Sender:
    """Replace the sender (tests: a :class:`MemorySender`); returns the one it replaced."""
    global _sender
    old, _sender = _sender, new
    return old


def signing_seconds() -> int:
    """``webhook-timestamp``: real seconds, in sandbox mode too. A receiver compares it with its own
    clock to refuse replays (five minutes' tolerance), which a simulated date would always fail."""
    return clock.epoch_ms() // 1000
