"""Benchmark: the workflows' event cursor, audit events evaluated per second with 20 enabled
workflows; one JSON line.

    python bench/workflows.py --n 20000 [--database-url postgres://.../wf_bench] [--profile out.txt]

Database: ``--database-url`` (a PostgreSQL database that is DROPPED and made afresh), else
``recurra_workflows_bench`` on the server of a PostgreSQL DATABASE_URL, else a SQLite file in a
temporary directory.

Seed (untimed): N monthly renewals due now (``bench/seed.py``: 5% of them decline), the twenty
workflows of ``bench/workflow_mix.py`` enabled, then one billing run: the audit events a day of
renewals writes (invoices, payments, status changes, dates moved). Timed: ``workflows_enroll``, the
worker step that reads the events after the cursor, asks every workflow's trigger about each,
narrows by filters and writes the enrollments, until it has caught up. ``events`` is how many it
moved past, ``read`` how many of them it read (those about subscriptions, and the types event
triggers follow: the rest are left out by the query), ``per_second`` events per second,
``enrollments`` how many it wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import database, django_setup, drop

AT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
BENCH_DB = "recurra_workflows_bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", help="write a cProfile of the timed part here")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="recurra-bench-") as tmp:
        url, _ = database(args.database_url, name=BENCH_DB, tmp=Path(tmp))
        os.environ.update(DATABASE_URL=url, RECURRA_DATA_DIR=tmp, RECURRA_MODE="sandbox")
        os.environ.setdefault("RECURRA_LOG_LEVEL", "WARNING")
        django_setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        from bench import workflow_mix
        from bench.seed import seed_due_subscriptions
        from recurra.automation.models import Enrollment
        from recurra.automation.workflows.enrolling import CURSOR, wanted, workflows_enroll
        from recurra.automation.workflows.live import live_workflows
        from recurra.billing.run import billing_run
        from recurra.core import clock, cursors
        from recurra.core.models import Event

        clock.freeze(AT)
        seed_due_subscriptions(args.n, at=AT)
        workflows = workflow_mix.create(at=AT)
        time.sleep(0.01)
        billing_run(at=AT)
        start = cursors.position(CURSOR)
        events = Event.objects.filter(id__gt=start).count()
        read = Event.objects.filter(wanted(live_workflows()), id__gt=start).count()
        time.sleep(0.5)  # the events settle (RECURRA_WORKFLOW_SETTLE_MS)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        workflows_enroll(at=AT)
        seconds = time.perf_counter() - started
        if profiler is not None:
            import pstats

            profiler.disable()
            with open(args.profile, "w") as out:
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        enrolled = Enrollment.objects.count()
        caught_up = not Event.objects.filter(id__gt=cursors.position(CURSOR)).exists()
        vendor = "postgresql" if url.startswith("postgres") else "sqlite"
        connections.close_all()
        if url.startswith("postgres"):
            drop(url)
    print(
        json.dumps(
            {
                "bench": "workflows",
                "database": vendor,
                "n": args.n,
                "workflows": workflows,
                "events": events,
                "read": read,
                "seconds": round(seconds, 3),
                "per_second": round(events / seconds, 1),
                "enrollments": enrolled,
                "caught_up": caught_up,
                "load_before": round(load, 2),
                "cpus": os.cpu_count(),
            }
        )
    )
    return 0 if caught_up else 1


if __name__ == "__main__":
    sys.exit(main())
