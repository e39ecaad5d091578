"""The ``recurra`` command: serve, worker, clock, migrate, demo, apikey, doctor; ``manage`` runs Django's."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

GUNICORN_THREADS = 2  # per process, with --workers (docs/deployment.md: what measured best)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recurra.settings")
    import django

    django.setup()


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    print("Database is up to date.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from recurra.demo import seed_demo

    credentials = seed_demo()
    from django.conf import settings

    print(f"Recurra demo is ready at {settings.RECURRA_BASE_URL}/")
    print(f"  sign in as: {credentials.username} / {credentials.password}")
    print(f"  API docs:   {settings.RECURRA_BASE_URL}/api/v1/docs")
    print("  API key (super_admin):")
    print(credentials.api_key)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """waitress with the worker in process (the embedded default), or with ``--workers`` gunicorn's
    processes and no worker (``recurra.server``). Static files are collected first, either way."""
    from recurra.server import serve_gunicorn, static_files_collect

    static_files_collect()  # before the app loads: WhiteNoise lists the files when it starts
    if args.workers:
        _serve_note(args)
        serve_gunicorn(
            host=args.host,
            port=args.port,
            workers=args.workers,
            threads=args.threads or GUNICORN_THREADS,
            access_log=args.access_log,
        )
        return 0
    return _serve_waitress(args)


def _serve_note(args: argparse.Namespace) -> None:
    from django.db import connection

    threads = args.threads or GUNICORN_THREADS
    print(
        f"Serving Recurra on http://{args.host}:{args.port}/ with {args.workers} processes of {threads} "
        "threads; run `recurra worker` beside it for billing and emails (SIGTERM or Ctrl+C to stop)",
        flush=True,
    )
    if connection.vendor == "sqlite":
        print("note: on SQLite every write waits for the one writer; use PostgreSQL with --workers")


def _serve_waitress(args: argparse.Namespace) -> int:
    import signal
    import threading

    from waitress import serve

    from recurra.worker.loop import run_forever
    from recurra.wsgi import application

    stop = threading.Event()

    def interrupt(*_: object) -> None:  # SIGTERM as Ctrl+C: the server returns, the worker stops
        stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    worker = threading.Thread(target=run_forever, args=(stop,), name="recurra-worker", daemon=True)
    if not args.no_worker:
        worker.start()
    print(f"Serving Recurra on http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    try:
        serve(application, host=args.host, port=args.port, threads=args.threads or 8, ident="recurra")
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(timeout=10)  # it stops between items (an email, a billing batch)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from recurra.worker.loop import run_forever

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # the pass under way ends between items
        signal.signal(sig, lambda *_: stop.set())
    print("Recurra worker running (Ctrl+C to stop)", flush=True)
    run_forever(stop, interval=args.interval)
    return 0


def cmd_clock_advance(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from recurra.core.clock import ClockError
    from recurra.worker.testclock import clock_advance

    try:
        to = datetime.fromisoformat(args.to.replace("Z", "+00:00"))
    except ValueError:
        print(
            f"error: --to must be an ISO 8601 time such as 2027-03-01T00:00:00Z, not {args.to!r}",
            file=sys.stderr,
        )
        return 2
    if to.tzinfo is None:
        to = to.replace(tzinfo=UTC)
    try:
        report = clock_advance(to=to)
    except ClockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"Test clock at {report.to.isoformat()}: {report.invoices} invoices, "
        f"{report.payments} payments, {report.emails} emails in {report.steps} steps."
    )
    return 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from recurra.accounts.services import api_key_create
    from recurra.core.actors import Actor
    from recurra.core.errors import RecurraError

    try:
        issued = api_key_create(name=args.name, role=args.role, actor=Actor("system", "", "recurra cli"))
    except RecurraError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(f"Created API key {issued.key.pk} ({issued.key.role}) named {issued.key.name!r}.")
    print("Store it now; it is not shown again:")
    print(issued.secret)
    return 0


def cmd_apikey_list(args: argparse.Namespace) -> int:
    from recurra.accounts.models import ApiKey

    for key in ApiKey.objects.all():
        state = "revoked" if key.revoked_at else "active"
        used = key.last_used_at.isoformat() if key.last_used_at else "never"
        print(f"{key.pk}  {key.prefix}…  {key.role:<11}  {state:<7}  last used {used}  {key.name}")
    return 0


def cmd_apikey_revoke(args: argparse.Namespace) -> int:
    from recurra.accounts.models import ApiKey
    from recurra.accounts.services import api_key_revoke
    from recurra.core import clock
    from recurra.core.actors import Actor
    from recurra.core.errors import RecurraError

    key = ApiKey.objects.filter(pk=args.id).first()
    if key is None:
        print(f"error: no API key {args.id}", file=sys.stderr)
        return 2
    try:
        api_key_revoke(key=key, actor=Actor("system", "", "recurra cli"), at=clock.now())
    except RecurraError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(f"Revoked {key.pk}.")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """One line per check of the payment processor (``payments.doctor``); 1 if any failed."""
    from recurra.payments.doctor import processor_checks

    checks = processor_checks()
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"{'ok' if check.ok else 'FAIL':<4}  {check.name:<{width}}  {check.message}")
    failed = sum(not check.ok for check in checks)
    print(f"{failed} of {len(checks)} checks failed." if failed else f"All {len(checks)} checks passed.")
    return 1 if failed else 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["recurra manage", *args.rest])
    return 0


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recurra", description="Subscriptions and recurring billing.")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="web app, API and an in-process worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_at_least_one,
        metavar="N",
        help="production: gunicorn with N web processes and no worker inside (run `recurra worker`)",
    )
    serve.add_argument(
        "--threads",
        type=_at_least_one,
        metavar="T",
        help=f"threads per process (default 8 alone, {GUNICORN_THREADS} with --workers)",
    )
    serve.add_argument("--access-log", action="store_true", help="with --workers: a line per request")
    serve.add_argument(
        "--no-worker", action="store_true", help="web and API only (run `recurra worker` apart)"
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="the billing run and the jobs, in a loop")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds to wait when idle")
    worker.set_defaults(func=cmd_worker)

    clock_actions = sub.add_parser("clock", help="the sandbox test clock").add_subparsers(
        dest="action", required=True
    )
    advance = clock_actions.add_parser("advance", help="move forward, running all due work in time order")
    advance.add_argument("--to", required=True, help="ISO 8601, e.g. 2027-03-01T00:00:00Z (UTC if no zone)")
    advance.set_defaults(func=cmd_clock_advance)

    migrate = sub.add_parser("migrate", help="create or upgrade the database")
    migrate.add_argument("--verbose", action="store_true")
    migrate.set_defaults(func=cmd_migrate)

    sub.add_parser("demo", help="seed demo data (idempotent; sandbox only)").set_defaults(func=cmd_demo)

    apikey = sub.add_parser("apikey", help="manage API keys").add_subparsers(dest="action", required=True)
    create = apikey.add_parser("create", help="create a key; prints it alone on the last line")
    create.add_argument("--role", required=True, choices=["viewer", "editor", "super_admin"])
    create.add_argument("--name", default="API key")
    create.set_defaults(func=cmd_apikey_create)
    apikey.add_parser("list", help="list keys (never their secrets)").set_defaults(func=cmd_apikey_list)
    revoke = apikey.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id")
    revoke.set_defaults(func=cmd_apikey_revoke)

    sub.add_parser(
        "doctor", help="check the payment processor: keys, their mode, the webhook secret and URL"
    ).set_defaults(func=cmd_doctor)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command. A wrong setting (an unknown RECURRA_GATEWAY, missing Stripe keys, a weak
    SECRET_KEY in live mode…) is one line on stderr and status 2, before anything starts."""
    from django.core.exceptions import ImproperlyConfigured

    args = parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        _setup()
        return func(args)
    except ImproperlyConfigured as exc:
        print(f"recurra: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
