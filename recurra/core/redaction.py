"""Buyer tokens: handed to the buyer once, then never kept, shown or logged.

A buyer token is the path segment that opens a buyer's page without sign-in:
the payment-method update link (``/update-payment-method/<token>/``), an
invoice's pay link (``/pay/invoices/<token>/``) and a quote's page
(``/q/<token>/``); and, of a contact, the unsubscribe link in an email to a
list (``/unsubscribe/<token>/``). Whoever holds one acts as that buyer: saves a
payment method (and is charged to it), pays, accepts a quote, unsubscribes. So a token travels in
the email (or the API answer) that hands it out, and nowhere else: what
Recurra keeps of that email, of an idempotent answer, and every log line
carry the link with the token replaced by :data:`MARK`.

A payment link's checkout (``/buy/<token>/``) is the seller's public shop
window, not a buyer's: anyone may buy through it and it opens no one's
record, so it is shown to staff and kept; only log lines drop it too.

Only URLs are recognised: a prefix at the start of a word, a quoted string or
an attribute (``https://host/q/…``, ``"/q/…``, ``Not Found: /q/…``), never in
the middle of a word (``a/q/b`` stays). The web app's URL patterns are held
to these prefixes by a test.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

MARK = "REDACTED"
BUYER_PATHS = ("/update-payment-method/", "/pay/invoices/", "/q/", "/unsubscribe/")
PUBLIC_PATHS = ("/buy/",)  # public by design: redacted from logs only
LOGGED_PATHS = BUYER_PATHS + PUBLIC_PATHS

_START = r"(?<![^\s\"'=(<>,;\[])"  # start of text, or after a space, quote, '=', bracket, ',' or ';'
_ORIGIN = r"(?:[A-Za-z][A-Za-z0-9+.-]*://[^/\s\"'<>]*)?"  # scheme and host, if any
_MOUNT = r"(?:/[^/?#\s\"'<>]+)*?"  # a path prefix the site may be mounted under
_PART = r"[^/?#\s\"'<>\\&]+"  # the token itself: up to the next /, ?, #, quote, bracket or space


def _pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    either = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"{_START}({_ORIGIN}{_MOUNT}(?:{either})){_PART}")


_BUYER = _pattern(BUYER_PATHS)
_LOGGED = _pattern(LOGGED_PATHS)


def redact(text: str, *, logged: bool = False) -> str:
    """``text`` with the token of every buyer URL in it replaced by :data:`MARK` (``logged``: the
    checkout's too, for log lines)."""
    prefixes = LOGGED_PATHS if logged else BUYER_PATHS
    if not any(prefix in text for prefix in prefixes):
        return text
    return (_LOGGED if logged else _BUYER).sub(rf"\g<1>{MARK}", text)


def redact_data(value: Any) -> Any:
    """A JSON value with :func:`redact` applied to every string in it (keys too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_data(k): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def redact_bytes(body: bytes) -> bytes:
    """A UTF-8 body (an API answer) with :func:`redact` applied; other bytes unchanged."""
    if not any(prefix.encode() in body for prefix in BUYER_PATHS):
        return body
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return body
    return redact(text).encode()


def redact_record(record: logging.LogRecord) -> None:
    """Take every buyer token out of a log record's message and traceback, in place."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format is logging's to report, when the record is emitted
        return
    clean = redact(message, logged=True)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and not record.exc_text:
        formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        clean = redact(formatted, logged=True)
        if clean != formatted:
            record.exc_text = clean  # what formatters print instead of formatting exc_info again
    if record.stack_info:
        record.stack_info = redact(record.stack_info, logged=True)


RecordFactory = Callable[..., logging.LogRecord]


def redacting(factory: RecordFactory) -> RecordFactory:
    """A log record factory that redacts every record ``factory`` makes (see :func:`install`)."""
    if getattr(factory, "redacts_buyer_tokens", False):
        return factory

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        redact_record(record)
        return record

    make.redacts_buyer_tokens = True  # type: ignore[attr-defined]
    return make


def install() -> None:
    """Redact every log record at its making, whichever logger and handler it goes to (Django logs
    each 404 with its path; a handler's filter would miss other handlers, such as a test's)."""
    logging.setLogRecordFactory(redacting(logging.getLogRecordFactory()))
