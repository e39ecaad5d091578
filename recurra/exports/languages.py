"""The languages an export's column headers can be in, and which one a user gets by default.

Standard property labels and association headers are translated
(``locale/<language>``); values are not. The default is the language the user
last exported in, else their browser's first one Recurra has, else the
account's.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation.trans_real import parse_accept_lang_header

from recurra.accounts.models import User
from recurra.accounts.selectors import account_settings

LANGUAGES: dict[str, str] = {
    "en": "English",
    "nb": "Norsk bokmål",
    "da": "Dansk",
    "sv": "Svenska",
    "fi": "Suomi",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt": "Português",
    "pl": "Polski",
    "ja": "日本語",
}
_ALIASES = {"no": "nb", "nn": "nb"}  # Norwegian: the headers are in bokmål


def supported(code: str) -> str | None:
    """``de-AT`` → ``de``; None when Recurra has no headers in it."""
    base = code.replace("_", "-").split("-")[0].lower()
    base = _ALIASES.get(base, base)
    return base if base in LANGUAGES else None


def default_language(request: HttpRequest, user: User | None) -> str:
    remembered = getattr(user, "export_language", "") if user else ""
    if remembered in LANGUAGES:
        return remembered
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        found = supported(code)
        if found:
            return found
    return supported(account_settings().default_language) or "en"
