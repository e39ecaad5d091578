"""A subscription's page (schedule, invoices, payments, emails, timeline) and its actions.

Actions are for editors: a GET shows the action's dialog (htmx shows it as a modal over the page or
the index's panel; without script it is a page), the POST (with CSRF) does it through one service
and goes back to ``next`` (the page or the panel it came from) with the outcome as a flash message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recurra.automation.workflows import selectors as workflow_selectors
from recurra.billing import retries
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.payments.models import Payment
from recurra.subscriptions import canceling, deleting, pausing
from recurra.subscriptions.models import Subscription
from recurra.web import present, selectors
from recurra.web.access import actor, editor, viewer
from recurra.web.forms.base import DateField
from recurra.web.subscription_actions import actions_for, retryable_payment
from recurra.web.templatetags.recurra_web import day, money
from recurra.web.views.common import PREVIEW_SIZE, next_url, post_action, preview, statement
from recurra.web.views.payments import retry_message
from recurra.web.workflow_history import enrollments_shown


@viewer
@require_GET
def subscription_detail(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(
        Subscription.objects.select_related("contact", "company", "payment_method", "owner"), pk=pk
    )
    context = {
        "sub": sub,
        "lines": present.line_table(sub),
        "progress": present.payments_progress(sub),
        "upcoming": selectors.upcoming_payments(sub),
        "invoices": preview(selectors.invoice_list(subscription_id=sub.pk)),
        "payments": preview(selectors.payment_list(subscription_id=sub.pk)),
        "emails": preview(selectors.emails_about(subscription_id=sub.pk)),
        "timeline": selectors.subscription_timeline(sub),
        "workflow_history": _workflow_history(sub),
        "actions": actions_for(sub),
        "next": reverse("web:subscription", args=[sub.pk]),
    }
    return render(request, "web/subscriptions/detail.html", context)


def _workflow_history(sub: Subscription) -> dict[str, Any]:
    """The latest enrollments of ``sub`` in workflows, with their steps (the "Workflow history" card)."""
    rows = list(workflow_selectors.enrollment_list(subscription_id=sub.pk)[: PREVIEW_SIZE + 1])
    return {"rows": enrollments_shown(rows[:PREVIEW_SIZE]), "more": len(rows) > PREVIEW_SIZE}


def _dialog(
    request: HttpRequest, sub: Subscription, name: str, title: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The page holding the action's ``<dialog>`` (htmx takes the dialog alone)."""
    context = {
        "sub": sub,
        "title": title,
        "dialog": f"web/subscriptions/dialogs/{name}.html",
        "actions": actions_for(sub),
        "next": next_url(request, reverse("web:subscription", args=[sub.pk])),
        **extra,
    }
    return render(request, "web/subscriptions/dialog_page.html", context, status=status)


class PauseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label=_("Reason"))
    resume_on = DateField(required=False, label=_("Resume on"))


class ResumeForm(forms.Form):
    next_payment_date = DateField(required=False, label=_("Next payment date"))


class CancelForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, label=_("I understand the customer will not be charged again")
    )
    when = forms.ChoiceField(
        choices=[("now", _("Now")), ("period_end", _("At the end of the period"))], label=_("When")
    )
    refund = forms.ChoiceField(
        choices=[("none", _("No refund")), ("prorated", _("Prorated refund of the unused days"))],
        label=_("Refund"),
    )


def _act(
    request: HttpRequest,
    sub: Subscription,
    form: forms.Form,
    perform: Callable[[dict[str, Any]], object],
    message: str,
) -> HttpResponse:
    """Validate ``form``, then ``perform`` (one service) and go back to ``next``; a form or
    service error is shown as a flash message and nothing changes."""
    url = next_url(request, reverse("web:subscription", args=[sub.pk]))
    if not form.is_valid():
        for name, errors in form.errors.items():
            messages.error(request, f"{form.fields[name].label}: {' '.join(str(e) for e in errors)}")
        return redirect(url)
    try:
        return post_action(request, perform=lambda: perform(form.cleaned_data), message=message, next_url=url)
    except ValidationFailed as exc:
        labels = {name: field.label for name, field in form.fields.items()}
        for error in exc.errors or []:
            messages.error(request, f"{labels.get(error.field, error.field)}: {statement(error.message)}")
        if not exc.errors:
            messages.error(request, statement(exc.detail))
        return redirect(url)


@editor
@require_http_methods(["GET", "POST"])
def subscription_pause(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)
    if request.method == "GET":
        return _dialog(request, sub, "pause", gettext("Pause %(name)s") % {"name": sub})
    return _act(
        request,
        sub,
        PauseForm(request.POST),
        lambda values: pausing.subscription_pause(
            subscription=sub, actor=actor(request), at=clock.now(), **values
        ),
        message=gettext(
            "Subscription %(subscription)s paused: nothing is invoiced, charged or reminded until it resumes."
        )
        % {"subscription": present.subscription_title(sub)},
    )


@editor
@require_http_methods(["GET", "POST"])
def subscription_resume(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)
    if request.method == "GET":
        return _dialog(request, sub, "resume", gettext("Resume %(name)s") % {"name": sub})
    return _act(
        request,
        sub,
        ResumeForm(request.POST),
        lambda values: pausing.subscription_resume(
            subscription=sub, actor=actor(request), at=clock.now(), **values
        ),
        message=gettext("Subscription %(subscription)s resumed.")
        % {"subscription": present.subscription_title(sub)},
    )


