"""The payment-method update link: the buyer's public page, and the app's "Send" button.

The buyer's page needs no sign-in: its token (in the path) opens one
subscription (``subscriptions.update_links``). It shows what is owed and a
form for a new method (in sandbox mode, a choice of the test tokens the
subscription allows); saving it charges every past-due invoice and shows the
outcome. A tampered, expired, revoked or unknown token gets a page (200) that
names the business and changes nothing. On Stripe the card is typed into
Stripe.js (``web.stripe_js``) and saved through a SetupIntent of the
subscription's contact.

The path holds the token, so nothing here may let Django log the path: every
answer of the page is marked as logged (Django logs each 4xx/5xx with the
path, ``django.request``), its CSRF refusal is our own quiet one, and an
error is logged without the request. (A web server's access log is outside
Recurra: keep paths out of it in production.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import decorator_from_middleware
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from recurra.accounts.selectors import account_zone
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.payments.models import Payment, PaymentStatus
from recurra.subscriptions import update_links
from recurra.subscriptions.models import PaymentMethodUpdateLink, Subscription
from recurra.web import stripe_js
from recurra.web.access import actor, editor
from recurra.web.views.common import next_url, post_action
from recurra.web.views.public_pages import keep_private, public_render, sandbox_choices

log = logging.getLogger(__name__)
PageView = Callable[..., HttpResponseBase]


class _QuietCsrf(CsrfViewMiddleware):
    """Django's CSRF check, refusing without logging the path (it holds the token)."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        log.warning("payment-method update page: CSRF check failed (%s)", reason)
        return _public(request, "web/public/update_expired_form.html", {}, status=403)


_csrf_protect = decorator_from_middleware(_QuietCsrf)


def _unlogged(view: PageView) -> PageView:
    """Answers Django will not log with the path, nor may browsers, proxies or search engines keep
    (``public_pages.keep_private``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str) -> HttpResponseBase:
        try:
            response = view(request, token)
        except Exception:
            log.exception("payment-method update page failed")  # no request: its path holds the token
            response = _public(request, "web/public/update_error.html", {}, status=500)
        return keep_private(response)

    return wrapped


def _public(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    language: str | None = None,
) -> HttpResponse:
    """The page in the buyer's language (``language``: the subscription's, when the link opens one)."""
    return public_render(request, template, context, language=language, status=status)


@csrf_exempt  # checked by _csrf_protect below, quietly
@stripe_js.allows_stripe_js
@_unlogged
@_csrf_protect
def update_payment_method(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    at = clock.now()
    link = update_links.update_link_for_token(token, at=at)
    if link is None:
        return _public(request, "web/public/update_invalid.html", {})
    if request.method != "POST":
        return _page(request, link)
    chosen = request.POST.get("payment_method_token", "").strip()[:100]
    if not chosen:
        return _page(request, link, error=_("Choose a payment method."), status=422)
    try:
        charged = update_links.update_link_use(link=link, token=chosen, at=at)
    except ValidationFailed:  # an unknown token, or a type the subscription does not take
        error = _("This payment method is not accepted here. Please choose another.")
        return _page(request, link, error=error, status=422)
    except Conflict:
        return _public(request, "web/public/update_invalid.html", {})
    return _page(request, link, payments=charged.payments, saved=True)


def _page(
    request: HttpRequest,
    link: PaymentMethodUpdateLink,
    *,
    error: Any = "",  # a lazy text: put in the page's language when shown
    payments: list[Payment] | None = None,
    saved: bool = False,
    status: int = 200,
) -> HttpResponse:
    sub = Subscription.objects.select_related("payment_method", "contact").get(pk=link.subscription_id)
    owed = list(update_links.past_due_invoices(sub))
    failed = [p for p in payments or [] if p.status == PaymentStatus.FAILED]
    show_form = not saved or bool(failed) or not sub.payment_method
    context = {
        "sub": sub,
        "owed": owed,
        "owed_total": sum(invoice.amount_due for invoice in owed),
        "allowed": sub.allowed_payment_methods,
        "choices": sandbox_choices(sub.allowed_payment_methods),
        "expires_on": link.expires_at.astimezone(account_zone()),
        "error": error,
        "saved": saved,
        "payments": payments or [],
        "failed": failed,
        "show_form": show_form,
        "stripe_js": show_form
        and stripe_js.page_context(
            request,
            endpoint="update_link_setup_intent",
            allowed=sub.allowed_payment_methods,
            currency=sub.currency,
            holder={"name": sub.contact.full_name, "email": sub.contact.email},
        ),
    }
    return _public(
        request,
        "web/public/update_payment_method.html",
        context,
        status=status,
        language=sub.invoice_language,
    )


@editor
@require_POST
def subscription_update_link_send(request: HttpRequest, pk: str) -> HttpResponse:
    """Email the contact a new update link (editors only); back where it was asked (``next``: the
    subscription's page or the index's panel) with the outcome."""
    sub = get_object_or_404(Subscription.objects.select_related("contact"), pk=pk)
    return post_action(
        request,
        perform=lambda: update_links.update_link_create(
            subscription=sub, actor=actor(request), at=clock.now(), email=True
        ),
        message=ngettext(
            "Payment-method update link sent to %(email)s; it works for %(days)d day.",
            "Payment-method update link sent to %(email)s; it works for %(days)d days.",
            update_links.LINK_DAYS,
        )
        % {"email": sub.contact.email, "days": update_links.LINK_DAYS},
        next_url=next_url(request, reverse("web:subscription", args=[sub.pk])),
    )
