"""Benchmark: the subscriptions index's server time over N subscriptions; prints one JSON line.

    python bench/index_query.py --n 1000000 [--database-url postgres://...] [--reuse] [--repeat 40]

Database as in ``bench/database.py`` (``recurra_bench_index`` on the server of
a PostgreSQL DATABASE_URL); ``--reuse`` keeps one seeded by an earlier run
(the seed of a million rows takes minutes and is not timed: ``bench/seed_listing.py``).

Timed, each ``--repeat`` times after two warm-up requests, in this process
through Django's test client (the whole request: session, role check,
queries, template), signed in as a super admin:

- ``first_page`` of each default view (All, Unpaid, Scheduled) and of a
  status + next-billing-date filter (Active or Unpaid, due in the next 30
  days), all sorted by next payment date;
- ``next_page`` of each: the page its "Next page" button asks for;
- ``count`` of each: the request the page makes for its count (exact when
  counted within 0.2 s, else the planner's estimate: ``recurra/core/counting.py``).

Targets (issue 6), PostgreSQL, N = 1,000,000: page median <= 50 ms and p95 <=
150 ms, the next page as fast; count <= 300 ms (an estimate past its budget is
marked as one).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import database, django_setup, drop

AT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
BENCH_DB = "recurra_bench_index"
VIEWS = {
    "all": "view=all",
    "unpaid": "view=unpaid",
    "scheduled": "view=scheduled",
    "status_and_due": "view=all&edited=1&status=active&status=past_due&due=next_30_days"
    "&sort=next_payment_date",
    "search": "view=all&edited=1&q=ingrid",  # not a target: a filter no index answers (its count estimates)
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="recurra-bench-") as tmp:
        url, fresh = database(args.database_url, name=BENCH_DB, tmp=Path(tmp), reuse=args.reuse)
        os.environ.update(DATABASE_URL=url, RECURRA_DATA_DIR=tmp, RECURRA_MODE="sandbox")
        os.environ.setdefault("RECURRA_LOG_LEVEL", "WARNING")
        django_setup()
        seeded = _prepare(args.n, fresh)
        results = {name: _measure(query, args.repeat) for name, query in VIEWS.items()}
        if url.startswith("postgres") and not (args.keep or args.reuse):
            drop(url)
    line = {
        "bench": "index_query",
        "n": seeded,
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "repeat": args.repeat,
        **results,
        "load_before": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(line), flush=True)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=int(os.environ.get("BENCH_INDEX_N", "1000000")))
    p.add_argument("--repeat", type=int, default=40, help="timed requests of each kind")
    p.add_argument("--database-url", help="a PostgreSQL database to DROP and create for the benchmark")
    p.add_argument("--reuse", action="store_true", help="keep and reuse an already seeded database")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    return p


def _prepare(n: int, fresh: bool) -> int:
    """The seeded database (``bench.seed_listing.prepared``) and its super admin; the count."""
    from bench.seed_listing import prepared
    from recurra.accounts.models import User

    seeded = prepared(n, fresh=fresh, at=AT)
    if not User.objects.filter(username="admin").exists():
        User.objects.create_user(username="admin", email="admin@bench.example", role="super_admin")
    return seeded


def _client() -> Any:
    from django.test import Client

    from recurra.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="admin"))
    return client


def _timed(client: Any, url: str, repeat: int) -> tuple[dict[str, float], str]:
    """The median and p95 of ``repeat`` requests of ``url`` (after two warm-ups), and the last page."""
    for _ in range(2):
        response = client.get(url)
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    times = {"median_ms": round(statistics.median(seconds) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}
    return times, response.content.decode()


def _measure(query: str, repeat: int) -> dict[str, Any]:
    """The page, the page after it (the URL its Next page button asks for) and the count, timed."""
    client = _client()
    first, page = _timed(client, f"/subscriptions/?{query}", repeat)
    rows = page.count("<tr data-id=")
    cursor = re.search(r'name="cursor" value="([^"]+)"', page)
    next_query = f"{query}&edited=1&cursor={cursor[1]}&page=2" if cursor else None
    second = _timed(client, f"/subscriptions/?{next_query}", repeat)[0] if next_query else None
    count, counted = _timed(client, f"/subscriptions/count/?{query}", repeat)
    shown = re.sub(r"<[^>]+>", "", counted).strip()
    return {"first_page": first, "next_page": second, "rows": rows, "count": {**count, "shown": shown}}


if __name__ == "__main__":
    sys.exit(main())
