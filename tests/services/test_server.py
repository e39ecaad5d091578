"""``recurra serve --workers 2``: gunicorn as its own process, over the test database, answering real HTTP.

The server is the command an operator runs (``python -m recurra.cli``) on a
free loopback port, with a data directory of its own (so it collects the
static files there). On PostgreSQL it reads the test database itself; on
SQLite (an in-memory test database no other process can open) a copy of it,
made with SQLite's backup API. Committed rows only: ``transactional_db``.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from recurra import cli
from recurra import settings as project_settings
from recurra.accounts.roles import Role
from recurra.accounts.services import api_key_create
from recurra.crm.services import contact_create
from recurra.server import static_files_collect
from tests.conftest import SYSTEM
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
APP_CSS = ROOT / "recurra" / "web" / "static" / "web" / "app.css"


METRICS_TOKEN = "a-scraper-token-of-sorts"


def _database_url(tmp_path: Path) -> str:
    """A URL another process can open: the test database itself, or a file copy of SQLite's."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        return f"postgres://{auth}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"
    copy = tmp_path / "served.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    target.close()
    return f"sqlite:///{copy}"


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int, data: Path) -> None:
        self.process, self.port, self.data = process, port, data

    def request(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.output()
            try:
                self.request("/login/")
                return
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer in time"
                time.sleep(0.1)

    def output(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        return self.process.communicate()[0]


@pytest.fixture
def served(transactional_db: None, tmp_path: Path) -> Iterator[Callable[[], Served]]:
    """Starts ``recurra serve --workers 2`` lazily (``start()``), after the test wrote its rows."""
    started: list[Served] = []

    def start() -> Served:
        port = free_port()
        data = tmp_path / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECURRA_")}
        env |= {
            "DATABASE_URL": _database_url(tmp_path),
            "RECURRA_DATA_DIR": str(data),
            "RECURRA_MODE": "sandbox",
            "RECURRA_METRICS_TOKEN": METRICS_TOKEN,
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "recurra.cli", "serve", "--workers", "2", "--port", str(port)]
        process = subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        server = Served(process, port, data)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def test_gunicorn_serves_the_api_and_hashed_gzipped_static_files_and_stops_on_sigterm(served):
    secret = api_key_create(name="served", role=Role.VIEWER, actor=SYSTEM).secret
    contact = contact_create(actor=SYSTEM, email="ingrid@fjordline.example", first_name="Ingrid")
    server = served()

    bearer = {"Authorization": f"Bearer {secret}"}
    for _ in range(6):  # both processes, each thread on its own connection
        status, _, body = server.request(f"/api/v1/contacts/{contact.pk}", bearer)
        assert (status, json.loads(body)["email"]) == (200, "ingrid@fjordline.example")
    assert server.request(f"/api/v1/contacts/{contact.pk}")[0] == 401
    status, _, body = server.request("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
    counted = re.search(
        r'request_duration_seconds_count\{method="GET",route="/api/v1/contacts/<contact_id>",'
        r'status="2xx"\} (\S+)',
        body.decode(),
    )
    assert (status, counted and float(counted[1])) == (200, 6.0), "both workers' requests, counted once"

    status, _, page = server.request("/login/")
    assert status == 200
    css = re.search(r'href="(/static/web/app\.([0-9a-f]{12})\.css)"', page.decode())
    assert css, "the page links the collected, hashed stylesheet"
    status, headers, body = server.request(css[1], {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert gzip.decompress(body) == APP_CSS.read_bytes()
    status, headers, body = server.request(css[1])  # a client that takes no gzip gets the file
    assert (status, headers["Content-Encoding"], body) == (200, None, APP_CSS.read_bytes())

    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=30)
    output = server.output()
    assert (code, time.monotonic() - started < 10) == (0, True), output
    assert output.count("Booting worker") == 2
    assert "Traceback" not in output

    # The sources and storage are those it collected with: a second start has nothing to do.
    with override_settings(STATIC_ROOT=server.data / "static", STORAGES=project_settings.STORAGES):
        assert static_files_collect() is False


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_workers_and_threads_are_whole_numbers_of_at_least_one(value, capsys):
    for option in ("--workers", "--threads"):
        with pytest.raises(SystemExit):
            cli.parser().parse_args(["serve", option, value])
        assert "must be a whole number of at least 1" in capsys.readouterr().err
