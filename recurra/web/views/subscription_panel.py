"""The index's side panel: a subscription's key properties, line items, next payments, latest
invoices and payments, its Actions menu, and the way to its full page.

Actions taken from the panel come back to the index with the panel open
(``?panel=<id>``), so the seller sees the outcome where they acted.
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
    sub = Subscription.objects.select_related("contact", "company", "payment_method").get(pk=sub.pk)
    return {
        "sub": sub,
        "lines": present.line_table(sub),
        "progress": present.payments_progress(sub),
        "upcoming": selectors.upcoming_payments(sub, count=PANEL_ROWS),
        "invoices": list(selectors.invoice_list(subscription_id=sub.pk)[:PANEL_ROWS]),
        "payments": list(selectors.payment_list(subscription_id=sub.pk)[:PANEL_ROWS]),
        "actions": actions_for(sub),
        "back": index_url_with_panel(request, sub),
    }


def index_url_with_panel(request: HttpRequest, sub: Subscription) -> str:
    """The index as the seller sees it (htmx names the page it asks from), with this panel open."""
    index = reverse("web:subscriptions")
    seen = urlsplit(request.headers.get("HX-Current-URL") or request.get_full_path())
    query = QueryDict(seen.query, mutable=True) if seen.path == index else QueryDict(mutable=True)
    query["panel"] = sub.pk
    return f"{index}?{query.urlencode()}"
