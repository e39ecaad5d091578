"""Headers every answer of the app carries (pages, the API, PDFs, export downloads; not static files,
which WhiteNoise serves before this runs).

- ``Cache-Control: no-store`` unless the view set its own: what Recurra shows is a business's
  customers and money, for the person who asked, and no browser or proxy should keep a copy.
- ``Strict-Transport-Security`` when ``RECURRA_BASE_URL`` is https (``SECURE_HSTS_SECONDS``). TLS
  ends at the proxy in front of Recurra, so the request Django sees may be plain http; browsers
  ignore the header on plain http, so it is sent whatever scheme arrived.

The Content-Security-Policy comes from django-csp (settings ``CONTENT_SECURITY_POLICY``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

HSTS = "Strict-Transport-Security"


class ResponseHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        if settings.SECURE_HSTS_SECONDS and HSTS not in response:
            response[HSTS] = f"max-age={settings.SECURE_HSTS_SECONDS}"
        return response
