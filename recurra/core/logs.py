"""Log lines: the id of the request they belong to, and the JSON format (``RECURRA_LOG_FORMAT=json``).

The request id is held in a context variable for the request's duration (``recurra.ops`` sets it
when Django starts a request and clears it when the answer is closed), so it follows the request's
thread and nothing else: a worker thread's lines carry none. :class:`RequestIdFilter`, on the log
handler, puts it on every record as ``request_id``.

:class:`JsonFormatter` writes one JSON object a line: ``timestamp`` (UTC, ISO 8601 with
milliseconds), ``level``, ``logger``, ``message``, ``request_id`` (in a request), ``exc_info`` (the
traceback, as text) and Django's ``status_code`` where it logs one. Nothing else a caller hands in
``extra=`` is written: Django hands the request object, whose text holds the full path, and a path
can carry a buyer token (``core.redaction`` cleans the message and the traceback, not extras).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
MAX_LENGTH = 128
# What load balancers and proxies send (a UUID, nginx's hex $request_id, AWS's Root=1-…, base64):
# letters, digits and . _ : + / = -; no spaces, quotes or control characters, which a log line or a
# header could be forged with.
_VALID = re.compile(rf"[A-Za-z0-9._:+/=-]{{1,{MAX_LENGTH}}}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from(incoming: str | None) -> str:
    """The incoming ``X-Request-ID`` when it is safe to log and echo (at most 128 of the characters
    above), else a new one (32 hex digits)."""
    if incoming and _VALID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def request_id_set(value: str) -> Token[str | None]:
    """Make ``value`` the current request's id; hand the token to :func:`request_id_reset` after."""
    return _request_id.set(value)


def request_id_reset(token: Token[str | None]) -> None:
    _request_id.reset(token)


def request_id_clear() -> None:
    """No request any more (the answer is closed)."""
    _request_id.set(None)


def current_request_id() -> str | None:
    """The id of the request being answered in this thread; None outside a request."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to each record made during a request (lets every record through)."""

    def filter(self, record: logging.LogRecord) -> bool:
        value = _request_id.get()
        if value is not None:
            record.request_id = value
        return True


KEPT = ("timestamp", "level", "logger", "message", "request_id", "status_code", "exc_info", "stack_info")


class JsonFormatter(LibraryJsonFormatter):
    """python-json-logger's formatter writing the fields of :data:`KEPT` only (see the module)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            ["asctime", "levelname", "name", "message"],
            rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
            **options,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        # The traceback as core.redaction left it in exc_text (the library would format exc_info
        # afresh, buyer tokens and all).
        exc_info = record.exc_info
        if exc_info and not record.exc_text:
            record.exc_text = self.formatException(exc_info)  # type: ignore[assignment]
        record.exc_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info = exc_info

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in [k for k in log_data if k not in KEPT]:
            del log_data[key]
