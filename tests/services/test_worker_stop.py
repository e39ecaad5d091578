"""``recurra worker`` stops within 10 s of SIGTERM in the middle of a long queue of emails.

The worker runs as its own process (the command an operator runs) on a SQLite
file of its own, sending to a real SMTP server that takes 50 ms a message.
After the stop, every email is sent once or still queued with no lease (the
claimed rows not started were given back); a second worker sends the rest,
and each recipient got exactly one message.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

from tests import smtp

ROOT = Path(__file__).resolve().parents[2]
N = 300
SEED = f"""
import django
django.setup()
from django.db import transaction
from recurra.core import clock
from recurra.notifications.services import EmailDraft, emails_queue
from tests.unit.test_email_render import SAMPLES
drafts = [
    EmailDraft(kind="receipt", to=f"buyer{{i}}@example.com", language="en", data=SAMPLES["receipt"])
    for i in range({N})
]
with transaction.atomic():
    assert emails_queue(drafts, at=clock.now()) == {N}
"""


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "RECURRA_DATA_DIR": str(tmp_path),
        "RECURRA_MODE": "sandbox",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "DJANGO_SETTINGS_MODULE": "recurra.settings",
        "PYTHONPATH": str(ROOT),
    }


def _rows(tmp_path: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(tmp_path / "worker.sqlite3") as db:
        return db.execute('SELECT "to", status, lease_until_ms FROM notifications_emailmessage').fetchall()


def _wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "recurra.cli", "worker", "--interval", "0.2"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen[bytes]) -> float:
    """SIGTERM, then the seconds until it exited (asserting exit code 0)."""
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    try:
        code = worker.wait(timeout=30)
    finally:
        worker.kill()
    output = worker.stdout.read().decode() if worker.stdout else ""
    assert code == 0, output
    return time.monotonic() - started


def test_sigterm_stops_the_worker_mid_batch_and_loses_or_doubles_no_email(tmp_path):
    server = smtp.SmtpServer(port=smtp.free_port(), delay=0.05)
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        env = _env(tmp_path, server.port)
        subprocess.run([sys.executable, "-m", "recurra.cli", "migrate"], env=env, cwd=ROOT, check=True)
        subprocess.run([sys.executable, "-c", SEED], env=env, cwd=ROOT, check=True)

        first = _worker(env)
        _wait_for(lambda: len(server.messages) >= 20, timeout=120)
        assert _stop(first) < 10

        rows = _rows(tmp_path)
        sent = sorted(to for to, status, _ in rows if status == "sent")
        assert sorted(m["To"] for m in server.messages) == sent  # every message sent is recorded, once
        assert 20 <= len(sent) < N
        assert Counter((status, lease) for _, status, lease in rows if status != "sent") == {
            ("queued", 0): N - len(sent)  # the rest given back: no lease to wait out
        }

        second = _worker(env)
        _wait_for(lambda: all(status == "sent" for _, status, _ in _rows(tmp_path)), timeout=120)
        _stop(second)
    finally:
        controller.stop()
    received = Counter(m["To"] for m in server.messages)
    assert received == Counter({f"buyer{i}@example.com": 1 for i in range(N)})
