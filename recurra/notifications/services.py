"""Queueing emails: one insert per thousand drafts, inside the caller's transaction.

An email is written as a queued row in the same transaction as the change that
causes it (house rule 8), and sent by the runner after commit. A draft with a
``dedupe_key`` that already exists (in any status) is skipped: one reminder per
subscription period, however often the billing run passes by.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from recurra.core.bulk import insert_objects, new_row
from recurra.core.events import jsonable
from recurra.jobs.queue import require_transaction
from recurra.notifications.models import EmailMessage
from recurra.notifications.render import missing_keys, supported_language

BATCH_SIZE = 1000
_language = functools.lru_cache(maxsize=256)(supported_language)  # a few values, asked per email


@dataclass(frozen=True)
class EmailDraft:
    """An email to queue. ``data`` is everything its templates need (see ``render.REQUIRED``)."""

    kind: str
    to: str
    language: str
    data: Mapping[str, Any] = field(default_factory=dict)
    contact_id: str | None = None
    subscription_id: str | None = None
    invoice_id: str | None = None
    payment_id: str | None = None
    dedupe_key: str | None = None

    def __post_init__(self) -> None:
        if not self.to or "@" not in self.to:
            raise ValueError(f"{self.kind} email needs a recipient address, not {self.to!r}")
        missing = missing_keys(self.kind, self.data)  # also refuses an unknown kind
        if missing:
            raise ValueError(f"{self.kind} email data lacks {', '.join(missing)}")

    def row(self, at: datetime) -> EmailMessage:
        return EmailMessage(**self.values(at, data=jsonable(dict(self.data))))

    def values(self, at: datetime, *, data: Any = None) -> dict[str, Any]:
        """The message's columns; ``data`` as given, else ``self.data`` as it is (not yet JSON-ready:
        ``core.bulk`` writes it through ``core.events.dumps``)."""
        if data is None:
            data = self.data if type(self.data) is dict else dict(self.data)
        return dict(
            to=self.to,
            kind=self.kind,
            language=_language(self.language),
            data=data,
            dedupe_key=self.dedupe_key,
            contact_id=self.contact_id or "",
            subscription_id=self.subscription_id or "",
            invoice_id=self.invoice_id or "",
            payment_id=self.payment_id or "",
            run_at=at,
            created_at=at,  # given, not defaulted: the default reads the clock once per row
            updated_at=at,
        )


def emails_queue(drafts: Sequence[EmailDraft], *, at: datetime) -> int:
    """Queue ``drafts`` to be sent from ``at``; returns how many were new.

    Per 1,000 drafts: one query for dedupe keys already taken (when any draft has
    one) and one multi-row insert (``COPY`` on PostgreSQL; SQLite may split it to
    stay under its variable limit). A key taken by a concurrent transaction
    meanwhile fails that insert, which is made again with conflicts ignored: that
    draft is skipped too (then the count is one too high).
    """
    require_transaction("emails_queue")
    queued = 0
    seen: set[str] = set()
    for start in range(0, len(drafts), BATCH_SIZE):
        batch = drafts[start : start + BATCH_SIZE]
        keys = {d.dedupe_key for d in batch if d.dedupe_key}
        taken = keys_taken(keys)
        chosen = []
        for draft in batch:
            if draft.dedupe_key:
                if draft.dedupe_key in taken or draft.dedupe_key in seen:
                    continue
                seen.add(draft.dedupe_key)
            chosen.append(draft)
        plain = [new_row(EmailMessage, **draft.values(at)) for draft in chosen]
        if keys:
            _insert_keyed(plain, chosen, at=at)
        else:  # the billing run's receipts and notices: plain rows, no model instances
            insert_objects(plain, model=EmailMessage)
        queued += len(chosen)
    return queued


def keys_taken(keys: set[str]) -> set[str]:
    """The dedupe keys of ``keys`` that queued emails have already."""
    if not keys:
        return set()
    found = EmailMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    return {key for key in found if key is not None}


def _insert_keyed(plain: list[Any], drafts: list[EmailDraft], *, at: datetime) -> None:
    """Insert rows whose keys were free when looked up: as plain rows (``COPY`` on PostgreSQL), in a
    savepoint; when a concurrent transaction took one of the keys meanwhile, again with conflicts
    ignored (that key's row skipped)."""
    try:
        with transaction.atomic():
            insert_objects(plain, model=EmailMessage)
    except IntegrityError:
        rows = [draft.row(at) for draft in drafts]
        EmailMessage.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)


def email_queue(draft: EmailDraft, *, at: datetime) -> bool:
    """Queue one email; False when its dedupe key was already used."""
    return emails_queue([draft], at=at) == 1
