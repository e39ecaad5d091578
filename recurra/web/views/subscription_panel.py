"""The index's side panel: a subscription's key properties, line items, next payments, latest
invoices and payments, its Actions menu, and the way to its full page. A record's Subscriptions
card opens the same panel ("Preview").

Actions taken from the panel come back to where it was open, with it open again,
so the seller sees the outcome where they acted: the index (``?panel=<id>``) or
the record's page (``?preview=<id>``, which app.js opens).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, QueryDict
from django.urls import reverse

from recurra.subscriptions.models import Subscription
from recurra.web import present, selectors
from recurra.web.subscription_actions import actions_for

PANEL_ROWS = 3


def panel_context(request: HttpRequest, sub: Subscription) -> dict[str, Any]:
    sub = Subscription.objects.select_related("contact", "company", "payment_method", "owner").get(pk=sub.pk)
    return {
        "sub": sub,
        "lines": present.line_table(sub),
        "progress": present.payments_progress(sub),
        "upcoming": selectors.upcoming_payments(sub, count=PANEL_ROWS),
        "invoices": list(selectors.invoice_list(subscription_id=sub.pk)[:PANEL_ROWS]),
        "payments": list(selectors.payment_list(subscription_id=sub.pk)[:PANEL_ROWS]),
        "actions": actions_for(sub),
        "back": back_with_panel(request, sub),
    }


def back_with_panel(request: HttpRequest, sub: Subscription) -> str:
    """Where the panel's actions come back to, with this panel open. htmx names the page it asks from:
    the index as the seller sees it, or a record's page (a card's "Preview"); asked without it (the
    index rendering ``?panel=``), the index."""
    index = reverse("web:subscriptions")
    asked_from = request.headers.get("HX-Current-URL")
    seen = urlsplit(asked_from or request.get_full_path())
    if asked_from and seen.path != index:
        query = QueryDict(seen.query, mutable=True)
        query["preview"] = sub.pk
        return f"{seen.path}?{query.urlencode()}"
    query = QueryDict(seen.query, mutable=True) if seen.path == index else QueryDict(mutable=True)
    query["panel"] = sub.pk
    return f"{index}?{query.urlencode()}"
