"""Pages for the buyer, without sign-in: the invoice behind a pay link.

A link that is tampered with, expired or unknown gets the same 404 page,
which says nothing about whether any invoice exists.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from recurra.accounts.selectors import account_settings
from recurra.core.errors import NotFound
from recurra.invoicing.links import invoice_for_token
from recurra.invoicing.models import InvoiceStatus


@require_GET
def public_invoice(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invoice = invoice_for_token(token)
    except NotFound:
        invoice = None
    if invoice is None or invoice.status == InvoiceStatus.DRAFT:  # a draft was never sent: no page
        return render(request, "web/public/not_found.html", {"public_page": True}, status=404)
    context = {
        "invoice": invoice,
        "business": account_settings().business_name,
        "payable": invoice.status == InvoiceStatus.OPEN and invoice.amount_due > 0,
        "public_page": True,
    }
    return render(request, "web/public/invoice.html", context)
