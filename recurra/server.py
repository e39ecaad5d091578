"""The production web server (gunicorn), and the static files every ``recurra serve`` collects first.

``recurra serve --workers N [--threads T]`` runs :class:`GunicornServer`:
a master process that loads Django once (``preload_app``) and forks N worker
processes of T threads each (the ``gthread`` worker: a kept-alive idle
connection waits in a poller, not in a thread). No billing worker runs
inside them: ``recurra worker`` processes run beside it. The master closes
every database connection before each fork, so no two processes share one;
each thread then opens its own and keeps it ``CONN_MAX_AGE`` seconds.

SIGTERM stops gracefully: the listening socket closes, requests under way
finish (at most ``GRACEFUL_TIMEOUT`` seconds), then the master exits 0.
SIGINT (Ctrl+C) stops at once. A worker silent for ``TIMEOUT`` seconds (stuck,
not a slow request: a gthread worker's main thread keeps reporting while its
threads work) is killed and replaced. Without ``--access-log`` no line is
written per request; errors still go to stderr.

Metrics (``core.metrics``) are kept in files shared by the workers
(prometheus-client's multiprocess mode, set up before the fork), so
``/metrics`` on any worker counts the requests of all of them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from recurra.core import metrics

TIMEOUT = 30
GRACEFUL_TIMEOUT = 20  # below systemd's default TimeoutStopSec (90 s) with room to spare
KEEPALIVE = 5  # seconds an idle kept-alive connection stays open (a proxy's pool reuses it)
# gunicorn's default line and the request id the answer carries (the one in the app's own log lines)
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
STAMP = ".recurra-sources"  # in STATIC_ROOT: what the last collection was made from


class GunicornServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn run from Python (``recurra serve --workers``) rather than its own command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from django.urls import get_resolver

        from recurra.wsgi import application

        get_resolver().reverse_dict  # noqa: B018  # built once here, shared by every fork
        return application


def gunicorn_options(*, host: str, port: int, workers: int, threads: int, access_log: bool) -> dict[str, Any]:
    """gunicorn's settings for ``recurra serve --workers``."""
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "timeout": TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": KEEPALIVE,
        "accesslog": "-" if access_log else None,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "proc_name": "recurra",
        "pre_fork": _close_connections,
        "child_exit": metrics.child_exit,  # a gone worker's live values go with it
    }


def serve_gunicorn(*, host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    """Run gunicorn until SIGTERM or SIGINT (blocks; gunicorn exits the process when stopped)."""
    options = gunicorn_options(host=host, port=port, workers=workers, threads=threads, access_log=access_log)
    metrics.multiprocess_prepare()  # before the fork: every worker's counts add up in /metrics
    GunicornServer(options).run()


def _close_connections(server: Any, worker: Any) -> None:
    """gunicorn's ``pre_fork`` hook: a child must not inherit (and share) the master's connections."""
    from django.db import connections

    connections.close_all()


def static_files_collect() -> bool:
    """``collectstatic`` into STATIC_ROOT (``recurra.web.staticfiles``) unless the source files are
    those of the last collection (same names, sizes and modification times, same storage); True
    when it ran. A first collection takes seconds (gzip); an unchanged one, a directory walk."""
    from django.conf import settings
    from django.core.management import call_command

    stamp = Path(settings.STATIC_ROOT) / STAMP
    sources = _sources_digest()
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == sources:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(sources)
    return True


def _sources_digest() -> str:
    """A digest of every file the finders would collect: its name, size and modification time."""
    from django.apps import apps
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    ignore = apps.get_app_config("staticfiles").ignore_patterns  # type: ignore[attr-defined]
    entries = set()
    for finder in get_finders():
        for path, storage in finder.list(ignore):
            stat = os.stat(storage.path(path))
            entries.add(f"{getattr(storage, 'prefix', '') or ''}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    digest = hashlib.sha256(repr(settings.STORAGES["staticfiles"]).encode())
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()
