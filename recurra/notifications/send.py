"""Sending queued emails: the email queue's handler for :mod:`recurra.jobs.runner`.

Each email is rendered when it is sent (subject and bodies are then kept on the
row) and handed to Django's email backend, configured by ``EMAIL_URL``. Without
``EMAIL_URL`` the backend is the dummy one: the email is rendered and marked
``logged``, and nothing leaves the machine. An SMTP error raises, and the runner
retries with backoff.

What is kept of a sent (or logged) email has no buyer token: its bodies and
``data`` keep each buyer link with the token replaced (``core.redaction``), and
so does an email given up after its last attempt. Only the queued row, until it
goes, holds the token it carries.

Outcomes are kept :data:`KEEP_EVERY` emails at a time, in one UPDATE (or every
second, whichever comes first: ``runner.KEEP_MS``), not one UPDATE per email.

Delivery is at-least-once: if the worker dies after the SMTP server accepted a
message and before the row is marked ``sent``, the message is sent again once
the lease expires: at most :data:`KEEP_EVERY` messages per worker, or one
second's worth (and the one being sent).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.dummy import EmailBackend as DummyBackend

from recurra.core.redaction import redact, redact_data
from recurra.jobs import runner
from recurra.notifications.models import EmailKind, EmailMessage, EmailStatus
from recurra.notifications.render import render

KEEP_EVERY = 100


@contextlib.contextmanager
def connection_session() -> Iterator[BaseEmailBackend]:
    """One email connection for a claimed batch, opened at the first send, closed at the end."""
    connection = get_connection()
    try:
        yield connection
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def email_deliver(message: EmailMessage, *, at: datetime, session: BaseEmailBackend) -> dict[str, Any]:
    """Render and send one email; the fields to store when it went (or was logged)."""
    rendered = render(message.kind, message.language, message.data)
    fields: dict[str, Any] = {
        "subject": rendered.subject,
        "text_body": redact(rendered.text),
        "html_body": redact(rendered.html),
        "sent_at": at,
        "status": EmailStatus.SENT,
        **email_data_kept(message),
    }
    if isinstance(session, DummyBackend):
        return {**fields, "status": EmailStatus.LOGGED}
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Recurra-Email-Id": message.pk,
            **_extra_headers(message),
        },
        connection=session,
    )
    email.attach_alternative(rendered.html, "text/html")
    try:
        session.open()  # kept open for the rest of the batch
        email.send()
    except Exception:
        # A broken connection is dropped, so that the next email opens a fresh one.
        with contextlib.suppress(Exception):
            session.close()
        raise
    return fields


def unsubscribe_headers(message: EmailMessage) -> dict[str, str]:
    """An email to a list: its unsubscribe link for the mailbox's own unsubscribe button, which
    unsubscribes with one POST (RFC 2369 ``List-Unsubscribe``, RFC 8058 one-click)."""
    url = message.data.get("unsubscribe_url")
    if not url:
        return {}
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# The headers some kinds add to every message (the others: none; transactional emails carry no
# unsubscribe link, as they go to unsubscribed contacts too).
EXTRA_HEADERS: dict[str, Callable[[EmailMessage], dict[str, str]]] = {
    EmailKind.LIST_EMAIL: unsubscribe_headers,
}


def _extra_headers(message: EmailMessage) -> dict[str, str]:
    extra = EXTRA_HEADERS.get(message.kind)
    return extra(message) if extra is not None else {}


def email_data_kept(message: EmailMessage) -> dict[str, Any]:
    """``data`` without buyer tokens, to store once the email has gone or never will (nothing to
    store when it carries none)."""
    kept = redact_data(message.data)
    return {"data": kept} if kept != message.data else {}


def register_emails() -> None:
    """The email queue (called from the notifications app's ``ready``, after the job queue)."""
    runner.register_queue(
        "emails",
        EmailMessage,
        email_deliver,
        session=connection_session,
        queued=EmailStatus.QUEUED,
        running=EmailStatus.SENDING,
        done=EmailStatus.SENT,
        failed=EmailStatus.FAILED,
        keep_every=KEEP_EVERY,
        given_up=email_data_kept,
    )
