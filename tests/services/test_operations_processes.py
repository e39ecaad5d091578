"""Operations across real processes, on the real settings.

- A database that does not answer: /readyz is 503, /healthz still 200, and with
  RECURRA_LOG_FORMAT=json every line on stderr is JSON carrying the answer's request id.
- Several processes (gunicorn forks its workers): after ``multiprocess_prepare`` the metrics
  of every process add up wherever /metrics is asked; ``child_exit`` is gunicorn's hook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")}
    base |= {
        "RECURRA_DATA_DIR": str(tmp_path / "data"),
        "RECURRA_MODE": "sandbox",
        "DJANGO_SETTINGS_MODULE": "recurra.settings",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-c", script], env=base | env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


UNREACHABLE = """
import json, django
django.setup()
from django.test import Client
client = Client()
ready = client.get("/readyz", HTTP_X_REQUEST_ID="probe-1")
live = client.get("/healthz")
api = client.get("/api/v1/nothing-here")
answers = [ready.status_code, ready.json(), ready["X-Request-ID"], live.status_code, api["X-Request-ID"]]
print(json.dumps(answers))
"""


@pytest.mark.parametrize(
    "url",
    [
        "postgres://recurra@127.0.0.1:1/recurra?connect_timeout=2",
        "sqlite:////nonexistent-dir/recurra.sqlite3",
    ],
    ids=["postgresql", "sqlite"],
)
def test_an_unreachable_database_makes_readyz_503_and_every_log_line_is_json(
    tmp_path: Path, url: str
) -> None:
    done = _run(UNREACHABLE, tmp_path, DATABASE_URL=url, RECURRA_LOG_FORMAT="json")
    assert done.returncode == 0, done.stderr
    ready_status, ready, ready_id, live_status, api_id = json.loads(done.stdout)
    assert (ready_status, ready, ready_id, live_status) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
        "probe-1",
        200,
    )
    lines = [json.loads(line) for line in done.stderr.splitlines()]  # every line parses
    assert ("Not Found: /api/v1/nothing-here", api_id) in [(x["message"], x.get("request_id")) for x in lines]
    assert "nonexistent-dir" not in done.stdout and "127.0.0.1" not in done.stdout


FORKED = """
import json, os, django
from pathlib import Path
from types import SimpleNamespace
django.setup()
from recurra.core import metrics
folder = Path(os.environ["METRICS_DIR"])
folder.mkdir()
(folder / "counter_1.db").write_bytes(b"left by an earlier run")
metrics.multiprocess_prepare(folder)
assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(folder.resolve())
pids = []
for n in (1, 2):
    pid = os.fork()
    if pid == 0:
        metrics.request_observe(route="/api/v1/contacts", method="GET", status=200, seconds=0.002 * n)
        metrics.GATEWAY_ERRORS.add(n, gateway="stripe", operation="charge", kind="unanswered")
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
    metrics.child_exit(None, SimpleNamespace(pid=pid))
metrics.RENEWALS_BILLED.add(5)  # the parent counts too
out = {}
for family in metrics.local_families():
    for sample in family.samples:
        if sample.name in ("recurra_http_request_duration_seconds_count", "recurra_gateway_errors_total",
                           "recurra_renewals_billed_total"):
            out[sample.name] = sample.value
print(json.dumps(out))
"""


def test_after_multiprocess_prepare_every_forked_process_counts_into_one_view(tmp_path: Path) -> None:
    done = _run(FORKED, tmp_path, METRICS_DIR=str(tmp_path / "metrics"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "recurra_http_request_duration_seconds_count": 2.0,
        "recurra_gateway_errors_total": 3.0,
        "recurra_renewals_billed_total": 5.0,
    }
