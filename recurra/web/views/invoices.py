"""Invoices: a newest-first list (by subscription or status) and the invoice with its pay link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from recurra.invoicing.links import pay_url
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.subscriptions.models import CollectionMethod, PaymentTerms, Subscription
from recurra.web import present, selectors
from recurra.web.access import viewer
from recurra.web.views.common import list_page, preview, search_text
from recurra.web.views.subscriptions import choice


@viewer
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    subscription = Subscription.objects.filter(pk=request.GET.get("subscription_id") or None).first()
    status = choice(request, "status", InvoiceStatus.values)
    qs = selectors.invoice_list(
        q=search_text(request), subscription_id=subscription.pk if subscription else None, status=status
    )
    context = {"subscription": subscription, "status": status or "", "statuses": InvoiceStatus.choices}
    return list_page(request, "web/invoices/list.html", qs, context)


@viewer
@require_GET
def invoice_detail(request: HttpRequest, pk: str) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("contact", "company", "subscription"), pk=pk)
    context = {
        "invoice": invoice,
        "pay_url": pay_url(invoice) if invoice.status == InvoiceStatus.OPEN else None,
        "collection": present.label(CollectionMethod, invoice.collection_method),
        "terms": present.label(PaymentTerms, invoice.payment_terms),
        "payments": preview(selectors.payment_list(invoice_id=invoice.pk)),
        "emails": preview(selectors.emails_about(invoice_id=invoice.pk)),
        "timeline": selectors.invoice_timeline(invoice),
    }
    return render(request, "web/invoices/detail.html", context)
