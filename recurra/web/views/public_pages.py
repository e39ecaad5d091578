"""What every buyer's page (no sign-in, a token in its path) does alike.

- Its answers are never logged with the path (the path holds the token:
  Django logs every 4xx/5xx with it), never cached, kept or referred on.
- Its CSRF refusal is quiet (no path in the log) and a page of its own.
- It is rendered in the buyer's language (``web.languages``), with the
  language switch, the business's name and, in sandbox mode, the test
  payment methods to choose from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.decorators import decorator_from_middleware

from recurra.accounts.selectors import account_settings
from recurra.payments.brands import brand_name
from recurra.payments.gateways.sandbox_tokens import TOKENS
from recurra.web.languages import language_choices, public_language

log = logging.getLogger(__name__)
PageView = Callable[..., HttpResponseBase]


def public_render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    language: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a buyer's page in their language (``language``: the record's own, if it has one)."""
    chosen = public_language(request, language)
    values = {
        "business": account_settings().business_name,
        "public_page": True,
        "languages": _switch(request, chosen),
        **context,
    }
    with translation.override(chosen):
        return render(request, template, values, status=status)


def _switch(request: HttpRequest, chosen: str) -> list[dict[str, object]]:
    """The language switch: each language in its own name, the shown one marked, each a link to
    this page (its token is in the path) with the rest of its query kept and ``lang`` set."""
    choices = language_choices(chosen)
    for choice in choices:
        query = request.GET.copy()
        query["lang"] = str(choice["code"])
        choice["href"] = f"?{query.urlencode()}"
    return choices


class _QuietCsrf(CsrfViewMiddleware):
    """Django's CSRF check, refusing without logging the path (it holds the token)."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        log.warning("public page: CSRF check failed (%s)", reason)
        return public_render(request, "web/public/expired_form.html", {}, status=403)


quiet_csrf = decorator_from_middleware(_QuietCsrf)


def unlogged(error_template: str) -> Callable[[PageView], PageView]:
    """Answers Django will not log with the path, nor may browsers, proxies or search engines keep;
    an exception is logged without the request and answered with ``error_template`` (500)."""

    def decorate(view: PageView) -> PageView:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                response = view(request, token, *args, **kwargs)
            except Exception:
                log.exception("%s failed", view.__name__)  # no request: its path holds the token
                response = public_render(request, error_template, {}, status=500)
            return keep_private(response)

        return wrapped

    return decorate


def keep_private(response: HttpResponseBase) -> HttpResponseBase:
    """Mark a buyer's page's answer: not logged by Django with its path, not cached or indexed, and
    its address (the token) never sent as a Referer to another site.

    ``same-origin``, not ``no-referrer``: with ``no-referrer`` Chromium posts the page's own form
    with ``Origin: null``, which Django's CSRF check refuses (every buyer got "The form could not
    be checked"). Same-origin requests carry the page's origin; other sites get no Referer.
    """
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log.log_response
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def sandbox_choices(allowed: Iterable[str]) -> list[tuple[str, str]]:
    """In sandbox mode, the test tokens of the ``allowed`` types (else none: a text field is shown)."""
    if settings.RECURRA_GATEWAY != "sandbox":
        return []
    kinds = set(allowed)
    return [
        (name, f"{brand_name(spec.brand)} •••• {spec.last4} ({name})")
        for name, spec in TOKENS.items()
        if spec.type in kinds
    ]
