"""The floor of a billing run: writing the very rows it wrote, as fast as the database takes rows.

After the run, every row it wrote (:data:`WRITTEN`) is dumped to a file
(untimed), then loaded, timed, into an empty copy of its table in ONE
transaction: PostgreSQL through ``COPY ... FROM STDIN (FORMAT binary)`` into
``CREATE TABLE floor_x (LIKE x INCLUDING ALL)`` (same indexes and checks, no
foreign keys); SQLite through ``executemany`` into a copy made from the
table's own DDL and indexes (foreign keys unchecked: a plain sqlite3
connection leaves them off). No billing run can beat that: it computes the
same rows and also reads, locks, updates rows twice and talks to the gateway.
Memory stays bounded: rows stream through files in chunks.
"""

from __future__ import annotations

import pickle
import re
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

# table -> which of its rows the run wrote (the seed writes none of these but sandbox charges,
# whose keys start with "seed/", and subscriptions, which the run updates at its own ``at``).
WRITTEN: dict[str, str] = {
    "invoicing_invoice": "TRUE",
    "invoicing_invoiceline": "TRUE",
    "payments_payment": "TRUE",
    "gateways_sandboxcharge": "idempotency_key NOT LIKE 'seed/%%'",
    "core_event": "TRUE",
    "notifications_emailmessage": "TRUE",
    "subscriptions_subscription": "updated_at = %(at)s",
}
FLOOR = "floor_"
CHUNK = 5000


def pg_floor(url: str, at: Any) -> tuple[float, dict[str, int]]:
    """Seconds to COPY the run's rows into empty copies (one transaction), and rows per table."""
    import psycopg

    rows: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(url, autocommit=True) as conn:
        for table, where in WRITTEN.items():
            conn.execute(f"DROP TABLE IF EXISTS {FLOOR}{table}")
            conn.execute(f"CREATE TABLE {FLOOR}{table} (LIKE {table} INCLUDING ALL)")
            columns = _pg_stored(conn, table)
            query = psycopg.ClientCursor(conn).mogrify(
                f"SELECT {columns} FROM {table} WHERE {where}", {"at": at}
            )
            with (
                open(Path(tmp) / table, "wb") as out,
                conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy,
            ):
                for data in copy:
                    out.write(data)
            rows[table] = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", {"at": at}).fetchone()[
                0
            ]
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with conn.transaction():
            for table in WRITTEN:
                with (
                    open(Path(tmp) / table, "rb") as src,
                    conn.cursor().copy(
                        f"COPY {FLOOR}{table} ({_pg_stored(conn, table)}) FROM STDIN (FORMAT binary)"
                    ) as copy,
                ):
                    while data := src.read(1 << 20):
                        copy.write(data)
        seconds = time.perf_counter() - started
        for table in WRITTEN:
            conn.execute(f"DROP TABLE {FLOOR}{table}")
    return seconds, rows


def _pg_stored(conn: Any, table: str) -> str:
    """The columns a row's writer writes: all but those the database generates (``mrr``)."""
    names = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_generated = 'NEVER' "
        "ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return ", ".join(f'"{name}"' for (name,) in names)


def _sqlite_stored(conn: sqlite3.Connection, table: str) -> str:
    """The same on SQLite (``table_xinfo``'s hidden 2 and 3 are generated columns)."""
    names = [row[1] for row in conn.execute(f'PRAGMA table_xinfo("{table}")') if row[6] not in (2, 3)]
    return ", ".join(f'"{name}"' for name in names)


def sqlite_floor(path: str, at: str) -> tuple[float, dict[str, int]]:
    """The same on SQLite: ``executemany`` of the run's rows into empty copies, one transaction."""
    rows: dict[str, int] = {}
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for table, where in WRITTEN.items():
                _copy_schema(conn, table)
                rows[table] = _dump(conn, table, where.replace("%%", "%").replace("%(at)s", "?"), at, tmp)
            started = time.perf_counter()
            conn.execute("BEGIN")
            for table in WRITTEN:
                _load(conn, table, tmp)
            conn.execute("COMMIT")
            seconds = time.perf_counter() - started
            for table in WRITTEN:
                conn.execute(f'DROP TABLE "{FLOOR}{table}"')
    finally:
        conn.close()
    return seconds, rows


def _copy_schema(conn: sqlite3.Connection, table: str) -> None:
    conn.execute(f'DROP TABLE IF EXISTS "{FLOOR}{table}"')
    ddl = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC",
        [table],
    ).fetchall()
    for kind, name, sql in ddl:  # the table first ("table" > "index"), then its indexes
        if kind == "table":
            sql = re.sub(rf'^CREATE TABLE "{table}"', f'CREATE TABLE "{FLOOR}{table}"', sql)
        else:
            sql = sql.replace(f'"{name}"', f'"{FLOOR}{name}"', 1).replace(
                f'ON "{table}"', f'ON "{FLOOR}{table}"'
            )
        conn.execute(sql)


def _dump(conn: sqlite3.Connection, table: str, where: str, at: str, tmp: str) -> int:
    params = [at] * where.count("?")
    cursor = conn.execute(f'SELECT {_sqlite_stored(conn, table)} FROM "{table}" WHERE {where}', params)
    count = 0
    with open(Path(tmp) / table, "wb") as out:
        while chunk := cursor.fetchmany(CHUNK):
            pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
            count += len(chunk)
    return count


def _load(conn: sqlite3.Connection, table: str, tmp: str) -> None:
    with open(Path(tmp) / table, "rb") as src:
        while True:
            try:
                chunk = pickle.load(src)  # our own file, written just above
            except EOFError:
                return
            marks = ", ".join("?" * len(chunk[0]))
            columns = _sqlite_stored(conn, table)
            conn.executemany(f'INSERT INTO "{FLOOR}{table}" ({columns}) VALUES ({marks})', chunk)
