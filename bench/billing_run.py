"""Benchmark: one billing run over N due monthly renewals; prints one JSON line.

    python bench/billing_run.py --n 100000 [--workers 2] [--database-url postgres://...] [--profile out.txt]

Database: ``--database-url`` (a PostgreSQL database that is DROPPED and made
afresh), else ``recurra_bench`` on the server of a PostgreSQL DATABASE_URL,
else a SQLite file in a temporary directory. The seed (``bench/seed.py``:
90% tok_visa, 5% tok_fail_renewals that fail now, 5% send_invoice) is not
timed. Then W fresh processes (``--workers``) run ``billing_run`` at once over
the same due work; ``seconds`` is from the first start to the last finish.
The run is checked (one invoice per subscription, one charge per payment,
nothing pending). ``floor_seconds`` is the time to write the very rows the
run wrote straight into empty copies of their tables (``bench/floor.py``);
``floor_ratio`` = seconds / floor_seconds. ``peak_rss_mb`` is the largest
peak RSS of one billing process (``rss_total_mb``: all of them);
``worker_cpu_seconds`` their CPU time (Python's share, the rest is waiting on
the database); ``load_before`` the machine's load average when it started.

Targets on the 2-core machine, PostgreSQL, N = 100,000: >= 2,000 renewals/s
with one worker, floor ratio < 5, peak RSS < 500 MB (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
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
BENCH_DB = "recurra_bench"
_STATEMENT = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', re.IGNORECASE)  # the statement's table


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="recurra-bench-") as tmp:
        url, _ = database(args.database_url, name=BENCH_DB, tmp=Path(tmp))
        os.environ.update(DATABASE_URL=url, RECURRA_DATA_DIR=tmp, RECURRA_MODE="sandbox")
        os.environ.setdefault("RECURRA_LOG_LEVEL", "WARNING")
        load = os.getloadavg()[0]
        _prepare(args.n, webhook_endpoint=args.webhook_endpoint, workflows=args.workflows)
        result = _run(args)
        checks = _check(args.n)
        floor, rows = _floor(url)
        if url.startswith("postgres") and not args.keep:
            drop(url)
    seconds = result["seconds"]
    line = {
        "bench": "billing_run",
        "n": args.n,
        "workers": args.workers,
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "seconds": round(seconds, 3),
        "renewals_per_s": round(args.n / seconds, 1),
        "floor_seconds": round(floor, 3),
        "floor_ratio": round(seconds / floor, 2),
        "peak_rss_mb": result["peak_rss_mb"],
        "rss_total_mb": result["rss_total_mb"],
        "worker_cpu_seconds": result["cpu_seconds"],
        "batch_size": args.batch_size,
        "webhook_endpoint": args.webhook_endpoint,
        "workflows": 20 if args.workflows else 0,
        "rows": rows,
        **checks,
        "load_before": round(load, 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(line), flush=True)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--n", type=int, default=int(os.environ.get("BENCH_N", "100000")), help="due subscriptions"
    )
    p.add_argument("--workers", type=int, default=1, help="billing processes racing over the same work")
    p.add_argument("--database-url", help="a PostgreSQL database to DROP and create for the benchmark")
    p.add_argument("--batch-size", type=int, default=None, help="billing_run's batch size (default: its own)")
    p.add_argument("--profile", help="write cProfile's top 30 and SQL statement counts (worker 0) here")
    p.add_argument(
        "--sample",
        help="write a sampling CPU profile (worker 0) here (bench/sampler.py); worker 0 then bills with "
        "one thread (a signal samples only the main thread)",
    )
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    p.add_argument(
        "--webhook-endpoint",
        action="store_true",
        help='register a webhook endpoint for "*" first: the run writes a public event and a delivery '
        "per change it makes (not sent: the run does not deliver)",
    )
    p.add_argument(
        "--workflows",
        action="store_true",
        help="enable the twenty workflows of bench/workflow_mix.py first (the run itself never evaluates "
        "them: the worker's cursor does, after; bench/workflows.py times that)",
    )
    return p


def _prepare(n: int, *, webhook_endpoint: bool = False, workflows: bool = False) -> None:
    """Migrate, freeze the clock at AT, add the super admin who gets merchant notices, seed, analyze."""
    django_setup()
    from django.core.management import call_command
    from django.db import connections

    from bench.seed import seed_due_subscriptions
    from recurra.accounts.models import User
    from recurra.core import clock

    call_command("migrate", verbosity=0)
    clock.freeze(AT)
    User.objects.create_user(username="admin", email="admin@bench.example", role="super_admin")
    seed_due_subscriptions(n, at=AT)
    if webhook_endpoint:
        from recurra.automation.webhooks.services import endpoint_create
        from recurra.core.actors import Actor

        endpoint_create(url="http://127.0.0.1:9/hook", enabled_events=["*"], actor=Actor.system(), at=AT)
    if workflows:
        from bench import workflow_mix

        workflow_mix.create(at=AT)
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner statistics a live database keeps (autovacuum)
    connections.close_all()  # the billing processes start fresh, with their own connections


def _run(args: argparse.Namespace) -> dict[str, Any]:
    ctx = mp.get_context("spawn")  # fresh interpreters: their peak RSS is the run's alone
    barrier = ctx.Barrier(args.workers)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker,
            args=(i, barrier, results, args.batch_size, _profile_arg(args) if i == 0 else None),
        )
        for i in range(args.workers)
    ]
    for proc in procs:
        proc.start()
    got = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"a billing process failed (exit code {proc.exitcode})")
    if any("error" in r for r in got):
        raise SystemExit(f"a billing process failed: {[r['error'] for r in got if 'error' in r]}")
    return {
        "seconds": max(r["end"] for r in got) - min(r["start"] for r in got),
        "peak_rss_mb": round(max(r["rss_kb"] for r in got) / 1024, 1),
        "rss_total_mb": round(sum(r["rss_kb"] for r in got) / 1024, 1),
        "cpu_seconds": round(sum(r["cpu"] for r in got), 1),
    }


def _worker(index: int, barrier: Any, results: Any, batch_size: int | None, profile: str | None) -> None:
    try:
        django_setup()
        from recurra.billing.run import billing_run

        kwargs = {"batch_size": batch_size} if batch_size else {}
        profiler = _profiler(profile)
        if profile and profile.startswith("sample:"):
            kwargs["threads"] = 1  # the sampler sees the main thread only: bill on it
        barrier.wait()
        start = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        if profiler:
            with profiler:
                billing_run(at=AT, **kwargs)
        else:
            billing_run(at=AT, **kwargs)
        end = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime
        results.put({"index": index, "start": start, "end": end, "rss_kb": usage.ru_maxrss, "cpu": cpu})
    except BaseException as exc:
        results.put({"index": index, "error": repr(exc)})
        raise


def _profile_arg(args: argparse.Namespace) -> str | None:
    return f"sample:{args.sample}" if args.sample else args.profile


def _profiler(arg: str | None) -> Any:
    if arg is None:
        return None
    if arg.startswith("sample:"):
        from bench.sampler import Sampler

        return Sampler(arg.removeprefix("sample:"))
    return _Profiler(arg)


class _Profiler:
    """cProfile (top 30 by cumulative, top 20 by own time) and the SQL statements sent, by kind and table.

    Statements are counted on psycopg's cursor class, so those the engine sends
    past Django's cursor (``core.bulk``) are counted too.
    """

    def __init__(self, path: str) -> None:
        import cProfile
        from collections import Counter

        self.path = path
        self.profile = cProfile.Profile()
        self.statements: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()  # in execute, profiled (the database's share mostly)

    def _counting(self, method: Any) -> Any:
        def counted(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            sql = (
                query if isinstance(query, str) else getattr(query, "as_string", lambda _: str(query))(cursor)
            )
            match = _STATEMENT.search(sql)
            kind = sql.split(None, 1)[0].upper() if sql.strip() else "?"
            key = f"{kind} {match.group(1) if match else ''}".strip()
            self.statements[key] += 1
            started = time.perf_counter()
            try:
                return method(cursor, query, *args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - started

        return counted

    def __enter__(self) -> None:
        import psycopg

        self._saved = (psycopg.Cursor.execute, psycopg.Cursor.executemany)
        psycopg.Cursor.execute = self._counting(self._saved[0])  # type: ignore[method-assign]
        psycopg.Cursor.executemany = self._counting(self._saved[1])  # type: ignore[method-assign]
        self.profile.enable()

    def __exit__(self, *exc: Any) -> None:
        import io
        import pstats

        import psycopg

        self.profile.disable()
        psycopg.Cursor.execute, psycopg.Cursor.executemany = self._saved  # type: ignore[method-assign]
        out = io.StringIO()
        self.profile.dump_stats(self.path + ".prof")  # for pstats / snakeviz
        stats = pstats.Stats(self.profile, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        batches = max(1, self.statements["UPDATE invoicing_invoicesequence"])
        lines = [
            f"{count:8d} {count / batches:8.1f} {self.seconds[kind]:8.2f}  {kind}"
            for kind, count in self.statements.most_common()
        ]
        total = sum(self.statements.values())
        head = f"\nSQL statements: {total} in {batches} batches ({total / batches:.1f} per batch)\n"
        Path(self.path).write_text(
            out.getvalue() + head + "   total per batch  seconds\n" + "\n".join(lines) + "\n"
        )


def _check(n: int) -> dict[str, Any]:
    """What the run did, checked: every renewal invoiced once, every payment charged once, none pending."""
    from django.db import connection

    from bench.seed import SEND_INVOICE, kind_of

    counts = {}
    with connection.cursor() as cursor:
        for name, sql in {
            "invoices": "SELECT count(*) FROM invoicing_invoice",
            "payments": "SELECT count(*) FROM payments_payment",
            "pending": "SELECT count(*) FROM payments_payment WHERE status = 'pending'",
            "failed": "SELECT count(*) FROM payments_payment WHERE status = 'failed'",
            "charges": "SELECT count(*) FROM gateways_sandboxcharge WHERE idempotency_key NOT LIKE 'seed/%%'",
            "unmatched": "SELECT count(*) FROM gateways_sandboxcharge c LEFT JOIN payments_payment p "
            "ON p.idempotency_key = c.idempotency_key "
            "WHERE c.idempotency_key NOT LIKE 'seed/%%' AND p.id IS NULL",
            "still_due": "SELECT count(*) FROM subscriptions_subscription WHERE next_payment_date <= %s",
        }.items():
            cursor.execute(sql, [AT.date()] if "%s" in sql else [])
            counts[name] = cursor.fetchone()[0]
    automatic = sum(1 for i in range(n) if kind_of(i) != SEND_INVOICE)
    ok = (
        counts["invoices"] == n
        and counts["payments"] == counts["charges"] == automatic
        and counts["pending"] == counts["unmatched"] == counts["still_due"] == 0
    )
    if not ok:
        print(f"billing run check FAILED: {counts}", file=sys.stderr)
    connection.close()
    return {"ok": ok, "checks": counts}


def _floor(url: str) -> tuple[float, dict[str, int]]:
    from bench.floor import pg_floor, sqlite_floor

    if url.startswith("postgres"):
        return pg_floor(url, AT)
    from django.db import connection

    stored = connection.ops.adapt_datetimefield_value(AT)
    return sqlite_floor(url.removeprefix("sqlite:///"), str(stored))


if __name__ == "__main__":
    sys.exit(main())
