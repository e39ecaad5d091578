"""What a request reads at most once: the account's time zone and the sandbox test clock.

Pages show times in the account's time zone, read at most once per request and only when a page
shows a time (the sign-in page, say, reads nothing). ``page_zone()`` is that zone: the template
filters (``day``, ``moment``) ask it. Outside a request it reads the settings each time.

The test clock's row is read once per request too (``core.clock.read_once``): every timestamp a
request writes (``created_at`` of each row, its events) asks the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import tzinfo

from django.http import HttpRequest, HttpResponse

from recurra.accounts.selectors import account_zone
from recurra.core import clock

View = Callable[[HttpRequest], HttpResponse]

# The current request's zone once read ([None] until then); None outside a request.
_zone: ContextVar[list[tzinfo | None] | None] = ContextVar("page_zone", default=None)


def page_zone() -> tzinfo:
    """The account's time zone, read once for the request being answered."""
    held = _zone.get()
    if held is None:
        return account_zone()
    zone = held[0]
    if zone is None:
        zone = held[0] = account_zone()
    return zone


def read_once_per_request(get_response: View) -> View:
    def middleware(request: HttpRequest) -> HttpResponse:
        token = _zone.set([None])
        try:
            with clock.read_once():
                return get_response(request)
        finally:
            _zone.reset(token)

    return middleware
