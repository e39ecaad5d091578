"""Subscriptions: a simple newest-first list, the record with its schedule, invoices, payments,
emails, and its actions (pause, resume, cancel, undo a cancellation, delete: editors only, POST with
CSRF, the outcome as a flash message)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recurra.accounts.selectors import account_zone
from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.core.money import Money
from recurra.crm.models import Contact
from recurra.subscriptions import canceling, deleting, pausing
from recurra.subscriptions.lifecycle import BILLABLE, TERMINAL, TRANSITIONS
from recurra.subscriptions.models import Subscription, SubscriptionStatus
from recurra.subscriptions.schedule import local_date
from recurra.web import present, selectors
from recurra.web.access import actor, editor, viewer
from recurra.web.views.common import confirm_page, list_page, post_action, preview, search_text, statement


def choice(request: HttpRequest, name: str, allowed: list[str]) -> str | None:
    """A query parameter's value when it is one of ``allowed``, else None (ignored)."""
    value = request.GET.get(name)
    return value if value in allowed else None


@viewer
@require_GET
def subscription_list(request: HttpRequest) -> HttpResponse:
    contact = Contact.objects.filter(pk=request.GET.get("contact_id") or None).first()
    status = choice(request, "status", SubscriptionStatus.values)
    qs = selectors.subscription_list(
        q=search_text(request), contact_id=contact.pk if contact else None, status=status
    )
    context = {"contact": contact, "status": status or "", "statuses": SubscriptionStatus.choices}
    return list_page(request, "web/subscriptions/list.html", qs, context)


@viewer
@require_GET
def subscription_detail(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(
        Subscription.objects.select_related("contact", "company", "payment_method"), pk=pk
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
        "actions": _actions(sub),
    }
    return render(request, "web/subscriptions/detail.html", context)


def _actions(sub: Subscription) -> dict[str, Any]:
    """What the detail page offers (to editors): pause, or resume with its default date; cancel,
    or undo a cancellation set for the period's end; delete once it has ended."""
    paused = sub.status == SubscriptionStatus.PAUSED
    today = local_date(clock.now(), account_zone())
    return {
        "pause": not paused and SubscriptionStatus.PAUSED in TRANSITIONS[sub.status],
        "resume": paused,
        "resume_default": pausing.next_anchor_date(sub, today) if paused else None,
        "cancel": sub.status not in TERMINAL and not sub.cancel_at_period_end,
        "undo_cancel": sub.status not in TERMINAL and sub.cancel_at_period_end,
        "delete": sub.status in TERMINAL,
        "edit": sub.status in BILLABLE,
        "today": today,
    }


class PauseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label="Reason")
    resume_on = forms.DateField(required=False, label="Resume on")


class ResumeForm(forms.Form):
    next_payment_date = forms.DateField(required=False, label="Next payment date")


class CancelForm(forms.Form):
    confirm = forms.BooleanField(required=True, label="I understand the customer will not be charged again")
    when = forms.ChoiceField(
        choices=[("now", "Now"), ("period_end", "At the end of the period")], label="When"
    )
    refund = forms.ChoiceField(
        choices=[("none", "No refund"), ("prorated", "Prorated refund of the unused days")], label="Refund"
    )


def _act(
    request: HttpRequest,
    sub: Subscription,
    form: forms.Form,
    perform: Callable[[dict[str, Any]], object],
    message: str,
) -> HttpResponse:
    """Validate ``form``, then ``perform`` (one service) and go back to the record; a form or
    service error is shown as a flash message and nothing changes."""
    url = reverse("web:subscription", args=[sub.pk])
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
@require_POST
def subscription_pause(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)
    return _act(
        request,
        sub,
        PauseForm(request.POST),
        lambda values: pausing.subscription_pause(
            subscription=sub, actor=actor(request), at=clock.now(), **values
        ),
        message=f"Subscription {sub} paused: nothing is invoiced, charged or reminded until it resumes.",
    )


@editor
@require_POST
def subscription_resume(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)
    return _act(
        request,
        sub,
        ResumeForm(request.POST),
        lambda values: pausing.subscription_resume(
            subscription=sub, actor=actor(request), at=clock.now(), **values
        ),
        message=f"Subscription {sub} resumed.",
    )


@editor
@require_POST
def subscription_cancel(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)

    def cancel(values: dict[str, Any]) -> None:
        done = canceling.subscription_cancel(subscription=sub, actor=actor(request), at=clock.now(), **values)
        for payment_id, amount in done.refunds:
            messages.info(request, f"Refunded {Money(amount, sub.currency)} to payment {payment_id}.")
        for payment_id, amount, why in done.refund_errors:
            messages.error(
                request,
                f"The refund of {Money(amount, sub.currency)} to payment {payment_id} failed: {why}",
            )
        for payment_id in done.unsettled_payments:
            messages.warning(
                request,
                f"Payment {payment_id} is still on its way: it was not cancelled or refunded. Follow it up "
                "on its page.",
            )

    when = request.POST.get("when")
    return _act(
        request,
        sub,
        CancelForm(request.POST),
        cancel,
        message=f"Subscription {sub} "
        + ("will be canceled at the end of its period." if when == "period_end" else "canceled."),
    )


@editor
@require_POST
def subscription_undo_cancel(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)
    return post_action(
        request,
        perform=lambda: canceling.subscription_cancel_undo(subscription=sub, actor=actor(request)),
        message=f"Subscription {sub} will renew as before: the cancellation is undone.",
        next_url=reverse("web:subscription", args=[sub.pk]),
    )


@editor
@require_http_methods(["GET", "POST"])
def subscription_delete(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=pk)
    return confirm_page(
        request,
        title=f"Delete {sub}",
        question=f"Delete the subscription {sub} permanently? This cannot be undone. Its invoices, "
        "payments and history stay.",
        button="Delete subscription",
        perform=lambda: deleting.subscription_delete(subscription=sub, actor=actor(request)),
        done_url=reverse("web:subscriptions"),
        cancel_url=reverse("web:subscription", args=[sub.pk]),
        message=f"Subscription {sub} deleted.",
    )
