"""Subscriptions: a simple newest-first list, the record with its schedule, invoices, payments,
emails, and its actions (pause, resume: editors only, POST with CSRF, the outcome as a flash message)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from recurra.accounts.selectors import account_zone
from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.crm.models import Contact
from recurra.subscriptions import pausing
from recurra.subscriptions.lifecycle import TRANSITIONS
from recurra.subscriptions.models import Subscription, SubscriptionStatus
from recurra.subscriptions.schedule import local_date
from recurra.web import present, selectors
from recurra.web.access import actor, editor, viewer
from recurra.web.views.common import list_page, post_action, preview, search_text, statement


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
    """What the detail page offers (to editors): pause, or resume with its default date."""
    paused = sub.status == SubscriptionStatus.PAUSED
    today = local_date(clock.now(), account_zone())
    return {
        "pause": not paused and SubscriptionStatus.PAUSED in TRANSITIONS[sub.status],
        "resume": paused,
        "resume_default": pausing.next_anchor_date(sub, today) if paused else None,
        "today": today,
    }


class PauseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label="Reason")
    resume_on = forms.DateField(required=False, label="Resume on")


class ResumeForm(forms.Form):
    next_payment_date = forms.DateField(required=False, label="Next payment date")


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
