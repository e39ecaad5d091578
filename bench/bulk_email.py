"""Benchmark: an email to N contacts (a list's members): messages queued per second; one JSON line.

    python bench/bulk_email.py --n 10000 [--database-url postgres://.../bulk_bench] [--no-deliver]
                               [--profile out.txt]

Database: ``--database-url`` (a PostgreSQL database that is DROPPED and made afresh), else
``recurra_bulk_email_bench`` on the server of a PostgreSQL DATABASE_URL, else a SQLite file in a
temporary directory.

Seed (untimed): N contacts, each with a monthly subscription (``bench/seed.py``); 1 in 20
unsubscribed (``email_opt_out``).
Timed: ``bulk_email_send`` (the API's request: the bulk email, its addresses, one job) and then the
job (``bulk_email_run``: a batch of 1,000 addresses per transaction, placeholders filled from each
contact and their soonest subscription, one ``list_email`` queued per address): ``per_second`` is the
messages queued over both. Then, unless ``--no-deliver``, the email queue (``run_due``) renders and
keeps every message, without ``EMAIL_URL`` (logged: what a worker does but the SMTP round trips):
``deliver_per_second``.
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
BENCH_DB = "recurra_bulk_email_bench"
SUBJECT = (
    "{{ contact.first_name }}, your {{ subscription.name }} renews on {{ subscription.next_payment_date }}"
)
BODY = (
    "Hi {{ contact.first_name }} {{ contact.last_name }},\n\n"
    "Your {{ subscription.name }} renews on {{ subscription.next_payment_date }}. "
    "Renew for a year now and get two months free: https://example.com/renew\n\nThe team"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--no-deliver", action="store_true", help="stop once the messages are queued")
    parser.add_argument("--profile", help="write a cProfile of the queueing (send and job) here")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="recurra-bench-") as tmp:
        url, _ = database(args.database_url, name=BENCH_DB, tmp=Path(tmp))
        os.environ.update(DATABASE_URL=url, RECURRA_DATA_DIR=tmp, RECURRA_MODE="sandbox")
        os.environ.pop("EMAIL_URL", None)
        os.environ.setdefault("RECURRA_LOG_LEVEL", "WARNING")
        django_setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.db import connections

        from bench.database import vacuum_analyze
        from bench.seed import seed_due_subscriptions
        from recurra.core import clock
        from recurra.core.actors import Actor
        from recurra.crm.models import Contact
        from recurra.jobs.runner import run_due
        from recurra.notifications.bulk import bulk_email_run, bulk_email_send
        from recurra.notifications.models import EmailMessage

        clock.freeze(AT)
        seed_due_subscriptions(args.n, at=AT)
        opted_out = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[::20])
        Contact.objects.filter(pk__in=opted_out).update(email_opt_out=True)
        vacuum_analyze()

        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        sent = bulk_email_send(
            contacts=Contact.objects.all(),
            subject=SUBJECT,
            body=BODY,
            source="bench",
            actor=Actor("user", "1", "Bench"),
            at=AT,
        )
        submitted = time.perf_counter() - started
        bulk_email_run(bulk_email_id=sent.pk, at=AT, budget_s=float("inf"))  # the job's body
        queue_seconds = time.perf_counter() - started - submitted
        if profiler is not None:
            import pstats

            profiler.disable()
            with open(args.profile, "w") as out:
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        sent.refresh_from_db()
        queued = EmailMessage.objects.filter(kind="list_email").count()
        deliver_seconds = None
        delivered = 0
        if not args.no_deliver:
            started = time.perf_counter()
            run_due(at=AT)  # the bulk email's job is done: this is the email queue
            deliver_seconds = time.perf_counter() - started
            delivered = EmailMessage.objects.filter(kind="list_email", status="logged").count()
        vendor = "postgresql" if url.startswith("postgres") else "sqlite"
        connections.close_all()
        if url.startswith("postgres"):
            drop(url)
    total = submitted + queue_seconds
    ok = sent.status == "sent" and queued == sent.sent == args.n - len(opted_out)
    ok = ok and sent.sent + sent.skipped_opted_out + sent.skipped_missing == sent.recipients
    ok = ok and (args.no_deliver or delivered == queued)
    print(
        json.dumps(
            {
                "bench": "bulk_email",
                "database": vendor,
                "n": args.n,
                "recipients": sent.recipients,
                "queued": queued,
                "skipped_opted_out": sent.skipped_opted_out,
                "submit_seconds": round(submitted, 3),
                "queue_seconds": round(queue_seconds, 3),
                "per_second": round(queued / total, 1),
                "deliver_seconds": None if deliver_seconds is None else round(deliver_seconds, 3),
                "deliver_per_second": None
                if deliver_seconds is None
                else round(delivered / deliver_seconds, 1),
                "ok": ok,
                "load_before": round(load, 2),
                "cpus": os.cpu_count(),
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