@editor
@require_http_methods(["GET", "POST"])
def subscription_cancel(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)
    if request.method == "GET":
        preview = canceling.cancel_preview(subscription=sub, at=clock.now())
        title = gettext("Cancel %(name)s") % {"name": sub}
        return _dialog(request, sub, "cancel", title, preview=preview)

    def cancel(values: dict[str, Any]) -> None:
        done = canceling.subscription_cancel(subscription=sub, actor=actor(request), at=clock.now(), **values)
        ids = [pid for pid, *_ in (*done.refunds, *done.refunds_on_their_way, *done.refund_errors)]
        paid = Payment.objects.select_related("payment_method").in_bulk([*ids, *done.unsettled_payments])
        for payment_id, amount in done.refunds:
            messages.info(
                request,
                gettext("Refunded %(amount)s to %(target)s.")
                % {"amount": _money(amount, sub), "target": _paid_by(paid, payment_id)},
            )
        for payment_id, amount in done.refunds_on_their_way:
            messages.info(
                request,
                gettext(
                    "The refund of %(amount)s to %(target)s is on its way: the payment processor did not "
                    "answer yet, and Recurra sends it again until it does."
                )
                % {"amount": _money(amount, sub), "target": _paid_by(paid, payment_id)},
            )
        for payment_id, amount, why in done.refund_errors:
            messages.error(
                request,
                gettext("The refund of %(amount)s to %(target)s failed: %(why)s")
                % {"amount": _money(amount, sub), "target": _paid_by(paid, payment_id), "why": why},
            )
        for payment_id in done.unsettled_payments:
            messages.warning(
                request,
                gettext(
                    "%(payment)s is still on its way: it was not cancelled or refunded. "
                    "Follow it up on its page."
                )
                % {"payment": _payment(paid, payment_id)},
            )

    when = request.POST.get("when")
    return _act(
        request,
        sub,
        CancelForm(request.POST),
        cancel,
        message=(
            gettext("Subscription %(subscription)s will be canceled at the end of its period.")
            if when == "period_end"
            else gettext("Subscription %(subscription)s canceled.")
        )
        % {"subscription": present.subscription_title(sub)},
    )


def _money(amount: int, sub: Subscription) -> str:
    return money(amount, sub.currency)


def _paid_by(payments: dict[str, Payment], pk: str) -> str:
    """A payment as a message names it: "Visa •••• 4242 (payment of 15 Jan 2027)"."""
    payment = payments.get(pk)
    if payment is None:
        return gettext("the payment")
    return gettext("%(target)s (payment of %(date)s)") % {
        "target": present.refund_target(payment),
        "date": day(payment.created_at),
    }


def _payment(payments: dict[str, Payment], pk: str) -> str:
    """ "The $98.00 payment of 15 Jan 2027 (Bank debit (ACH) •••• 6789)"."""
    payment = payments.get(pk)
    if payment is None:
        return gettext("A payment")
    shown = money(payment.amount, payment.currency)
    return gettext("The %(amount)s payment of %(date)s (%(target)s)") % {
        "amount": shown,
        "date": day(payment.created_at),
        "target": present.refund_target(payment),
    }


@editor
@require_POST
def subscription_undo_cancel(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)
    return post_action(
        request,
        perform=lambda: canceling.subscription_cancel_undo(subscription=sub, actor=actor(request)),
        message=gettext("Subscription %(subscription)s will renew as before: the cancellation is undone.")
        % {"subscription": present.subscription_title(sub)},
        next_url=next_url(request, reverse("web:subscription", args=[sub.pk])),
    )


@editor
@require_http_methods(["GET", "POST"])
def subscription_delete(request: HttpRequest, pk: str) -> HttpResponse:
    """GET: the dialog (the permanent-deletion warning, or why it cannot be deleted yet). POST:
    delete and go to the index; refused (still running), the dialog again with why (409)."""
    sub = get_object_or_404(Subscription, pk=pk)
    if request.method == "GET":
        return _dialog(request, sub, "delete", gettext("Delete %(name)s") % {"name": sub})
    try:
        deleting.subscription_delete(subscription=sub, actor=actor(request))
    except Conflict as exc:
        title = gettext("Delete %(name)s") % {"name": sub}
        return _dialog(request, sub, "delete", title, status=409, error=statement(exc.detail))
    messages.success(
        request,
        gettext("Subscription %(subscription)s deleted.") % {"subscription": present.subscription_title(sub)},
    )
    return redirect("web:subscriptions")


@editor
@require_POST
def subscription_retry(request: HttpRequest, pk: str) -> HttpResponse:
    """Retry the latest declined payment now (the payment's own retry: at most three per invoice)."""
    sub = get_object_or_404(Subscription, pk=pk)
    back = next_url(request, reverse("web:subscription", args=[sub.pk]))
    payment = retryable_payment(sub)
    if payment is None:
        messages.error(request, gettext("There is no declined payment to retry."))
        return redirect(back)
    try:
        attempt = retries.payment_retry(payment=payment, actor=actor(request), at=clock.now())
    except Conflict as exc:
        messages.error(request, statement(exc.detail))
    else:
        retry_message(request, attempt)
    return redirect(back)
