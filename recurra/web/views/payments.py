"""Payments: a newest-first list (by subscription, invoice or status), the payment with its outcome and
subscription, and its Refund action (editors only, POST with CSRF, the outcome as a flash message)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from recurra.billing import retries
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.money import Money
from recurra.invoicing.models import Invoice
from recurra.payments import refunds
from recurra.payments.models import Payment, PaymentStatus
from recurra.subscriptions.models import Subscription
from recurra.web import selectors
from recurra.web.access import actor, editor, viewer
from recurra.web.forms.base import AmountField, major, sentence, to_minor
from recurra.web.views.common import choice, list_page, post_action, search_text, statement
from recurra.web.views.record_subscriptions import billed_card, billed_subscriptions


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
    left = refunds.refundable_amount(payment) if payment.status in refunds.REFUNDABLE else 0
    context = {
        "payment": payment,
        "refund_form": RefundForm(initial={"amount": major(left, payment.currency)}) if left > 0 else None,
        "refund_list": list(payment.refunds.all()),
        "timeline": selectors.payment_timeline(payment),
        "billed": billed_subscriptions(payment.invoice.subscription_ids),
        "card": billed_card(
            payment.invoice.subscription_ids, none="A one-off invoice's payment: no subscription."
        ),
    }
    return render(request, "web/payments/detail.html", context)


class RefundForm(forms.Form):
    amount = AmountField(label="Amount", help_text="In major units, e.g. 19.99; at most what is left.")


@editor
@require_POST
def payment_refund(request: HttpRequest, pk: str) -> HttpResponse:
    """Refund the amount typed (major units) and go back to the payment; errors are flash messages
    and change nothing."""
    payment = get_object_or_404(Payment, pk=pk)
    url = reverse("web:payment", args=[payment.pk])
    form = RefundForm(request.POST)
    amount = (
        to_minor(form, "amount", form.cleaned_data["amount"], payment.currency) if form.is_valid() else None
    )
    if amount == 0:
        form.add_error("amount", "Enter an amount greater than zero.")
    if amount is None or form.errors:
        for errors in form.errors.values():
            messages.error(request, f"Amount: {' '.join(str(e) for e in errors)}")
        return redirect(url)
    try:
        return post_action(
            request,
            perform=lambda: refunds.payment_refund(
                payment=payment, amount=amount, actor=actor(request), at=clock.now()
            ),
            message=f"Refunded {Money(amount, payment.currency)} of payment {payment.pk}.",
            next_url=url,
        )
    except ValidationFailed as exc:
        for error in exc.errors or []:
            messages.error(request, f"{sentence(error.field)}: {statement(error.message)}")
        if not exc.errors:
            messages.error(request, statement(exc.detail))
        return redirect(url)


@editor
@require_POST
def payment_retry(request: HttpRequest, pk: str) -> HttpResponse:
    """Staff retry of a failed payment's invoice: a new attempt (at most three per invoice), shown next."""
    payment = get_object_or_404(Payment, pk=pk)
    try:
        attempt = retries.payment_retry(payment=payment, actor=actor(request), at=clock.now())
    except Conflict as exc:
        messages.error(request, statement(exc.detail))
        return redirect(reverse("web:payment", args=[payment.pk]))
    retry_message(request, attempt)
    return redirect(reverse("web:payment", args=[attempt.pk]))


def retry_message(request: HttpRequest, attempt: Payment) -> None:
    """The outcome of a staff retry, as a flash message: paid, declined again (why), or on its way."""
    if attempt.status == PaymentStatus.SUCCEEDED:
        messages.success(request, f"Retried: {Money(attempt.amount, attempt.currency)} paid.")
    elif attempt.status == PaymentStatus.FAILED:
        messages.error(
            request,
            f"Retried, and declined again: {statement(attempt.failure_message or attempt.failure_code)}",
        )
    else:
        messages.info(request, "Retried: the payment is on its way.")
