"""Subscriptions: a simple newest-first list, and the record with its schedule, invoices, payments, emails."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from recurra.crm.models import Contact
from recurra.subscriptions.models import Subscription, SubscriptionStatus
from recurra.web import present, selectors
from recurra.web.access import viewer
from recurra.web.views.common import list_page, preview, search_text


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
    }
    return render(request, "web/subscriptions/detail.html", context)
