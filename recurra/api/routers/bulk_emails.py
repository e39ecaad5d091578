"""/bulk-emails: the progress of an email sent to many contacts (a list's members; editor role).

An email to a list is sent by ``POST /lists/{id}/emails``; this shows how far it has come:
``sent + skipped_opted_out + skipped_missing`` of ``recipients`` (its unique addresses), and
``sent`` once all of them are done. Each message is in the message log (``GET /emails?kind=list_email``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, Field

from recurra.accounts.roles import Role
from recurra.api.auth import ApiKeyAuth
from recurra.api.common import get_or_404
from recurra.api.fields import Id
from recurra.notifications.models import BulkEmail

router = Router(tags=["bulk emails"], auth=ApiKeyAuth(Role.EDITOR))


class BulkEmailOut(BaseModel):
    id: str
    subject: str
    body: str
    source: str = Field(description='what it was sent to, e.g. "list:lst_…"')
    status: str = Field(description="queued, sending, sent (every address done) or failed")
    contacts: int = Field(description="the contacts it was sent to")
    recipients: int = Field(description="their unique addresses (whatever the case): one message each")
    sent: int = Field(description="addresses whose message is queued (then in the message log)")
    skipped_opted_out: int = Field(description="addresses not written to: a contact with it unsubscribed")
    skipped_missing: int = Field(description="addresses whose contact was deleted or changed it meanwhile")
    progress: int = Field(description="percent of the recipients done")
    last_error: str
    created_by: dict[str, Any] = Field(description="who sent it: {type, id, name}")
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, b: BulkEmail) -> BulkEmailOut:
        done = b.sent + b.skipped_opted_out + b.skipped_missing
        return cls(
            id=b.pk,
            subject=b.subject,
            body=b.body,
            source=b.source,
            status=b.status,
            contacts=b.contacts,
            recipients=b.recipients,
            sent=b.sent,
            skipped_opted_out=b.skipped_opted_out,
            skipped_missing=b.skipped_missing,
            progress=100 if not b.recipients else done * 100 // b.recipients,
            last_error=b.last_error,
            created_by=b.created_by,
            created_at=b.created_at,
            finished_at=b.finished_at,
        )


@router.get("/{bulk_email_id}", response=BulkEmailOut, summary="Get an email to many contacts (progress)")
def get_bulk_email(request: HttpRequest, bulk_email_id: Id) -> BulkEmailOut:
    return BulkEmailOut.of(get_or_404(BulkEmail, bulk_email_id))
