"""A real SMTP server for tests (aiosmtpd on a free port), and a port where none listens.

Use in a test module: ``from tests import smtp`` and ``smtp_server = smtp.smtp_server``.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    """What the server received: ``raw`` messages (bytes), ``messages`` parsed, ``envelopes`` as
    (from, recipients).

    A message is parsed when ``messages`` is read, not while the sender waits for the server (in
    this process): a test that sends thousands reads their ``raw`` headers instead.
    ``delay`` seconds pass before each message is accepted (a slow server).
    """

    port: int
    delay: float = 0.0
    raw: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    _parsed: list[EmailMessage] = field(default_factory=list, repr=False)

    @property
    def messages(self) -> list[EmailMessage]:
        for raw in self.raw[len(self._parsed) :]:
            self._parsed.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return list(self._parsed)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.raw.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _use_smtp(settings: Any, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A running SMTP server; Django's email settings point at it for the test."""
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    _use_smtp(settings, server.port)
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings: Any) -> int:
    """Django's email settings point at a local port where nothing listens (connection refused)."""
    port = free_port()
    _use_smtp(settings, port)
    return port
