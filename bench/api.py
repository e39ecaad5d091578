"""Benchmark: the web server under load over HTTP; prints one JSON line per server configuration.

    python bench/api.py [--server gunicorn|waitress] [--workers 4] [--threads 2] [--n 100000]
        [--sqlite] [--database-url postgres://...] [--reuse] [--keep] [--checkout DIR]
        [--clients 1,8,32] [--endpoints get_subscription,...] [--duration 5] [--warmup 2]

Database as in ``bench/database.py`` (``recurra_bench_api`` on the server of a
PostgreSQL DATABASE_URL), or with ``--sqlite`` a SQLite file in a temporary
directory. ``--reuse`` keeps one seeded by an earlier run (and keeps it
afterwards); ``--keep`` keeps a fresh one.

Seeded, untimed: N subscriptions with their associations (``bench/seed_listing.py``: one or two
line items, one or two paid invoices with a payment each, a deal for one in ten; their contacts
and companies, the sandbox clock frozen), then a super admin ``bench`` with a
known password and a new super_admin API key.

Each configuration (every ``--workers`` x ``--threads`` given, comma
separated) starts the server as its own process, the command an operator
runs: ``recurra serve --workers W --threads T`` (gunicorn) or ``recurra serve
--no-worker [--threads T]`` (waitress, the embedded default, without its
billing worker: neither server has one, and an idle one only polls). With
``--checkout DIR`` that process runs DIR's ``recurra`` (PYTHONPATH=DIR): an
older commit against the same database, seeded by this checkout (so the
two must share the schema).

Timed, from a separate load-generator process (``bench/load.py``: aiohttp,
one kept-alive connection per client), for each endpoint at 1, 8 and 32
clients, ``--warmup`` seconds then ``--duration`` seconds measured:

- ``get_subscription``: ``GET /api/v1/subscriptions/{id}``, random seeded ids;
- ``list_subscriptions``: ``GET /api/v1/subscriptions?limit=50&status=active``;
- ``create_contact``: ``POST /api/v1/contacts`` with a fresh ``Idempotency-Key``;
- ``subscriptions_page``: ``GET /subscriptions/`` signed in (once, through the
  login form with its CSRF token; the session cookie kept).

Each gives requests/s, p50 and p99 (ms) and errors (non-2xx or transport),
with the CPU the load generator, the server's processes and the whole machine
used meanwhile (``loadgen_cpu`` and ``server_cpu`` in cores, ``machine_busy``
a fraction of all cores): a load generator near a full core, or a machine not
busy, says the server was not the limit.

Targets (issue 17; PostgreSQL, 2 cores, load generator on the same machine),
at 32 clients: get_subscription >= 600 req/s with p99 <= 60 ms,
list_subscriptions >= 200 req/s with p99 <= 150 ms, subscriptions_page >= 100
req/s, create_contact >= 300 req/s with no error (``met``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import database, django_setup, drop
from bench.load import ENDPOINTS, Target, drive

ROOT = Path(__file__).resolve().parents[1]

AT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
BENCH_DB = "recurra_bench_api"
USERNAME = "bench"
PASSWORD = "bench password 1"
TARGETS = {  # at 32 clients
    "get_subscription": {"rps": 600, "p99_ms": 60},
    "list_subscriptions": {"rps": 200, "p99_ms": 150},
    "subscriptions_page": {"rps": 100},
    "create_contact": {"rps": 300, "errors": 0},
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    endpoints = args.endpoints.split(",")
    unknown = set(endpoints) - set(ENDPOINTS)
    if unknown:
        raise SystemExit(f"unknown endpoints {sorted(unknown)}; known: {', '.join(ENDPOINTS)}")
    with tempfile.TemporaryDirectory(prefix="recurra-bench-api-") as tmp:
        if args.sqlite:
            url, fresh = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", True
        else:
            url, fresh = database(args.database_url, name=BENCH_DB, tmp=Path(tmp), reuse=args.reuse)
        data = Path(tmp) / "data"
        env = {
            "DATABASE_URL": url,
            "RECURRA_DATA_DIR": str(data),
            "RECURRA_MODE": "sandbox",
            "RECURRA_LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        django_setup()
        seeded, secret, ids = _prepare(args.n, fresh)
        postgres = url.startswith("postgres")
        server = args.server or ("gunicorn" if postgres else "waitress")
        workers = [int(w) for w in args.workers.split(",")] if server == "gunicorn" else [None]
        threads = [int(t) for t in args.threads.split(",")] if args.threads else [None]
        for count, (w, t) in enumerate(itertools.product(workers, threads)):
            line = {
                "bench": "api",
                "server": server,
                "workers": w,
                "threads": t or (2 if server == "gunicorn" else 8),
                "database": "postgresql" if postgres else "sqlite",
                "n": seeded,
                "checkout": str(args.checkout) if args.checkout else None,
                "commit": _commit(args.checkout or ROOT),
                "clients": [int(c) for c in args.clients.split(",")],
                "warmup": args.warmup,
                "duration": args.duration,
                "cpus": os.cpu_count(),
            }
            log = Path(tmp) / f"server-{count}.log"
            results, line["load_before"] = _measure(
                args, env, server, w, t, log, Target("", secret, USERNAME, PASSWORD, ids, 0), endpoints
            )
            line["results"] = results
            line["met"] = _met(results)
            print(json.dumps(line), flush=True)
        if postgres and not (args.keep or args.reuse):
            drop(url)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", choices=["gunicorn", "waitress"], help="default: gunicorn, waitress on SQLite")
    p.add_argument("--workers", default="4", help="gunicorn processes; a comma list runs each")
    p.add_argument("--threads", help="threads per process; a comma list runs each (default: the server's)")
    p.add_argument("--n", type=int, default=int(os.environ.get("BENCH_API_N", "100000")))
    p.add_argument("--sqlite", action="store_true", help="a SQLite file in a temporary directory")
    p.add_argument("--database-url", help="a PostgreSQL database to DROP and create for the benchmark")
    p.add_argument("--reuse", action="store_true", help="keep and reuse an already seeded database")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    p.add_argument("--checkout", type=Path, help="serve the recurra package of this checkout")
    p.add_argument("--clients", default="1,8,32", help="concurrent clients, comma separated")
    p.add_argument("--endpoints", default=",".join(ENDPOINTS), help="comma separated")
    p.add_argument("--duration", type=float, default=5.0, help="measured seconds per endpoint and clients")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each")
    return p


def _prepare(n: int, fresh: bool) -> tuple[int, str, list[str]]:
    """The seeded database (``bench.seed_listing.prepared``), the bench user, a new API key; the
    count, the key's secret, every subscription id."""
    from django.db import connections

    from bench.seed_listing import prepared
    from recurra.accounts.models import User
    from recurra.accounts.roles import Role
    from recurra.accounts.services import api_key_create
    from recurra.core.actors import Actor
    from recurra.subscriptions.models import Subscription

    seeded = prepared(n, fresh=fresh, at=AT, associations=True)
    user = User.objects.filter(username=USERNAME).first() or User(
        username=USERNAME, email="bench@bench.example", role=Role.SUPER_ADMIN
    )
    user.set_password(PASSWORD)
    user.save()
    secret = api_key_create(name="bench api", role=Role.SUPER_ADMIN, actor=Actor.system()).secret
    ids = list(Subscription.objects.values_list("id", flat=True))
    connections.close_all()
    return seeded, secret, ids


