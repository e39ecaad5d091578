"""``/healthz``, ``/readyz`` and ``/metrics`` (docs/operations.md), answered by ``ops.middleware``
before the rest of the middleware: no session, no CSRF, no host check, no page furniture.

- ``/healthz``: the process answers (liveness); reads nothing.
- ``/readyz``: the database answers one cheap query (else 503, and nothing more is read); then the
  workers' heartbeats and the queues, as counts and ages. A stale or missing worker does not make it
  fail: a web node serves pages and the API without one, and taking every node out of the load
  balancer because the worker died would turn late emails into an outage. Alert on ``worker.status``
  (or ``recurra_workers{state="live"} == 0``) instead.
- ``/metrics``: Prometheus' text format, for the bearer token ``RECURRA_METRICS_TOKEN``; 404 while
  it is unset, 401 without it.

Neither health answer names a host, an address, a database or a version.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.db import Error as DatabaseFailure
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from recurra.core import clock
from recurra.ops.heartbeats import workers_seen
from recurra.ops.scrape import exposition
from recurra.ops.selectors import queues_due

READ = ("GET", "HEAD")


def _answer(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _json(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return _answer(JsonResponse(body, status=status))


def _method_not_allowed() -> HttpResponse:
    response = _answer(HttpResponse("Method Not Allowed\n", status=405, content_type="text/plain"))
    response["Allow"] = ", ".join(READ)
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    if request.method not in READ:
        return _method_not_allowed()
    return _json({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    if request.method not in READ:
        return _method_not_allowed()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseFailure:
        return _json({"status": "unavailable", "database": "unreachable"}, 503)
    try:
        now_ms, at = clock.epoch_ms(), clock.now()
        workers = workers_seen(now_ms=now_ms)
        due = queues_due(at=at)
    except DatabaseFailure:  # it answers, but Recurra's tables cannot be read (not migrated?)
        return _json({"status": "unavailable", "database": "error"}, 503)
    live = sum(not w.stale for w in workers)
    return _json(
        {
            "status": "ok",
            "database": "ok",
            "worker": {
                "status": "ok" if live else "stale" if workers else "none",
                "live": live,
                "stale": len(workers) - live,
                "last_beat_age_seconds": round(workers[0].age_seconds, 3) if workers else None,
                "stale_after_seconds": settings.RECURRA_WORKER_STALE_SECONDS,
            },
            "queues": {
                name: {"due": rows, "oldest_due_age_seconds": round(age, 3)}
                for name, (rows, age) in due.items()
            },
        }
    )


def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.RECURRA_METRICS_TOKEN
    if not token:
        return _answer(HttpResponse("Not Found\n", status=404, content_type="text/plain"))
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = _answer(HttpResponse("Unauthorized\n", status=401, content_type="text/plain"))
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if request.method not in READ:
        return _method_not_allowed()
    return _answer(HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4))
