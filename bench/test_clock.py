"""Benchmark: the sandbox test clock moved 12 months over N mixed subscriptions; prints one JSON line.

    python bench/test_clock.py --n 280 [--database-url postgres://.../h_bench] [--months 12]
        [--sample FILE [--wall]] [--clock-only]

Database: ``--database-url`` (a PostgreSQL database that is DROPPED and made
afresh), else ``recurra_clock_bench`` on the server of a PostgreSQL
DATABASE_URL, else a SQLite file in a temporary directory.

Seed (untimed, :func:`seed_mixed`): subscription ``i`` bills weekly, every two
weeks, monthly (two in seven), quarterly, every six months or annually (by
``i % 7``); one in four is fixed-term (3 to 12 payments), one in five is
collected by sending invoices (net 30), the rest charge a ``tok_visa`` card.
Each starts within the month after the start (``i % 30`` days), unbilled.

Timed, on two copies of the same seed:

- ``clock_advance(to=start + months)`` from the start: ``seconds``, ``steps``
  (instants the clock stopped at), ``invoices``;
- one ``billing_run(at=start + months)``: every period due by then, billed in
  one call (what the clock's billing steps write, in as few calls as
  possible): ``run_seconds``, ``run_invoices``; then one ``run_due`` that
  renders and sends (logs) every email the run queued: ``run_emails_seconds``,
  ``run_emails``.

Emails go to the backend the product uses in sandbox without ``EMAIL_URL``:
Django's dummy backend, so each is rendered, kept in the message log and
marked ``logged`` (``EMAIL_URL`` is unset for the benchmark). ``--sample``
writes a sampling profile of the advance (``bench/sampler.py``; ``--wall``
samples real time, so waits on the database count); ``--clock-only`` skips
the billing run (for profiling).

``ratio`` = seconds / run_seconds (the target is at most 3). The clock does
more than the run: it sends the emails too (receipts, admin notices,
invoices, reminders), and rendering an email costs about as much as writing
an invoice. ``work_ratio`` = seconds / (run_seconds + run_emails_seconds)
compares it with the run doing the same kinds of work in one go.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import database, django_setup, drop

START = datetime(2027, 1, 1, 9, 30, tzinfo=UTC)
BENCH_DB = "recurra_clock_bench"
FREQUENCIES = ("weekly", "biweekly", "monthly", "monthly", "quarterly", "per_six_months", "annually")
CHUNK = 2000


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    end = START + relativedelta(months=args.months)
    load = os.getloadavg()[0]
    os.environ.pop("EMAIL_URL", None)  # the sandbox's backend: dummy (rendered, logged, not sent)
    with tempfile.TemporaryDirectory(prefix="recurra-clock-bench-") as tmp:
        if args.clock_only:
            run = {"seconds": float("nan"), "emails_seconds": float("nan"), "invoices": None, "emails": None}
        else:
            run = _timed(args, Path(tmp), lambda: _billing_run(end))
        advance = _timed(args, Path(tmp), lambda: _clock_advance(end, sample=args.sample, wall=args.wall))
    line = {
        "bench": "test_clock",
        "n": args.n,
        "months": args.months,
        "database": advance["database"],
        "seconds": advance["seconds"],
        "steps": advance["steps"],
        "invoices": advance["invoices"],
        "emails": advance["emails"],
        "run_seconds": run["seconds"],
        "run_invoices": run["invoices"],
        "run_emails_seconds": run["emails_seconds"],
        "run_emails": run["emails"],
        "ratio": round(advance["seconds"] / run["seconds"], 2),
        "work_ratio": round(advance["seconds"] / (run["seconds"] + run["emails_seconds"]), 2),
        "invoices_per_s": round(advance["invoices"] / advance["seconds"], 1),
        "load_before": round(load, 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(line), flush=True)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=280, help="subscriptions")
    p.add_argument("--months", type=int, default=12, help="how far the clock moves")
    p.add_argument("--database-url", help="a PostgreSQL database to DROP and create for the benchmark")
    p.add_argument("--sample", help="write a sampling profile of the advance here (bench/sampler.py)")
    p.add_argument("--wall", action="store_true", help="with --sample: sample real time, not CPU")
    p.add_argument("--clock-only", action="store_true", help="skip the billing run (for profiling)")
    return p


def _timed(args: argparse.Namespace, tmp: Path, work: object) -> dict[str, object]:
    """Seed a fresh database, then time ``work()`` on it (the same database name each time)."""
    (tmp / "bench.sqlite3").unlink(missing_ok=True)
    url, _ = database(args.database_url, name=BENCH_DB, tmp=tmp)
    os.environ.update(DATABASE_URL=url, RECURRA_DATA_DIR=str(tmp), RECURRA_MODE="sandbox")
    os.environ.setdefault("RECURRA_LOG_LEVEL", "WARNING")
    django_setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    seed_mixed(args.n)
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    seconds = time.perf_counter() - started - float(result.get("emails_seconds", 0))
    from recurra.invoicing.models import Invoice

    result.update(seconds=round(seconds, 3), invoices=Invoice.objects.count())
    result["database"] = "postgresql" if url.startswith("postgres") else "sqlite"
    connections.close_all()
    if url.startswith("postgres"):
        drop(url)
    return result


def _billing_run(end: datetime) -> dict[str, object]:
    """One billing run (timed by the caller); the sending of its emails timed on its own."""
    from recurra.billing.run import billing_run
    from recurra.jobs.runner import run_due

    billing_run(at=end)
    started = time.perf_counter()
    emails = run_due(at=end)
    return {"emails_seconds": round(time.perf_counter() - started, 3), "emails": emails}


def _clock_advance(end: datetime, *, sample: str | None = None, wall: bool = False) -> dict[str, object]:
    try:
        from recurra.worker.testclock import clock_advance
    except ImportError:  # the code before the worker left billing/ (for the "before" measure)
        from recurra.billing.testclock import clock_advance  # type: ignore[no-redef]

    if sample:
        from bench.sampler import Sampler

        with Sampler(sample, wall=wall):
            report = clock_advance(to=end)
    else:
        report = clock_advance(to=end)
    return {"steps": report.steps, "emails": report.emails}


def seed_mixed(n: int) -> None:
    """``n`` unbilled subscriptions starting in the month after START (see the module's doc)."""
    from django.db import transaction

    from recurra.accounts.models import User
    from recurra.accounts.selectors import account_settings
    from recurra.core import clock

    clock.freeze(START)
    account_settings()
    User.objects.create_user(username="admin", email="admin@bench.example", role="super_admin")
    for start in range(0, n, CHUNK):
        with transaction.atomic():
            _seed_chunk(range(start, min(n, start + CHUNK)))


def _seed_chunk(indexes: range) -> None:
    from recurra.core import ids
    from recurra.core.bulk import insert_objects
    from recurra.crm.models import Contact
    from recurra.payments.gateways.models import SandboxMethod
    from recurra.payments.models import PaymentMethod
    from recurra.subscriptions.models import Subscription, SubscriptionLineItem

    at = START
    contacts, sbx_methods, methods, subs, items = [], [], [], [], []
    for i in indexes:
        contact = Contact(
            id=ids.new_id("con"),
            email=f"c{i}@bench.example",
            first_name="Bench",
            last_name=f"Customer {i}",
            country="US",
            created_at=at,
            updated_at=at,
        )
        contacts.append(contact)
        method = None
        if i % 5:
            sbx = SandboxMethod(
                id=ids.new_id("sbxpm"),
                token="tok_visa",
                type="card",
                brand="visa",
                last4="4242",
                exp_month=1,
                exp_year=2031,
                created_at=at,
            )
            sbx_methods.append(sbx)
            method = PaymentMethod(
                id=ids.new_id("pm"),
                contact=contact,
                gateway="sandbox",
                gateway_method_id=sbx.pk,
                type="card",
                brand="visa",
                last4="4242",
                exp_month=1,
                exp_year=2031,
                created_at=at,
                updated_at=at,
            )
            methods.append(method)
        unit, quantity = 1000 + (i % 7) * 250, 1 + i % 3
        frequency = FREQUENCIES[i % 7]
        fixed = i % 4 == 1
        start = (at + relativedelta(days=i % 30)).date()
        sub = Subscription(
            id=ids.new_id("sub"),
            name=f"Plan {i % 7}",
            status="scheduled",
            contact=contact,
            currency="USD",
            billing_frequency=frequency,
            billing_terms="fixed" if fixed else "auto_renew",
            number_of_payments=3 + i % 10 if fixed else None,
            start_date=start,
            periods_billed=0,
            next_payment_date=start,
            next_payment_amount=unit * quantity,
            collection_method="charge_automatically" if method else "send_invoice",
            payment_terms="due_on_receipt" if method else "net_30",
            payment_method=method,
            country="US",
            created_at=at,
            updated_at=at,
        )
        subs.append(sub)
        items.append(
            SubscriptionLineItem(
                id=ids.new_id("li"),
                subscription=sub,
                name=f"Plan {i % 7}",
                unit_amount=unit,
                currency="USD",
                quantity=quantity,
                discount_percent=Decimal(0),
                tax_rate_percent=Decimal(0),
                billing_frequency=frequency,
                billing_terms="fixed" if fixed else "auto_renew",
                position=0,
            )
        )
    for rows in (contacts, sbx_methods, methods, subs, items):
        insert_objects(rows)


if __name__ == "__main__":
    sys.exit(main())
