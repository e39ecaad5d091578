"""Benchmark: exporting N subscriptions with all properties and associations; prints one JSON line.

    python bench/export.py --n 1000000 [--formats csv,xlsx] [--database-url postgres://...] [--reuse]

Database as in ``bench/database.py`` (``recurra_bench_export`` on the server of a
PostgreSQL DATABASE_URL); ``--reuse`` keeps one seeded by an earlier run. The
seed (``bench/seed_listing.py`` with associations: per subscription one or two
line items, one or two invoices with a payment each, one in ten a deal, one in
twenty a quote) is not timed.

Timed, per format: the worker's run of one export of the All view with
``all_properties_and_associations`` (52 columns), in a fresh process (so its
peak RSS is the export's alone), from its start to the file being complete.

Targets (issue 7), PostgreSQL, N = 1,000,000: CSV in at most 60 s, XLSX in at
most 4 minutes, the worker's peak memory under 300 MB for both.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import database, django_setup, drop

AT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
BENCH_DB = "recurra_bench_export"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="recurra-bench-") as tmp:
        url, fresh = database(args.database_url, name=BENCH_DB, tmp=Path(tmp), reuse=args.reuse)
        os.environ.update(DATABASE_URL=url, RECURRA_DATA_DIR=tmp, RECURRA_MODE="sandbox")
        os.environ.setdefault("RECURRA_LOG_LEVEL", "WARNING")
        load = os.getloadavg()[0]
        django_setup()
        from django.db import connections

        from bench.seed_listing import prepared

        seeded = prepared(args.n, fresh=fresh, at=AT, associations=True)
        connections.close_all()  # the export's worker process opens its own
        results = {fmt: _measure(fmt) for fmt in args.formats.split(",")}
        if url.startswith("postgres") and not (args.keep or args.reuse):
            drop(url)
    line = {
        "bench": "export",
        "n": seeded,
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "scope": "all_properties_and_associations",
        **results,
        "load_before": round(load, 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(line), flush=True)
    return 0 if all(r["ok"] for r in results.values()) else 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=int(os.environ.get("BENCH_EXPORT_N", "1000000")))
    p.add_argument("--formats", default="csv,xlsx", help="comma-separated: csv, xlsx, xls")
    p.add_argument("--database-url", help="a PostgreSQL database to DROP and create for the benchmark")
    p.add_argument("--reuse", action="store_true", help="keep and reuse an already seeded database")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    return p


def _measure(fmt: str) -> dict[str, Any]:
    from django.db import connections

    from recurra.core import clock
    from recurra.core.actors import Actor
    from recurra.exports.models import Export
    from recurra.exports.services import Source, export_create
    from recurra.saved_views.defaults import DEFAULT_VIEWS

    export = export_create(
        source=Source("all", "All", DEFAULT_VIEWS["all"].spec, {}),
        format=fmt,
        language="en",
        scope="all_properties_and_associations",
        requested_by=None,
        actor=Actor.system(),
        at=clock.now(),
    )
    connections.close_all()
    ctx = mp.get_context("spawn")  # a fresh interpreter: its peak RSS is the export's alone
    results = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(results,))
    proc.start()
    got = results.get()
    proc.join()
    export = Export.objects.get(pk=export.pk)
    return {
        "seconds": round(got["seconds"], 1),
        "peak_rss_mb": round(got["rss_kb"] / 1024, 1),
        "worker_cpu_seconds": round(got["cpu"], 1),  # the rest is the database's (or waiting on it)
        "rows": export.rows_done,
        "file_mb": round((export.file_size or 0) / 1e6, 1),
        "ok": export.status == "complete" and export.rows_done == export.rows_total,
        "error": export.last_error or None,
    }


def _worker(results: Any) -> None:
    django_setup()
    from recurra.core import clock
    from recurra.jobs.runner import run_due

    started = time.perf_counter()
    run_due(at=clock.now())
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put({"seconds": seconds, "rss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime})


if __name__ == "__main__":
    sys.exit(main())
