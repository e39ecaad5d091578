"""The hosted checkout of a payment link: the buyer's page, no sign-in.

GET shows what is charged today, the future charges, the buyer's details and
the payment form; POST pays (``commerce.checkout``) and answers with the
outcome on the same URL. Each page carries a fresh attempt id, so a double
submit or a reload of the answer is the same purchase (charged once). A
declined payment shows why and the form again; nothing was created. An
unknown link is a 404 page, a deleted one a 410, an inactive one says it is
not taking payments.

On Stripe the card is typed into Stripe.js (``web.stripe_js``); a payment
the buyer's bank wants authenticated (3-D Secure) answers the page again
with the same attempt and the payment's client secret: Stripe.js asks the
buyer, then posts the same attempt again, which records the outcome.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from recurra.commerce.checkout import Buyer, CheckoutResult, checkout, checkout_plan, selling
from recurra.commerce.links import link_for_token
from recurra.commerce.models import PaymentLink
from recurra.commerce.plan import Plan, group_amount
from recurra.core import clock, ids
from recurra.core.errors import Conflict, NotFound, Unavailable, ValidationFailed
from recurra.crm.models import Address
from recurra.payments.services import PaymentDeclined, PaymentNeedsAction
from recurra.web import stripe_js
from recurra.web.languages import public_language
from recurra.web.views.public_pages import public_render, quiet_csrf, sandbox_choices, unlogged

ADDRESS_PARTS = Address.ADDRESS_FIELDS


def address_from(data: Any, prefix: str) -> dict[str, str]:
    return {part: data.get(f"{prefix}_{part}", "").strip()[:200] for part in ADDRESS_PARTS}


def buyer_from(data: Any) -> Buyer:
    return Buyer(
        email=data.get("email", "").strip()[:254],
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        billing_address=address_from(data, "billing"),
        shipping_address=address_from(data, "shipping"),
    )


# A service's field error (the API's English) in the page's words; lazy: put in the page's language
# when shown. Anything else: "Check this field."
FIELD_WORDS = {
    "is required": _("Required"),
    "is not a valid email address": _("This is not a valid email address."),
    "must be a two-letter ISO 3166 country code": _("Two letters, e.g. NO."),
    "type your full name to accept": _("Type your full name to accept the quote."),
    "must be at most 200 characters": _("At most 200 characters."),
    "is required: this quote is paid when accepted": _("Choose a payment method."),
}


def field_errors(exc: ValidationFailed) -> dict[str, Any]:
    """Errors by form field name (``billing_address.city`` → ``billing_city``), in the page's words."""
    shown: dict[str, Any] = {}
    for error in exc.errors:
        name = error.field.replace("_address.", "_").replace("payment_method.token", "payment_method")
        message = FIELD_WORDS.get(error.message)
        if message is None:
            message = (
                _("This payment method is not accepted here. Please choose another.")
                if name.startswith("payment_method")
                else _("Check this field.")
            )
        shown.setdefault(name, message)
    return shown


def form_error(exc: Conflict | Unavailable) -> Any:
    """What the form says when a service refuses it as a whole (its detail is the API's English)."""
    if isinstance(exc, Unavailable):
        return _(
            "The payment is taking longer than usual. If it goes through, you get a receipt by email; "
            "you are never charged twice. Please check your email in a few minutes."
        )
    return _("This cannot be bought right now. Nothing was charged. Please reload the page.")


def plan_context(bought: Plan) -> dict[str, Any]:
    return {
        "today_items": bought.due_today,
        "amount_today": bought.amount_today,
        "future": [
            {
                "start": g.key.start_date,
                "group": g,
                "amount": group_amount(g),
                "frequency": g.key.billing_frequency,
            }
            for g in bought.later
        ],
        "recurring_now": [g for g in bought.starting_now],
    }


@csrf_exempt  # checked by quiet_csrf below, quietly
@stripe_js.allows_stripe_js
@unlogged("web/public/checkout_error.html")
@quiet_csrf
def checkout_page(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    link = link_for_token(token)
    if link is None:
        return public_render(request, "web/public/checkout_closed.html", {"gone": False}, status=404)
    try:
        selling(link)
    except NotFound:
        return public_render(
            request, "web/public/checkout_closed.html", {"link": link, "gone": True}, status=410
        )
    except Conflict:
        return public_render(request, "web/public/checkout_closed.html", {"link": link, "inactive": True})
    if request.method != "POST":
        return _page(request, link)
    try:
        done = checkout(
            source=link,
            buyer=buyer_from(request.POST),
            token=request.POST.get("payment_method", "").strip()[:100],
            attempt=request.POST.get("attempt", "").strip()[:40] or None,
            language=public_language(request),
            at=clock.now(),
        )
    except PaymentNeedsAction as exc:
        return _page(request, link, action_secret=exc.client_secret, status=exc.status)
    except PaymentDeclined as exc:
        return _page(request, link, declined=_(exc.reason), status=422)
    except ValidationFailed as exc:
        return _page(request, link, errors=field_errors(exc), status=422)
    except (Conflict, Unavailable) as exc:
        return _page(request, link, errors={"form": form_error(exc)}, status=exc.status)
    return _done(request, link, done)


def posted_attempt(request: HttpRequest, action_secret: str) -> str:
    """The attempt id the page carries: the posted one while its payment awaits authentication
    (posting it again records that payment's outcome), else a fresh one."""
    if action_secret:
        return request.POST.get("attempt", "").strip()[:40] or ids.new_id("att")
    return ids.new_id("att")


def _page(
    request: HttpRequest,
    link: PaymentLink,
    *,
    errors: dict[str, Any] | None = None,
    declined: Any = "",  # lazy texts: put in the page's language when shown
    action_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "link": link,
        "items": list(link.line_items.all()),
        **plan_context(checkout_plan(link, clock.now())),
        "values": request.POST if request.method == "POST" else {},
        "errors": errors or {},
        "declined": declined,
        "choices": sandbox_choices(link.allowed_payment_methods),
        "attempt": posted_attempt(request, action_secret),
        "address_parts": ADDRESS_PARTS,
        "stripe_js": stripe_js.page_context(
            request,
            endpoint="checkout_setup_intent",
            allowed=link.allowed_payment_methods,
            currency=link.currency,
            action_secret=action_secret,
        ),
    }
    return public_render(request, "web/public/checkout.html", context, status=status)


def _done(request: HttpRequest, link: PaymentLink, done: CheckoutResult) -> HttpResponse:
    context = {
        "link": link,
        "purchase": done.purchase,
        "payment": done.payment,
        "invoice": done.invoice,
        "subscriptions": done.subscriptions,
    }
    return public_render(request, "web/public/checkout_done.html", context)
