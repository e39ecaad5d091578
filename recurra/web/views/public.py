"""Pages for the buyer, without sign-in: the invoice behind a pay link, and paying it online.

The page is in the invoice's language unless the buyer picks another
(``web.languages``). An open invoice whose subscription accepts online
payment shows a form (a payment method, the addresses the subscription
collects, "save for future charges" where allowed) that posts to the same
URL and pays through ``billing.online.invoice_pay``; the answer is the page
again with the outcome: paid, on its way (a bank debit), or declined with
the reason and the form to try again. On Stripe the card is typed into
Stripe.js (``web.stripe_js``); a payment the buyer's bank wants
authenticated answers the form again with the payment's client secret, and
Stripe.js posts it once more when the buyer has confirmed.

A link that is tampered with, expired or unknown gets the same 404 page,
which says nothing about whether any invoice exists; Django may log its path,
which opens nothing. Every other answer comes from a working link, so it
goes through ``public_pages`` (never logged with the path, never cached, a
quiet CSRF check).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed, QueryDict
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from recurra.accounts.selectors import account_settings, account_zone
from recurra.billing.online import OnlineTerms, buyer, invoice_pay, online_terms, payment_on_its_way
from recurra.core import clock
from recurra.core.errors import Conflict, NotFound, Unavailable, ValidationFailed
from recurra.crm.models import Address
from recurra.invoicing.links import invoice_for_token
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.payments.models import Payment
from recurra.payments.services import PaymentDeclined, PaymentNeedsAction
from recurra.web import stripe_js
from recurra.web.views.public_pages import public_render, quiet_csrf, sandbox_choices, unlogged

METHOD_FIELD = "payment_method_token"
ADDRESS_KINDS = ("billing", "shipping")


@csrf_exempt  # a working link's page checks it quietly (_invoice_page)
@stripe_js.allows_stripe_js
def public_invoice(request: HttpRequest, token: str) -> HttpResponseBase:
    invoice = _invoice(token)
    if invoice is None:
        return public_render(request, "web/public/invoice_not_found.html", {}, status=404)
    return _invoice_page(request, token, invoice)


def _invoice(token: str) -> Invoice | None:
    """The invoice the link opens; None for a bad link, and for a draft (never sent: no page)."""
    try:
        invoice = invoice_for_token(token)
    except NotFound:
        return None
    return None if invoice.status == InvoiceStatus.DRAFT else invoice


@unlogged("web/public/invoice_error.html")
@quiet_csrf
def _invoice_page(request: HttpRequest, token: str, invoice: Invoice) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST":
        return _pay(request, invoice)
    return _page(request, invoice)


def _pay(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    terms = online_terms(invoice)
    if terms is None:
        return _page(request, invoice, status=409)
    form = _PayForm(request.POST, terms)
    if not form.token:
        return _page(request, invoice, form=form, error=_("Choose a payment method."), status=422)
    try:
        payment = invoice_pay(invoice=invoice, **form.values(), actor=buyer(invoice), at=clock.now())
    except PaymentNeedsAction as exc:
        return _page(request, invoice, form=form, action_secret=exc.client_secret, status=exc.status)
    except PaymentDeclined as declined:
        return _page(request, invoice, form=form, declined=_(declined.reason), status=422)
    except ValidationFailed as exc:
        form.add_errors(exc)
        return _page(request, invoice, form=form, error=_("Please check the form."), status=422)
    except Conflict:
        error = _("Nothing was charged: this invoice is already paid, or a payment of it is on its way.")
        return _page(request, invoice, error=error, status=409)
    except Unavailable:
        error = _("The payment is taking longer than usual. Please check this page again in a few minutes.")
        return _page(request, invoice, error=error, status=503)
    fresh = Invoice.objects.get(pk=invoice.pk)
    return _page(request, fresh, paid=payment, saved=form.save)


class _PayForm:
    """The posted form: the chosen test token (or a typed one), the addresses, "save"; and its errors."""

    def __init__(self, data: QueryDict, terms: OnlineTerms) -> None:
        self.token = data.get(METHOD_FIELD, "").strip()[:100]
        self.save = terms.can_save and data.get("save_payment_method") == "1"
        self.addresses = {
            kind: {part: data.get(f"{kind}_{part}", "").strip()[:200] for part in Address.ADDRESS_FIELDS}
            for kind in ADDRESS_KINDS
            if _collects(terms, kind)
        }
        self.errors: dict[str, Any] = {}  # lazy texts: put in the page's language when shown

    def values(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "billing_address": self.addresses.get("billing"),
            "shipping_address": self.addresses.get("shipping"),
            "save_payment_method": self.save,
        }

    def posted(self) -> dict[str, str]:
        """What the buyer typed, by form field name (the address partial's ``values``)."""
        return {
            f"{kind}_{part}": value for kind, parts in self.addresses.items() for part, value in parts.items()
        }

    def add_errors(self, exc: ValidationFailed) -> None:
        """Each service error in the page's words, by the form field it is about."""
        for error in exc.errors:
            kind, _dot, part = error.field.partition("_address.")
            if part:
                message = _("Required") if error.message == "is required" else _("Check this field")
                self.errors.setdefault(f"{kind}_{part}", message)
            elif error.field.startswith("payment_method"):
                message = _("This payment method cannot be used here. Please choose another.")
                self.errors.setdefault(METHOD_FIELD, message)


def _collects(terms: OnlineTerms, kind: str) -> bool:
    return bool(getattr(terms, f"collect_{kind}_address"))


def _page(
    request: HttpRequest,
    invoice: Invoice,
    *,
    form: _PayForm | None = None,
    error: Any = "",
    declined: Any = "",
    paid: Payment | None = None,
    saved: bool = False,
    action_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    terms = online_terms(invoice)
    on_its_way = payment_on_its_way(invoice) if invoice.status == InvoiceStatus.OPEN else None
    # A payment awaiting the buyer's authentication is on its way, yet its form stays to post it again.
    state = "payable" if action_secret and terms else _state(invoice, terms, on_its_way)
    context: dict[str, Any] = {
        "invoice": invoice,
        "state": state,
        "on_its_way": on_its_way,
        "paid_now": paid,
        "saved_method": _method_label(paid) if saved and paid is not None else "",
        "paid_on": invoice.paid_at.astimezone(account_zone()).date() if invoice.paid_at else None,
        "declined": declined,
        "error": error,
        "subscription_name": terms.subscription.name if terms else invoice.subscription_name,
        "seller": account_settings(),  # its address under the business's name
    }
    if state == "payable" and terms is not None:
        context |= _form_context(invoice, terms, form)
        context["stripe_js"] = stripe_js.page_context(
            request,
            endpoint="invoice_setup_intent",
            allowed=terms.allowed,
            currency=invoice.currency,
            holder={"name": invoice.contact.full_name, "email": invoice.contact.email},
            action_secret=action_secret,
        )
    return public_render(
        request, "web/public/invoice.html", context, language=invoice.language, status=status
    )


def _state(invoice: Invoice, terms: OnlineTerms | None, on_its_way: Payment | None) -> str:
    """What the buyer can do: ``payable`` online, pay ``offline``, wait (``on_its_way``), or nothing."""
    if invoice.status != InvoiceStatus.OPEN:
        return str(invoice.status)  # paid, void, uncollectible
    if invoice.amount_due <= 0:
        return InvoiceStatus.PAID
    if on_its_way is not None:
        return "on_its_way"
    return "payable" if terms is not None else "offline"


def _form_context(invoice: Invoice, terms: OnlineTerms, form: _PayForm | None) -> dict[str, Any]:
    choices = sandbox_choices(terms.allowed)
    chosen = form.token if form else ""
    stored = {
        f"{kind}_{part}": value
        for kind, address in (("billing", invoice.billing_address), ("shipping", invoice.shipping_address))
        for part, value in (address or {}).items()
    }
    return {
        "choices": choices,
        "chosen": chosen or (choices[0][0] if choices else ""),
        "allowed_types": list(terms.allowed),
        "errors": form.errors if form else {},
        "values": form.posted() if form else stored,
        "address_parts": Address.ADDRESS_FIELDS,
        "collect_billing_address": terms.collect_billing_address,
        "collect_shipping_address": terms.collect_shipping_address,
        "can_save": terms.can_save,
        "save_checked": form.save if form else False,
    }


def _method_label(payment: Payment) -> str:
    """How the app names a payment's method ("Visa •••• 4242"), as plain text."""
    return render_to_string("web/payments/method.html", {"method": payment.payment_method}).strip()
