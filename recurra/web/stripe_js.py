"""Stripe.js on the buyer's pages: what a page needs to load it, and the CSP that lets it run.

On the Stripe gateway, each buyer page's payment form (checkout, quote,
invoice, update link) takes the card in Stripe's Card Element
(``web/stripe_pay.js``) instead of the sandbox's token field: the page asks
its own SetupIntent endpoint (``views/stripe_setup.py``), Stripe.js confirms
the card with Stripe, and the form posts the ``pm_…`` it got, in the token
field the page already had (hidden then). On the sandbox nothing changes.

A page in euros that allows SEPA Direct Debit also offers it
(``payments.stripe_setup.page_method_types``): the buyer picks "Card" or
"SEPA Direct Debit" (cards first, and the default; SEPA alone where cards
are not allowed), types the IBAN into a field that has no ``name`` (it is
never posted to Recurra), and reads the mandate; Stripe.js confirms it
(``confirmSepaDebitSetup``) with the account holder's name and email: the
page's buyer fields where it has them, else fields of its own (``holder``,
filled in with the contact's).

The Content-Security-Policy of these pages (and only these, only on Stripe)
lets exactly Stripe.js in, on top of the strict one of every page:

- ``script-src``: the origin of ``STRIPE_JS_URL``;
- ``connect-src``: the page's own origin (its SetupIntent endpoint) and the
  API Stripe.js calls: ``https://api.stripe.com`` for Stripe's own
  Stripe.js; a stand-in served from elsewhere (localstripe, in the tests)
  answers at its own origin;
- ``frame-src``: Stripe's own Stripe.js draws the card fields and 3-D
  Secure in frames of js.stripe.com and hooks.stripe.com (Stripe's
  integration security guide); a stand-in uses none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from csp import constants as csp
from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from recurra.payments.stripe_setup import page_method_types

STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_API_ORIGIN = "https://api.stripe.com"
STRIPE_FRAMES = [STRIPE_JS_ORIGIN, "https://*.js.stripe.com", "https://hooks.stripe.com"]

View = Callable[..., HttpResponseBase]


def in_use() -> bool:
    """Whether the buyer's pages take cards with Stripe.js (Stripe is the payment processor)."""
    return settings.RECURRA_GATEWAY == "stripe"


def page_context(
    request: HttpRequest,
    *,
    endpoint: str,
    allowed: Iterable[str],
    currency: str,
    holder: dict[str, str] | None = None,
    action_secret: str = "",
) -> dict[str, Any] | None:
    """What ``web/public/_stripe_card.html`` and ``stripe_pay.js`` need; None on the sandbox.

    ``endpoint``: the name of the page's SetupIntent endpoint (under the same token as the page).
    ``allowed``, ``currency``: the page's accepted method types and currency (which of card and
    SEPA Direct Debit it offers; a page that allows neither shows the card, which its endpoint
    then refuses). ``holder``: the account holder's ``name`` and ``email`` to fill in, on a page
    without buyer fields (None: the page's own ``first_name``, ``last_name`` and ``email``).
    ``action_secret``: a payment's client secret the buyer must authenticate (3-D Secure) before
    the page posts the same attempt again.
    """
    if not in_use():
        return None
    token = request.resolver_match.kwargs["token"] if request.resolver_match else ""
    offered = page_method_types(allowed=allowed, currency=currency) or ("card",)
    return {
        "js_url": settings.STRIPE_JS_URL,
        "key": settings.STRIPE_PUBLISHABLE_KEY,
        "setup_url": reverse(f"web:{endpoint}", kwargs={"token": token}),
        "action_secret": action_secret,
        "card": "card" in offered,
        "sepa": "sepa_debit" in offered,
        "holder": holder,
    }


def csp_sources(js_url: str) -> dict[str, list[str]]:
    """What a page that loads Stripe.js from ``js_url`` adds to the CSP (see the module's notes).

    >>> csp_sources("https://js.stripe.com/v3/")["connect-src"]
    ["'self'", 'https://api.stripe.com']
    >>> csp_sources("https://js.stripe.com/v3/")["frame-src"]
    ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com']
    >>> csp_sources("http://127.0.0.1:8420/js.stripe.com/v3/")
    {'script-src': ['http://127.0.0.1:8420'], 'connect-src': ["'self'", 'http://127.0.0.1:8420']}
    """
    parts = urlsplit(js_url)
    served_from = f"{parts.scheme}://{parts.netloc}"
    if served_from == STRIPE_JS_ORIGIN:
        return {
            "script-src": [STRIPE_JS_ORIGIN],
            "connect-src": [csp.SELF, STRIPE_API_ORIGIN],
            "frame-src": list(STRIPE_FRAMES),
        }
    return {"script-src": [served_from], "connect-src": [csp.SELF, served_from]}


def allows_stripe_js(view: View) -> View:
    """A buyer page's view whose answers may load Stripe.js: on Stripe, its CSP lets Stripe.js in
    (django-csp's ``csp_update``, with the sources of the settings in force at the request)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not in_use():
            return view(request, *args, **kwargs)
        return csp_update(csp_sources(settings.STRIPE_JS_URL))(view)(request, *args, **kwargs)

    return wrapped
