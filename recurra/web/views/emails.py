"""The message log: every email Recurra sent (or only logged), filtered by kind, status, recipient and
record, and one email as it went, with the token of every buyer link redacted (``core.redaction``).

The HTML body is its own answer, shown in a sandboxed frame: it runs no script, loads nothing, and
cannot navigate the app.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from recurra.core.redaction import redact
from recurra.notifications.models import EmailKind, EmailMessage, EmailStatus
from recurra.notifications.selectors import email_log
from recurra.web.access import viewer
from recurra.web.views.common import choice, list_page, search_text

HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@viewer
@require_GET
def email_list(request: HttpRequest) -> HttpResponse:
    kind = choice(request, "kind", EmailKind.values)
    status = choice(request, "status", EmailStatus.values)
    record = request.GET.get("record", "").strip()[:40]
    qs = email_log(kind=kind, status=status, recipient=search_text(request), record=record)
    context = {
        "kind": kind or "",
        "kinds": EmailKind.choices,
        "status": status or "",
        "statuses": EmailStatus.choices,
        "record": record,
    }
    return list_page(request, "web/emails/list.html", qs.defer("data", "text_body", "html_body"), context)


@viewer
@require_GET
def email_detail(request: HttpRequest, pk: str) -> HttpResponse:
    email = get_object_or_404(EmailMessage.objects.defer("data", "html_body"), pk=pk)
    context = {"email": email, "text_body": redact(email.text_body), "records": _records(email)}
    return render(request, "web/emails/detail.html", context)


@viewer
@require_GET
@xframe_options_sameorigin
def email_html(request: HttpRequest, pk: str) -> HttpResponse:
    """The HTML body as sent (buyer links redacted), for the detail page's sandboxed frame."""
    email = get_object_or_404(EmailMessage.objects.only("html_body"), pk=pk)
    response = HttpResponse(redact(email.html_body), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_POLICY
    response["Referrer-Policy"] = "no-referrer"
    return response


def _records(email: EmailMessage) -> list[tuple[str, str, str]]:
    """(label, id, the app's page) of each record the email is about (the page may be gone: the log
    outlives the records)."""
    named = (
        (_("Contact"), email.contact_id, "web:contact"),
        (_("Subscription"), email.subscription_id, "web:subscription"),
        (_("Invoice"), email.invoice_id, "web:invoice"),
        (_("Payment"), email.payment_id, "web:payment"),
    )
    return [(str(label), pk, reverse(name, args=[pk])) for label, pk, name in named if pk]
