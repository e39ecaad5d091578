"""Invoices: a newest-first list (by subscription or status), the invoice with its pay link, PDF and
subscription (none for a one-off invoice), and marking it paid by another method (editors)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from recurra.billing import offline
from recurra.catalog.terms import CollectionMethod, PaymentTerms
from recurra.core import clock
from recurra.invoicing.links import pay_url
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.invoicing.pdf import invoice_pdf_response
from recurra.payments.models import OfflineMethod
from recurra.subscriptions.models import Subscription
from recurra.web import present, selectors
from recurra.web.access import actor, editor, sees_buyer_links, viewer
from recurra.web.views.common import choice, list_page, post_action, preview, search_text
from recurra.web.views.record_subscriptions import billed_card, billed_subscriptions


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
    links = sees_buyer_links(request)
    context = {
        "invoice": invoice,
        "pay_url": pay_url(invoice) if invoice.status == InvoiceStatus.OPEN and links else None,
        "pay_url_hidden": invoice.status == InvoiceStatus.OPEN and not links,
        "collection": present.label(CollectionMethod, invoice.collection_method),
        "terms": present.label(PaymentTerms, invoice.payment_terms),
        "payments": preview(selectors.payment_list(invoice_id=invoice.pk)),
        "emails": preview(selectors.emails_about(invoice_id=invoice.pk)),
        "timeline": selectors.invoice_timeline(invoice),
        "offline_methods": OfflineMethod.choices,
        "billed": billed_subscriptions(invoice.subscription_ids),
        "card": billed_card(invoice.subscription_ids, none=gettext("A one-off invoice: no subscription.")),
    }
    return render(request, "web/invoices/detail.html", context)


class MarkPaidForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Paid by"), choices=OfflineMethod.choices)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=200, required=False)


@editor
@require_POST
def invoice_mark_paid(request: HttpRequest, pk: str) -> HttpResponse:
    """Record a payment made outside Recurra (bank transfer, cash, cheque) for everything due."""
    invoice = get_object_or_404(Invoice, pk=pk)
    url = reverse("web:invoice", args=[invoice.pk])
    form = MarkPaidForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            messages.error(
                request,
                gettext("%(field)s: %(errors)s")
                % {"field": form.fields[name].label, "errors": " ".join(str(e) for e in errors)},
            )
        return redirect(url)
    return post_action(
        request,
        perform=lambda: offline.invoice_mark_paid(
            invoice=invoice,
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
            actor=actor(request),
            at=clock.now(),
        ),
        message=(
            gettext("Invoice %(number)s marked paid.") % {"number": invoice.number}
            if invoice.number
            else gettext("Invoice (draft) marked paid.")
        ),
        next_url=url,
    )


@viewer
@require_GET
def invoice_pdf(request: HttpRequest, pk: str) -> HttpResponse:
    """The invoice as a PDF, the same bytes as ``GET /api/v1/invoices/{id}/pdf``, for signed-in staff."""
    return invoice_pdf_response(get_object_or_404(Invoice.objects.prefetch_related("lines"), pk=pk))
