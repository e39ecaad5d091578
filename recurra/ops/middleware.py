"""The request id, the first middleware (the latency histogram), and the operations endpoints.

For every request:

- the request id: the incoming ``X-Request-ID`` when it is safe, else a new one
  (``core.logs.request_id_from``). It is set when Django's handler starts the request
  (``request_started``) and cleared when the answer is closed (``request_finished``), so every log
  line of the request carries it, Django's own "Not Found: /x" after the middleware included, and
  lines written while a streamed answer is sent; the answer echoes it in ``X-Request-ID``;
- its time, observed in ``recurra_http_request_duration_seconds`` by its URL pattern (``/`` +
  Django's matched route, e.g. ``/api/v1/contacts/<contact_id>``), never the raw path: ``static``
  for static files, ``unmatched`` for a path that matches no pattern.

``/healthz``, ``/readyz`` and ``/metrics`` (``ops.views``) are answered here, before the other
middleware: load balancers and Prometheus call them often and by IP address, which the host check
(``ALLOWED_HOSTS``) would refuse, and they need no session, CSRF or page headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from recurra.core import logs, metrics
from recurra.ops import views

Handler = Callable[[HttpRequest], HttpResponseBase]

ENDPOINTS: dict[str, Handler] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics,
}


def request_begin(sender: object, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``request_started``: the request's id, from its ``X-Request-ID`` or new."""
    logs.request_id_set(logs.request_id_from((environ or {}).get(logs.META_KEY)))


def request_end(sender: object, **kwargs: Any) -> None:
    """``request_finished``: no request any more in this thread."""
    logs.request_id_clear()


class RequestMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        # An error in an endpoint is answered (and logged, with the request id) like a view's.
        self.endpoints = {
            path: cast(Handler, convert_exception_to_response(view)) for path, view in ENDPOINTS.items()
        }
        self.static_url = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        request_id = logs.current_request_id()
        token = None
        if request_id is None:  # called without Django's handler (a RequestFactory's request)
            request_id = logs.request_id_from(request.META.get(logs.META_KEY))
            token = logs.request_id_set(request_id)
        try:
            endpoint = self.endpoints.get(request.path_info)
            if endpoint is not None:
                response, route = endpoint(request), request.path_info
            else:
                response = self.get_response(request)
                route = self.route(request)
        finally:
            if token is not None:
                logs.request_id_reset(token)
        response[logs.HEADER] = request_id
        metrics.request_observe(
            route=route,
            method=request.method or "",
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response

    def route(self, request: HttpRequest) -> str:
        match = getattr(request, "resolver_match", None)
        if match is not None:
            return "/" + match.route
        if request.path_info.startswith(self.static_url):
            return "static"
        return "unmatched"
