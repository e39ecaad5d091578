"""Benchmark: what operating Recurra costs a request, and what its endpoints cost; prints one JSON line.

    python bench/ops_overhead.py [--n 20000] [--database-url postgres://...]

- ``added_us``: per request, the work ``recurra.ops`` adds to every request: the request id taken
  or made at ``request_started`` (and dropped at ``request_finished``), the first middleware
  (timer, ``X-Request-ID`` header, one histogram observation), around a view that does nothing.
  ``added_us_incoming_id``: the same with a valid incoming ``X-Request-ID`` (nothing generated).
- ``healthz_us``: ``GET /healthz`` through Django's WSGI handler, whole.
- ``readyz_ms`` and ``scrape_ms``: ``GET /readyz`` and ``GET /metrics`` (median of ``--repeat``),
  with 1,000 rows in each of the jobs and emails queues and ten worker heartbeats.

Database as the other benchmarks (``bench/database.py``): a SQLite file unless PostgreSQL is named.
The 2-core machine's target: ``added_us`` a few tens of microseconds at most (hundreds of requests
a second leave a couple of milliseconds each).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import database, django_setup, drop

TOKEN = "bench-metrics-token-0123456789"


def _environ(path: str, **extra: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        **extra,
    }


def _added_us(n: int, incoming: str | None) -> float:
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from recurra.ops.middleware import RequestMiddleware, request_begin, request_end

    answer = HttpResponse(b"")
    middleware = RequestMiddleware(lambda request: answer)
    extra = {"HTTP_X_REQUEST_ID": incoming} if incoming else {}
    request = RequestFactory().get("/api/v1/contacts/con_1", **extra)
    request.resolver_match = resolve("/api/v1/contacts/con_1")
    environ = request.META
    started = time.perf_counter()
    for _ in range(n):
        request_begin(None, environ=environ)
        middleware(request)
        request_end(None)
    return (time.perf_counter() - started) / n * 1e6


def _wsgi_us(handler: Any, path: str, n: int, **extra: str) -> list[float]:
    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        pass

    took = []
    for _ in range(n):
        started = time.perf_counter()
        response = handler(_environ(path, **extra), start_response)
        b"".join(response)
        response.close()
        took.append((time.perf_counter() - started) * 1e6)
    return took


def _seed() -> None:
    from django.db import transaction

    from recurra.core import clock
    from recurra.jobs.models import Job
    from recurra.notifications.models import EmailMessage
    from recurra.ops.models import WorkerHeartbeat

    now, now_ms = clock.now(), clock.epoch_ms()
    with transaction.atomic():
        Job.objects.bulk_create(Job(kind="bench", run_at=now - timedelta(seconds=i % 7)) for i in range(1000))
        EmailMessage.objects.bulk_create(
            EmailMessage(to=f"b{i}@example.com", kind="receipt", run_at=now) for i in range(1000)
        )
        WorkerHeartbeat.objects.bulk_create(
            WorkerHeartbeat(host=f"w{i}", pid=i, started_ms=now_ms, beat_ms=now_ms - 1000 * i)
            for i in range(10)
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url, _ = database(args.database_url, name="recurra_bench_ops", tmp=Path(tmp))
        os.environ.update(
            DATABASE_URL=url, RECURRA_DATA_DIR=tmp, RECURRA_METRICS_TOKEN=TOKEN, RECURRA_LOG_LEVEL="ERROR"
        )
        django_setup()
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        _seed()
        handler = WSGIHandler()
        for _ in range(3):  # warm
            _added_us(1000, None)
        added = min(_added_us(args.n, None) for _ in range(3))
        added_incoming = min(_added_us(args.n, "lb-0123456789abcdef") for _ in range(3))
        healthz = statistics.median(_wsgi_us(handler, "/healthz", args.n // 4))
        readyz = statistics.median(_wsgi_us(handler, "/readyz", args.repeat)) / 1000
        scrape = statistics.median(
            _wsgi_us(handler, "/metrics", args.repeat, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        )
        vendor = connection.vendor
        connection.close()
        if url.startswith("postgres"):
            drop(url)
    print(
        json.dumps(
            {
                "bench": "ops_overhead",
                "n": args.n,
                "database": vendor,
                "added_us": round(added, 2),
                "added_us_incoming_id": round(added_incoming, 2),
                "healthz_us": round(healthz, 1),
                "readyz_ms": round(readyz, 2),
                "scrape_ms": round(scrape / 1000, 2),
                "load_before": os.getloadavg()[0],
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
