"""Finding live buyer tokens (``core.redaction``) in any text: what stored rows, logs and staff's answers
must never hold.

A word is a live token when it opens something now: the hash of a live payment-method update
link, an invoice pay link whose signature and age check out, a quote's signed id, a contact's
unsubscribe link. Every word of
20 or more token characters is tried, so a token is found wherever it stands (a URL, JSON, a
sentence), not only where the redaction rule looks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import connection

from recurra.commerce.links import quote_for_token
from recurra.core.errors import NotFound
from recurra.invoicing.links import invoice_for_token
from recurra.notifications.unsubscribe import contact_for_token
from recurra.subscriptions.models import PaymentMethodUpdateLink
from recurra.subscriptions.update_links import token_hash

WORD = re.compile(r"[A-Za-z0-9_:\-]{20,}")


def _opens_invoice(word: str) -> bool:
    try:
        invoice_for_token(word)
    except NotFound:
        return False
    return True


class Scanner:
    """Live tokens in texts, as of ``at``."""

    def __init__(self, at: datetime) -> None:
        live = PaymentMethodUpdateLink.objects.filter(revoked_at=None, expires_at__gt=at)
        self.update_hashes = set(live.values_list("token_hash", flat=True))

    def opens(self, word: str) -> bool:
        if token_hash(word) in self.update_hashes:
            return True
        if ":" not in word:
            return False  # the signed tokens are "<id>:<signature>" or "<id>:<time>:<signature>"
        return (
            _opens_invoice(word) or quote_for_token(word) is not None or contact_for_token(word) is not None
        )

    def live(self, texts: Iterable[str]) -> set[str]:
        return {word for text in texts for word in WORD.findall(text) if self.opens(word)}


def text_of(value: Any) -> str | None:
    """A column's value as text (bytes as UTF-8, JSON as written), or None when it holds none."""
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return None


def database_texts() -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every text, JSON or binary value of every table."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # names from the database itself
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = text_of(value)
                    if text:
                        yield table, column, text
