"""The language of a buyer's (public) page.

``?lang=`` wins when it names a language Recurra speaks (the page's language
switch sets it); else the record's own language (an invoice's, a quote's);
else the browser's ``Accept-Language``; else English. Views render inside
``translation.override(language)``: there is no LocaleMiddleware, so nothing
leaks into the next request on the same thread.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

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


def public_language(request: HttpRequest, preferred: str | None = None) -> str:
    """The language to show ``request``'s public page in (see the module's rule)."""
    chosen = _spoken(request.GET.get("lang")) or _spoken(preferred)
    if chosen:
        return chosen
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code != "*" and (found := _spoken(code)):
            return found
    return settings.LANGUAGE_CODE


def language_choices(current: str) -> list[dict[str, object]]:
    """The public pages' language switch: each language with its own name and whether it is shown."""
    return [{"code": code, "name": name, "current": code == current} for code, name in settings.LANGUAGES]
