"""Benchmark: webhook deliveries per second by one worker to a receiver on this machine; one JSON line.

    python bench/webhooks.py --n 2000 [--database-url postgres://.../h_bench] [--profile out.txt]

Database: ``--database-url`` (a PostgreSQL database that is DROPPED and made afresh), else
``recurra_webhooks_bench`` on the server of a PostgreSQL DATABASE_URL, else a SQLite file in a
temporary directory.

Seed (untimed): one endpoint for ``contact.created`` on a receiver at 127.0.0.1 (the standard
library's threading HTTP server, in another process, answering 200 to each POST, HTTP/1.1 keep-alive),
and N contacts created the way the API creates them: N public events and N deliveries, due now.
Timed: one worker (``run_due`` of the job runner, what ``recurra worker`` runs for queued work) until
every delivery has succeeded: ``seconds`` and ``per_second``. Each delivery signs its body, POSTs it,
records the attempt and keeps the outcome. ``received`` is what the receiver counted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import database, django_setup, drop

AT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
BENCH_DB = "recurra_webhooks_bench"


def _receive(port: Any, count: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with count.get_lock():
                count.value += 1
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_port
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", help="write a cProfile of the timed part here")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    ctx = mp.get_context("spawn")
    port, count = ctx.Value("i", 0), ctx.Value("i", 0)
    receiver = ctx.Process(target=_receive, args=(port, count), daemon=True)
    receiver.start()
    while not port.value:
        time.sleep(0.01)
    with tempfile.TemporaryDirectory(prefix="recurra-bench-") as tmp:
        url, _ = database(args.database_url, name=BENCH_DB, tmp=Path(tmp))
        os.environ.update(DATABASE_URL=url, RECURRA_DATA_DIR=tmp, RECURRA_MODE="sandbox")
        os.environ.setdefault("RECURRA_LOG_LEVEL", "WARNING")
        django_setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from recurra.automation.models import WebhookDelivery
        from recurra.automation.webhooks import services
        from recurra.core import clock
        from recurra.core.actors import Actor
        from recurra.crm.services import contact_create
        from recurra.jobs.runner import run_due

        clock.freeze(AT)
        system = Actor.system()
        services.endpoint_create(
            url=f"http://127.0.0.1:{port.value}/hook", enabled_events=["contact.created"], actor=system, at=AT
        )
        for n in range(args.n):
            contact_create(actor=system, email=f"c{n}@example.com", first_name="Bench")
        assert WebhookDelivery.objects.filter(status="pending").count() == args.n
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        run_due(at=AT)
        seconds = time.perf_counter() - started
        if profiler is not None:
            import pstats

            profiler.disable()
            with open(args.profile, "w") as out:
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        succeeded = WebhookDelivery.objects.filter(status="succeeded").count()
        vendor = "postgresql" if url.startswith("postgres") else "sqlite"
        from django.db import connections

        connections.close_all()
        if url.startswith("postgres"):
            drop(url)
    receiver.terminate()
    print(
        json.dumps(
            {
                "bench": "webhooks",
                "database": vendor,
                "n": args.n,
                "workers": 1,
                "seconds": round(seconds, 3),
                "per_second": round(args.n / seconds, 1),
                "succeeded": succeeded,
                "received": count.value,
                "load_before": round(load, 2),
                "cpus": os.cpu_count(),
            }
        )
    )
    return 0 if succeeded == args.n == count.value else 1


if __name__ == "__main__":
    sys.exit(main())
