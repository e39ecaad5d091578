"""/emails: the message log (read only; viewer role and up)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, Field

from recurra.api.common import PageQuery, get_or_404
from recurra.api.fields import TEXT, Id
from recurra.api.pagination import list_schema
from recurra.core.redaction import redact
from recurra.notifications import selectors
from recurra.notifications.models import EmailKind, EmailMessage, EmailStatus

router = Router(tags=["emails"])

Kind = Literal[tuple(EmailKind.values)]  # type: ignore[valid-type]
Status = Literal[tuple(EmailStatus.values)]  # type: ignore[valid-type]


class EmailOut(BaseModel):
    id: str
    to: str
    kind: str
    subject: str = Field(description="empty until the email is rendered for sending")
    status: str = Field(description="queued, sending, sent, logged (no EMAIL_URL: kept here only) or failed")
    language: str
    contact_id: str | None
    subscription_id: str | None
    invoice_id: str | None
    payment_id: str | None
    attempts: int
    last_error: str
    run_at: datetime = Field(description="when it is (or was last) due to be sent")
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def fields_of(cls, e: EmailMessage) -> dict[str, object]:
        return {
            "id": e.pk,
            "to": e.to,
            "kind": e.kind,
            "subject": e.subject,
            "status": e.status,
            "language": e.language,
            "contact_id": e.contact_id or None,
            "subscription_id": e.subscription_id or None,
            "invoice_id": e.invoice_id or None,
            "payment_id": e.payment_id or None,
            "attempts": e.attempts,
            "last_error": e.last_error,
            "run_at": e.run_at,
            "created_at": e.created_at,
            "sent_at": e.sent_at,
        }

    @classmethod
    def of(cls, e: EmailMessage) -> EmailOut:
        return cls(**cls.fields_of(e))  # type: ignore[arg-type]


class EmailDetailOut(EmailOut):
    text_body: str = Field(description="as sent, with the token of every buyer link replaced by REDACTED")
    html_body: str = Field(description="as sent, buyer links redacted likewise")

    @classmethod
    def of(cls, e: EmailMessage) -> EmailDetailOut:
        bodies = {"text_body": redact(e.text_body), "html_body": redact(e.html_body)}  # as kept once sent
        return cls(**cls.fields_of(e), **bodies)  # type: ignore[arg-type]


class EmailQuery(PageQuery):
    to: Annotated[str, Field(max_length=254, description="exact recipient address"), TEXT] | None = None
    subscription_id: Id | None = None
    kind: Kind | None = None  # type: ignore[valid-type]
    status: Status | None = None  # type: ignore[valid-type]


@router.get("", response=list_schema(EmailOut), summary="The message log, newest first")
def list_emails(request: HttpRequest, filters: Query[EmailQuery]) -> dict[str, object]:
    qs = selectors.email_list(
        to=filters.to, subscription_id=filters.subscription_id, kind=filters.kind, status=filters.status
    )
    return filters.page(qs.defer("data", "text_body", "html_body")).render(EmailOut.of)


@router.get("/{email_id}", response=EmailDetailOut, summary="One email with its bodies")
def get_email(request: HttpRequest, email_id: Id) -> EmailDetailOut:
    return EmailDetailOut.of(get_or_404(EmailMessage, email_id))
