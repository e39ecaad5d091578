"""What a request reads at most once: the account's settings (its time zone, its language) and the
sandbox test clock.

Pages show times in the account's time zone, read at most once per request and only when a page
shows a time or needs the account's language (the sign-in page, say, reads nothing).
``page_zone()`` is that zone: the template filters (``day``, ``moment``) ask it. Outside a request
the settings are read each time (``accounts.selectors.account_settings_read_once``).

The test clock's row is read once per request too (``core.clock.read_once``): every timestamp a
request writes (``created_at`` of each row, its events) asks the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse

from recurra.accounts.selectors import account_settings, account_settings_read_once
from recurra.core import clock

View = Callable[[HttpRequest], HttpResponse]


def page_zone() -> tzinfo:
    """The account's time zone, read once for the request being answered."""
    return ZoneInfo(account_settings().timezone)


def read_once_per_request(get_response: View) -> View:
    def middleware(request: HttpRequest) -> HttpResponse:
        with account_settings_read_once(), clock.read_once():
            return get_response(request)

    return middleware
