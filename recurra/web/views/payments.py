"""Payments: a newest-first list (by subscription, invoice or status) and the payment with its outcome."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, PaymentStatus
from recurra.subscriptions.models import Subscription
from recurra.web import selectors
from recurra.web.access import viewer
from recurra.web.views.common import list_page, search_text
from recurra.web.views.subscriptions import choice


@viewer
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    subscription = Subscription.objects.filter(pk=request.GET.get("subscription_id") or None).first()
    invoice = Invoice.objects.filter(pk=request.GET.get("invoice_id") or None).first()
    status = choice(request, "status", PaymentStatus.values)
    qs = selectors.payment_list(
        q=search_text(request),
        subscription_id=subscription.pk if subscription else None,
        invoice_id=invoice.pk if invoice else None,
        status=status,
    )
    context = {
        "subscription": subscription,
        "invoice": invoice,
        "status": status or "",
        "statuses": PaymentStatus.choices,
    }
    return list_page(request, "web/payments/list.html", qs, context)


@viewer
@require_GET
def payment_detail(request: HttpRequest, pk: str) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("contact", "invoice", "subscription", "payment_method"), pk=pk
    )
    context = {
        "payment": payment,
        "timeline": selectors.payment_timeline(payment),
    }
    return render(request, "web/payments/detail.html", context)
