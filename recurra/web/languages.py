"""The language of a page: a seller's (their own setting, else the account's) and a buyer's.

A signed-in seller's pages are in their own language (Settings → Profile) when they chose one,
else in the account's default language; before signing in, the browser's ``Accept-Language``
(else English). ``seller_language_per_request`` activates it for the request and deactivates it
after; the API is left in English (its messages and codes are the contract).

A buyer's (public) page: ``?lang=`` wins when it names a language Recurra speaks (the page's language
switch sets it); else the record's own language (an invoice's, a quote's);
else the browser's ``Accept-Language``; else English. Views render inside
``translation.override(language)``: there is no LocaleMiddleware, so nothing
leaks into the next request on the same thread.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from recurra.accounts.selectors import account_settings

# Norwegian without a written standard, or in Nynorsk: Bokmål is the closest Recurra speaks.
ALIASES = {"no": "nb", "nn": "nb"}


def _spoken(code: str | None) -> str | None:
    if not code:
        return None
    code = code.lower()
    try:
        return get_supported_language_variant(ALIASES.get(code.split("-")[0], code))
    except LookupError:
        return None


def browser_language(request: HttpRequest) -> str:
    """The first language of the browser's ``Accept-Language`` that Recurra speaks, else English."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code != "*" and (found := _spoken(code)):
            return found
    return settings.LANGUAGE_CODE


def public_language(request: HttpRequest, preferred: str | None = None) -> str:
    """The language to show ``request``'s public page in (see the module's rule)."""
    return _spoken(request.GET.get("lang")) or _spoken(preferred) or browser_language(request)


def seller_language(request: HttpRequest) -> str:
    """The language of a seller's page (see the module's rule)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return browser_language(request)
    if chosen := _spoken(user.language):
        return chosen
    return user_language(user.language, account_settings().default_language)


def user_language(chosen: str, account_default: str) -> str:
    """A signed-in user's language: the one they chose, else the account's default, else English.

    >>> user_language("nb", "en"), user_language("", "nb"), user_language("", "xx"), user_language("nn", "en")
    ('nb', 'nb', 'en', 'nb')
    """
    return _spoken(chosen) or _spoken(account_default) or settings.LANGUAGE_CODE


View = Callable[[HttpRequest], HttpResponse]


def seller_language_per_request(get_response: View) -> View:
    """Middleware (after authentication): the seller's language for the request, English for the API."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return get_response(request)
        language = seller_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    return middleware


def language_choices(current: str) -> list[dict[str, object]]:
    """The public pages' language switch: each language with its own name and whether it is shown."""
    return [{"code": code, "name": name, "current": code == current} for code, name in settings.LANGUAGES]
