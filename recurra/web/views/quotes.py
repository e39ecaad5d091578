"""Quotes on the deal page: make one from the deal, publish it, convert it (editors only).

Making and publishing are one-click POSTs back to the deal with the outcome (``post_action``).
Converting is offered only for a quote the buyer has been shown (published or accepted, not yet
converted or paid into subscriptions): its page says what converting makes and asks for the payment
terms, and only its POST converts. The buyer's side is the public quote page
(``web.views.public_quote``).
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from recurra.commerce import conversion, quotes
from recurra.commerce.models import Quote, QuoteStatus
from recurra.core import clock
from recurra.core.dates import EARLIEST, LATEST, out_of_range
from recurra.core.errors import Conflict, ValidationFailed
from recurra.crm.models import Deal
from recurra.web.access import actor, editor
from recurra.web.forms.subscriptions import ConvertForm
from recurra.web.views.common import form_page, post_action, posted, statement
from recurra.web.views.deals import made_text, quote_convertible, terms_for


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
        messages.error(
            request,
            gettext("The expiry date must be a date from %(earliest)s to %(latest)s.")
            % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    except (ValidationFailed, Conflict) as exc:
        problems = getattr(exc, "errors", None) or []
        messages.error(request, " ".join(statement(e.message) for e in problems) or statement(exc.detail))
    else:
        messages.success(
            request,
            gettext("Quote “%(name)s” created as a draft. Publish it to share its page.")
            % {"name": quote.name},
        )
    return redirect(_deal_url(deal.pk))


@editor
@require_POST
def quote_publish(request: HttpRequest, pk: str) -> HttpResponse:
    quote = get_object_or_404(Quote, pk=pk)
    return post_action(
        request,
        perform=lambda: quotes.quote_publish(quote=quote, actor=actor(request), at=clock.now()),
        message=gettext("Quote published: copy its link for the buyer."),
        next_url=_deal_url(quote.deal_id),
    )


@editor
@require_http_methods(["GET", "POST"])
def quote_convert(request: HttpRequest, pk: str) -> HttpResponse:
    """GET: what converting makes (subscriptions of the recurring items, else an invoice; manual
    collection) and the payment terms. POST: convert, then back to the deal naming what was made.
    A draft, or a quote already converted, is refused with why."""
    quote = get_object_or_404(Quote.objects.select_related("deal", "contact", "company"), pk=pk)
    back = _deal_url(quote.deal_id)
    refusal = None
    if quote.status == QuoteStatus.DRAFT:
        refusal = gettext(
            "Quote “%(name)s” is a draft: publish it first, and convert it once the buyer has seen it."
        )
    elif not quote_convertible(quote):
        refusal = gettext("Quote “%(name)s” has already been turned into subscriptions or an invoice.")
    elif quote.contact is None:
        refusal = gettext("Quote “%(name)s” cannot be converted: its contact was deleted.")
    if refusal is not None:
        messages.error(request, refusal % {"name": quote.name})
        return redirect(back)
    to = "subscription" if quotes.has_recurring(quote) else "invoice"
    plan = conversion.quote_plan(quote, at=clock.now())
    return form_page(
        request,
        terms_for(ConvertForm(posted(request)), plan),
        template="web/deals/quote_convert.html",
        save=lambda values: quotes.quote_convert(
            quote=quote, to=to, payment_terms=values["payment_terms"], actor=actor(request), at=clock.now()
        ),
        success=lambda done: back,
        message=lambda done: (
            gettext("Quote “%(name)s” converted into %(made)s.")
            % {"name": quote.name, "made": made_text(done)}
        ),
        context={"quote": quote, "deal": quote.deal, "plan": plan, "to": to},
    )
