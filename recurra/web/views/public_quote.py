"""The quote page: the buyer reads a published quote, signs it with their typed name and, when
payment is enabled, pays it there (which starts their subscriptions). No sign-in.

A draft, tampered or unknown quote is a 404 page; an expired one shows the
quote and says it can no longer be accepted; an accepted one shows who
signed it and when. A declined payment leaves the quote unaccepted and shows
why. Like the checkout, each page carries a fresh attempt id (one charge),
takes the card with Stripe.js on Stripe, and answers a payment the buyer's
bank wants authenticated with the same attempt and its client secret.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from recurra.commerce.checkout import CheckoutResult, checkout_plan
from recurra.commerce.links import quote_for_token
from recurra.commerce.models import Quote, QuoteStatus
from recurra.commerce.quotes import is_expired, quote_accept
from recurra.core import clock
from recurra.core.errors import Conflict, Unavailable, ValidationFailed
from recurra.payments.services import PaymentDeclined, PaymentNeedsAction
from recurra.web import stripe_js
from recurra.web.languages import public_language
from recurra.web.views.checkout import (
    ADDRESS_PARTS,
    buyer_from,
    field_errors,
    form_error,
    plan_context,
    posted_attempt,
)
from recurra.web.views.public_pages import public_render, quiet_csrf, sandbox_choices, unlogged


@csrf_exempt  # checked by quiet_csrf below, quietly
@stripe_js.allows_stripe_js
@unlogged("web/public/checkout_error.html")
@quiet_csrf
def quote_page(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    quote = quote_for_token(token)
    if quote is None or quote.status == QuoteStatus.DRAFT:
        return public_render(request, "web/public/quote_missing.html", {}, status=404)
    if request.method != "POST":
        return _page(request, quote)
    data = request.POST
    buyer = buyer_from(data)
    if not buyer.email and quote.contact is not None:
        buyer = buyer.__class__(**{**buyer.__dict__, "email": quote.contact.email})
    try:
        paid = quote_accept(
            quote=quote,
            signed_name=data.get("signed_name", ""),
            buyer=buyer,
            token=data.get("payment_method", "").strip()[:100] or None,
            attempt=data.get("attempt", "").strip()[:40] or None,
            language=public_language(request, quote.language),
            at=clock.now(),
        )
    except PaymentNeedsAction as exc:
        return _page(request, quote, action_secret=exc.client_secret, status=exc.status)
    except PaymentDeclined as exc:
        return _page(request, quote, declined=_(exc.reason), status=422)
    except ValidationFailed as exc:
        return _page(request, quote, errors=field_errors(exc), status=422)
    except Unavailable as exc:
        quote.refresh_from_db()
        return _page(request, quote, errors={"form": form_error(exc)}, status=exc.status)
    except Conflict as exc:  # accepted meanwhile, expired or withdrawn: the page says which
        quote.refresh_from_db()
        error = _("This quote can no longer be accepted as it is. Nothing was charged.")
        return _page(request, quote, errors={"form": error}, status=exc.status)
    return _page(request, quote, paid=paid, accepted_now=True)


def _contact_values(quote: Quote) -> dict[str, str]:
    """The quote's contact prefills the buyer's details."""
    contact = quote.contact
    if contact is None:
        return {}
    return {"email": contact.email, "first_name": contact.first_name, "last_name": contact.last_name}


def _page(
    request: HttpRequest,
    quote: Quote,
    *,
    errors: dict[str, Any] | None = None,
    declined: Any = "",  # lazy texts: put in the page's language when shown
    paid: CheckoutResult | None = None,
    accepted_now: bool = False,
    action_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    now = clock.now()
    items = list(quote.line_items.all())
    is_open = quote.status == QuoteStatus.PUBLISHED and not is_expired(quote, now)
    card = is_open and quote.payment_enabled  # the form takes a card (Stripe.js on Stripe)
    context = {
        "quote": quote,
        "items": items,
        "total": sum(i.amounts.total for i in items),
        **plan_context(checkout_plan(quote, now)),
        "expired": is_expired(quote, now),
        "open": is_open,
        "values": request.POST if request.method == "POST" else _contact_values(quote),
        "errors": errors or {},
        "declined": declined,
        "paid": paid,
        "accepted_now": accepted_now,
        "choices": sandbox_choices(quote.allowed_payment_methods),
        "attempt": posted_attempt(request, action_secret),
        "address_parts": ADDRESS_PARTS,
        "stripe_js": card
        and stripe_js.page_context(
            request,
            endpoint="quote_setup_intent",
            allowed=quote.allowed_payment_methods,
            currency=quote.currency,
            action_secret=action_secret,
        ),
    }
    return public_render(request, "web/public/quote.html", context, language=quote.language, status=status)
