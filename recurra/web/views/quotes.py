"""Quotes on the deal page: make one from the deal, publish it, convert it (editors only).

Each is a one-click POST back to the deal with the outcome (``post_action``);
the buyer's side is the public quote page (``web.views.public_quote``).
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from recurra.commerce import quotes
from recurra.commerce.models import Quote
from recurra.core import clock
from recurra.core.dates import RANGE_TEXT, out_of_range
from recurra.core.errors import Conflict, ValidationFailed
from recurra.crm.models import Deal
from recurra.web.access import actor, editor
from recurra.web.views.common import post_action, statement


def _deal_url(deal_id: str) -> str:
    return reverse("web:deal", args=[deal_id]) + "#quotes"


@editor
@require_POST
def quote_new(request: HttpRequest, pk: str) -> HttpResponse:
    """A draft quote of the deal's items, expiring on the chosen day, payable online when ticked."""
    deal = get_object_or_404(Deal, pk=pk)
    try:
        expires = date.fromisoformat(request.POST["expires_on"]) if request.POST.get("expires_on") else None
        if expires is not None and out_of_range(expires):
            raise ValueError(expires)
        quote = quotes.quote_create(
            deal=deal,
            expires_on=expires,
            payment_enabled=request.POST.get("payment_enabled") == "on",
            language=request.POST.get("language", "en"),
            actor=actor(request),
            at=clock.now(),
        )
    except ValueError:
        messages.error(request, f"The expiry date must be a date {RANGE_TEXT}.")
    except (ValidationFailed, Conflict) as exc:
        problems = getattr(exc, "errors", None) or []
        messages.error(request, " ".join(statement(e.message) for e in problems) or statement(exc.detail))
    else:
        messages.success(request, f"Quote “{quote.name}” created as a draft. Publish it to share its page.")
    return redirect(_deal_url(deal.pk))


@editor
@require_POST
def quote_publish(request: HttpRequest, pk: str) -> HttpResponse:
    quote = get_object_or_404(Quote, pk=pk)
    return post_action(
        request,
        perform=lambda: quotes.quote_publish(quote=quote, actor=actor(request), at=clock.now()),
        message="Quote published: copy its link for the buyer.",
        next_url=_deal_url(quote.deal_id),
    )


@editor
@require_POST
def quote_convert(request: HttpRequest, pk: str) -> HttpResponse:
    """Convert to subscriptions (recurring items) or to an invoice (none), with manual collection."""
    quote = get_object_or_404(Quote, pk=pk)
    to = "subscription" if quotes.has_recurring(quote) else "invoice"
    return post_action(
        request,
        perform=lambda: quotes.quote_convert(quote=quote, to=to, actor=actor(request), at=clock.now()),
        message=f"Quote converted to {'subscriptions' if to == 'subscription' else 'an invoice'}.",
        next_url=_deal_url(quote.deal_id),
    )