def _measure(
    args: argparse.Namespace,
    env: dict[str, str],
    server: str,
    workers: int | None,
    threads: int | None,
    log: Path,
    target: Target,
    endpoints: list[str],
) -> tuple[dict[str, dict[str, Any]], float]:
    """Start the server, drive it through every phase, stop it; results by endpoint then clients,
    and the load average just before."""
    port = _free_port()
    command = [sys.executable, "-m", "recurra.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if server == "gunicorn":
        command += ["--workers", str(workers)]
    else:
        command += ["--no-worker"]
    if threads:
        command += ["--threads", str(threads)]
    code = args.checkout.resolve() if args.checkout else ROOT
    base = f"http://127.0.0.1:{port}"
    server_env = {
        **os.environ,
        **env,
        "PYTHONPATH": str(code),
        "RECURRA_BASE_URL": base,
    }
    with open(log, "w") as out:
        process = subprocess.Popen(command, env=server_env, cwd=code, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(base, process, log)
        target = Target(
            base, target.api_key, target.username, target.password, target.subscription_ids, process.pid
        )
        phases = [(e, int(c)) for e in endpoints for c in args.clients.split(",")]
        load_before = round(os.getloadavg()[0], 2)
        ctx = mp.get_context("spawn")  # a fresh interpreter: no Django, its CPU its own
        receive, send = ctx.Pipe(duplex=False)
        generator = ctx.Process(target=drive, args=(target, phases, args.warmup, args.duration, send))
        generator.start()
        send.close()
        try:
            results: list[dict[str, Any]] = receive.recv()
        except EOFError:
            raise SystemExit("the load generator failed (its traceback is above)") from None
        finally:
            generator.join()
    finally:
        _stop(process)
    by_endpoint: dict[str, dict[str, Any]] = {}
    for result in results:
        by_endpoint.setdefault(result.pop("endpoint"), {})[str(result.pop("clients"))] = result
    return by_endpoint, load_before


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/login/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not answer within {timeout:.0f}s") from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _commit(path: Path) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(path), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def _met(results: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """Each endpoint's target at 32 clients, where it was measured."""
    met = {}
    for endpoint, target in TARGETS.items():
        result = results.get(endpoint, {}).get("32")
        if result is None:
            continue
        met[endpoint] = (
            result["rps"] >= target["rps"]
            and ("p99_ms" not in target or (result["p99_ms"] or 1e9) <= target["p99_ms"])
            and ("errors" not in target or result["errors"] <= target["errors"])
        )
    return met


if __name__ == "__main__":
    sys.exit(main())
