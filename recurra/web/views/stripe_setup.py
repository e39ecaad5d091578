"""The SetupIntent endpoints of the buyer's pages: Stripe.js asks one before it confirms a card or an
IBAN.

One per page, under the page's own path and scoped exactly like it (the
payment link's, the quote's, the invoice's signed link, the update link's
token): ``POST <page>/setup-intent/`` answers ``{"client_secret": …}``
(``payments.stripe_setup``). A POST with the page's CSRF token (the form's
own fields are sent: the checkout's and the quote's buyer email decides
whose Stripe Customer it is) and ``type``: ``card`` (the default) or
``sepa_debit``, of the types the page takes (its allowed methods and
currency: ``stripe_setup.page_method_types``); no sign-in.

Errors are JSON problems with a ``message`` the page shows the buyer: a
link that does not open (404), a page that takes no payment now (409, also
on the sandbox), a bad email or a type the page does not take (422), Stripe
without an answer (503), an expired form (403). Like the pages, the answers are never logged with the
path, cached or referred on, and nothing is a 500 page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, NamedTuple

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from django.utils.decorators import decorator_from_middleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from recurra.billing.online import online_terms, payment_on_its_way
from recurra.commerce.checkout import selling
from recurra.commerce.links import link_for_token, quote_for_token
from recurra.commerce.models import QuoteStatus
from recurra.commerce.quotes import is_expired
from recurra.core import clock
from recurra.core.errors import Conflict, NotFound, RecurraError, Unavailable, ValidationFailed, problem
from recurra.invoicing.links import invoice_for_token
from recurra.invoicing.models import InvoiceStatus
from recurra.payments.gateways.base import Customer
from recurra.payments.services import customer_of
from recurra.payments.stripe_setup import buyer_customer, setup_intent_create
from recurra.subscriptions.update_links import update_link_for_token
from recurra.web.languages import public_language
from recurra.web.views.public_pages import keep_private

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
Endpoint = Callable[[HttpRequest, str], HttpResponseBase]


class Asked(NamedTuple):
    """Whose Stripe customer a page's SetupIntent is for, and what the page takes (types, currency)."""

    customer: Customer
    allowed: tuple[str, ...]
    currency: str


def _problem(exc: RecurraError, message: str) -> JsonResponse:
    return _answer({**exc.problem(), "message": message})


def _answer(problem_body: dict[str, Any]) -> JsonResponse:
    """A problem (RFC 9457, as the API's) with the ``message`` the page shows the buyer."""
    return JsonResponse(problem_body, status=problem_body["status"], content_type=PROBLEM_JSON)


class _JsonCsrf(CsrfViewMiddleware):
    """Django's CSRF check, refusing in JSON, without logging the path (it holds the token)."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        log.warning("buyer page's SetupIntent: CSRF check failed (%s)", reason)
        body = problem(403, "form-expired", "Form expired", "the form's CSRF check failed")
        return _answer({**body, "message": _("This page has expired. Please reload it and try again.")})


def _endpoint(view: Callable[[HttpRequest, str], Asked]) -> Endpoint:
    """A page's SetupIntent endpoint: POST only, CSRF-checked quietly, never logged with the path;
    ``view`` answers whose Stripe customer it is and what the page takes, or raises the page's error."""

    @csrf_exempt  # checked by _JsonCsrf below, quietly
    @wraps(view)
    def wrapped(request: HttpRequest, token: str) -> HttpResponseBase:
        with translation.override(public_language(request)):
            try:
                response = _checked(request, token)
            except Exception:
                log.exception("%s failed", view.__name__)  # no request: its path holds the token
                body = problem(500, "server-error", "Server error", "something went wrong on our side")
                response = _answer({**body, "message": _("Something went wrong. Please try again.")})
        return keep_private(response)

    @decorator_from_middleware(_JsonCsrf)
    def _checked(request: HttpRequest, token: str) -> HttpResponseBase:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            asked = view(request, token)
            started = setup_intent_create(
                customer=asked.customer,
                allowed=asked.allowed,
                currency=asked.currency,
                method_type=request.POST.get("type", "").strip()[:20] or "card",
                at=clock.now(),
            )
        except NotFound as exc:
            return _problem(exc, _("This link does not work any more. Please ask the seller for a new one."))
        except ValidationFailed as exc:
            if any(error.field == "type" for error in exc.errors):
                return _problem(exc, _("This payment method is not accepted here. Please choose another."))
            return _problem(exc, _("Please enter a valid email address first."))
        except Unavailable as exc:
            return _problem(exc, _("The payment processor did not answer. Please try again in a moment."))
        except Conflict as exc:
            return _problem(exc, _("This page cannot take a payment right now. Please reload it."))
        return JsonResponse({"client_secret": started.client_secret})

    return wrapped


def _buyer(data: Any, fallback_email: str = "") -> Customer:
    name = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
    return buyer_customer(email=data.get("email", "").strip()[:254] or fallback_email, name=name)


@_endpoint
def checkout_setup_intent(request: HttpRequest, token: str) -> Asked:
    """The hosted checkout's: its link must be selling; the buyer's email decides the customer."""
    link = link_for_token(token)
    if link is None:
        raise NotFound("no such payment link")
    selling(link)  # NotFound (deleted), Conflict (inactive)
    return Asked(_buyer(request.POST), tuple(link.allowed_payment_methods), link.currency)


@_endpoint
def quote_setup_intent(request: HttpRequest, token: str) -> Asked:
    """The quote page's: a published, unexpired quote that takes payment."""
    quote = quote_for_token(token)
    if quote is None or quote.status == QuoteStatus.DRAFT:
        raise NotFound("no such quote")
    if quote.status != QuoteStatus.PUBLISHED or is_expired(quote, clock.now()) or not quote.payment_enabled:
        raise Conflict("this quote takes no payment now")
    buyer = _buyer(request.POST, quote.contact.email if quote.contact else "")
    return Asked(buyer, tuple(quote.allowed_payment_methods), quote.currency)


@_endpoint
def invoice_setup_intent(request: HttpRequest, token: str) -> Asked:
    """The invoice page's: an open invoice payable online now; its contact's customer."""
    try:
        invoice = invoice_for_token(token)
    except NotFound:
        raise NotFound("no such invoice") from None
    if invoice.status == InvoiceStatus.DRAFT:
        raise NotFound("no such invoice")
    payable = invoice.status == InvoiceStatus.OPEN and invoice.amount_due > 0
    terms = online_terms(invoice)
    if not payable or terms is None or payment_on_its_way(invoice) is not None:
        raise Conflict("this invoice cannot be paid online now")
    return Asked(customer_of(invoice.contact), terms.allowed, invoice.currency)


@_endpoint
def update_link_setup_intent(request: HttpRequest, token: str) -> Asked:
    """The payment-method update page's: a live link; its subscription's contact's customer."""
    link = update_link_for_token(token, at=clock.now())
    if link is None:
        raise NotFound("no such update link")
    sub = link.subscription
    return Asked(customer_of(sub.contact), tuple(sub.allowed_payment_methods), sub.currency)
