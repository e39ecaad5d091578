"""Pages show times in the account's time zone: it is the current time zone while a page renders.

The API is left out (its times are ISO 8601 in UTC, and it need not read the settings row).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from recurra.accounts.selectors import account_zone

API_PREFIX = "/api/"


View = Callable[[HttpRequest], HttpResponse]


def account_time_zone(get_response: View) -> View:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return get_response(request)
        with timezone.override(account_zone()):
            return get_response(request)

    return middleware
