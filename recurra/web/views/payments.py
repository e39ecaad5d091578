"""Payments: a newest-first list (by subscription, invoice or status), the payment with its outcome and
subscription, and its Refund action (editors only, POST with CSRF, confirmed before anything is sent,
the outcome as a flash message)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from recurra.billing import retries
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.invoicing.models import Invoice
from recurra.payments import refunds
from recurra.payments.models import Payment, PaymentStatus
from recurra.subscriptions.models import Subscription
from recurra.web import selectors
from recurra.web.access import actor, editor, viewer
from recurra.web.forms.base import AmountField, major, sentence, to_minor
from recurra.web.present import refund_target
from recurra.web.templatetags.recurra_web import money
from recurra.web.views.common import choice, list_page, search_text, statement
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
    left = _refundable(payment)
    form = None
    if left > 0:
        form = RefundForm()
        form.fields["amount"].help_text = gettext("At most %(amount)s.") % {
            "amount": money(left, payment.currency)
        }
    context = {
        "payment": payment,
        "refund_form": form,
        "refundable": left,
        "refund_to": refund_target(payment),
        "refund_list": list(payment.refunds.all()),
        "timeline": selectors.payment_timeline(payment),
        "billed": billed_subscriptions(payment.invoice.subscription_ids),
        "card": billed_card(
            payment.invoice.subscription_ids, none=gettext("A one-off invoice's payment: no subscription.")
        ),
    }
    return render(request, "web/payments/detail.html", context)


class RefundForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount to refund"), required=False)


def _refundable(payment: Payment) -> int:
    return refunds.refundable_amount(payment) if payment.status in refunds.REFUNDABLE else 0


def _refund_amount(request: HttpRequest, payment: Payment, left: int) -> int | None:
    """The amount asked for in minor units: all that is ``left`` (the "full amount" button) or the
    amount typed; None with the reasons flashed when it cannot be refunded."""
    if payment.status not in refunds.REFUNDABLE:
        status = str(payment.get_status_display()).lower()
        messages.error(
            request,
            gettext("Only a succeeded payment can be refunded; this one is %(status)s.") % {"status": status},
        )
        return None
    if request.POST.get("full") == "1":
        if left <= 0:
            messages.error(request, gettext("Nothing is left to refund: refunds in progress cover it."))
            return None
        return left
    form = RefundForm(request.POST)
    typed = form.cleaned_data["amount"] if form.is_valid() else None
    amount = to_minor(form, "amount", typed, payment.currency)
    if typed is None and not form.errors:
        form.add_error("amount", gettext("Enter the amount to refund, or choose the full amount."))
    elif amount == 0:
        form.add_error("amount", gettext("Enter an amount greater than zero."))
    elif amount is not None and amount > left:
        form.add_error(
            "amount",
            gettext("Is more than the %(amount)s left to refund.")
            % {"amount": money(left, payment.currency)},
        )
    if amount is None or form.errors:
        for errors in form.errors.values():
            messages.error(
                request, gettext("Amount: %(errors)s") % {"errors": " ".join(str(e) for e in errors)}
            )
        return None
    return amount


@editor
@require_POST
def payment_refund(request: HttpRequest, pk: str) -> HttpResponse:
    """Two steps. The amount typed (or all that is left) is first only confirmed: "Refund $12.00 to
    Visa •••• 4242?"; the confirmed POST (``confirmed=1``, the amount as confirmed) refunds and goes
    back to the payment. Errors are flash messages and change nothing."""
    payment = get_object_or_404(Payment.objects.select_related("payment_method", "invoice"), pk=pk)
    url = reverse("web:payment", args=[payment.pk])
    left = _refundable(payment)
    amount = _refund_amount(request, payment, left)
    if amount is None:
        return redirect(url)
    target = refund_target(payment)
    if request.POST.get("confirmed") != "1":
        context = {
            "payment": payment,
            "amount": amount,
            "amount_typed": major(amount, payment.currency),
            "refundable": left,
            "refund_to": target,
        }
        return render(request, "web/payments/refund_confirm.html", context)
    shown = money(amount, payment.currency)
    try:
        after = refunds.payment_refund(payment=payment, amount=amount, actor=actor(request), at=clock.now())
    except Conflict as exc:
        messages.error(request, statement(exc.detail))
    except ValidationFailed as exc:
        for error in exc.errors or []:
            messages.error(request, f"{sentence(error.field)}: {statement(error.message)}")
        if not exc.errors:
            messages.error(request, statement(exc.detail))
    else:
        if after.amount_refunded - payment.amount_refunded >= amount:
            messages.success(
                request, gettext("Refunded %(amount)s to %(target)s.") % {"amount": shown, "target": target}
            )
        else:
            messages.info(
                request,
                gettext(
                    "The refund of %(amount)s to %(target)s is on its way: the payment processor did not "
                    "answer yet, and Recurra sends it again until it does."
                )
                % {"amount": shown, "target": target},
            )
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
        messages.success(
            request,
            gettext("Retried: %(amount)s paid.") % {"amount": money(attempt.amount, attempt.currency)},
        )
    elif attempt.status == PaymentStatus.FAILED:
        messages.error(
            request,
            gettext("Retried, and declined again: %(reason)s")
            % {
                "reason": statement(
                    gettext(attempt.failure_message) if attempt.failure_message else attempt.failure_code
                )
            },
        )
    else:
        messages.info(request, gettext("Retried: the payment is on its way."))
