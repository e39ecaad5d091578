"""The page of an unexpected error (500), styled like the 403 and 404 pages.

It is rendered without the request's context (no context processors, so no
database read: the database may be what failed) and falls back to plain HTML
if even that fails. It shows the request's id (``X-Request-ID``), which its log lines carry.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

from recurra.core.logs import current_request_id

logger = logging.getLogger(__name__)
PLAIN = "<!doctype html><title>Server error</title><h1>Server error</h1><p>The error has been logged.</p>"


def server_error(request: HttpRequest) -> HttpResponse:
    body: str
    try:
        body = loader.render_to_string("500.html", {"request_id": current_request_id()})
    except Exception:
        logger.exception("the 500 page could not be rendered")
        body = PLAIN
    return HttpResponseServerError(body)
