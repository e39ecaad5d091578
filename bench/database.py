"""The benchmarks' database: a PostgreSQL database made afresh (or kept from an earlier run), or a
SQLite file; and Django set up on it.

``--database-url`` names a PostgreSQL database that is DROPPED and made afresh;
without it, a PostgreSQL ``DATABASE_URL`` gives the server and ``name`` the
database; otherwise a SQLite file in ``tmp``. ``reuse`` keeps an existing
database as it is (a benchmark whose seed takes minutes, run again).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def database(url: str | None, *, name: str, tmp: Path, reuse: bool = False) -> tuple[str, bool]:
    """``(url, fresh)``: the benchmark's database, and whether it was made empty just now."""
    env = os.environ.get("DATABASE_URL", "")
    if not url and env.startswith("postgres"):
        url = urlunsplit(urlsplit(env)._replace(path=f"/{name}"))
    if not url:
        return f"sqlite:///{tmp / 'bench.sqlite3'}", True
    import psycopg

    db = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_maintenance(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone() is not None
        if reuse and exists:
            return url, False
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    return url, True


def drop(url: str) -> None:
    import psycopg

    with psycopg.connect(_maintenance(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def _maintenance(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recurra.settings")
    import django

    django.setup()


def vacuum_analyze() -> None:
    """What autovacuum keeps on a live database: planner statistics and, on PostgreSQL, the
    visibility map that lets counts and index scans skip the table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
