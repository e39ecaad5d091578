"""GET /healthz, /readyz and /metrics, and the request id every answer carries.

/healthz and /readyz need nothing (no key, no session, any Host: probes come by IP address);
/metrics needs RECURRA_METRICS_TOKEN as a bearer token. The metrics name routes by their pattern,
count what the worker's steps did, and read the queues from the database at scrape time.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, ProgrammingError
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from recurra.core import clock, logs
from recurra.jobs.models import Job, JobStatus
from recurra.notifications.models import EmailMessage, EmailStatus
from recurra.ops import scrape as scrape_module
from recurra.ops import views
from recurra.ops.models import WorkerHeartbeat
from recurra.worker.steps import run_due_work
from tests.api.support import ok
from tests.conftest import T0, ApiClient

pytestmark = pytest.mark.usefixtures("frozen_clock")
TOKEN = "metrics-token-0123456789"
NOW_MS = 1_900_000_000_000


@pytest.fixture
def token(settings: Any) -> str:
    settings.RECURRA_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def real_ms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "epoch_ms", lambda: NOW_MS)


def scrape(client: Client | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """/metrics parsed by prometheus-client's own parser: {(sample name, sorted labels): value}."""
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_answers_without_a_session_a_key_or_a_known_host() -> None:
    probe = Client(HTTP_HOST="10.1.2.3")  # a load balancer by address: not in ALLOWED_HOSTS
    response = probe.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response
    assert probe.get("/login/").status_code == 400  # the rest of the app refuses that host
    refused = probe.post("/healthz")
    assert (refused.status_code, refused["Allow"]) == (405, "GET, HEAD")


@pytest.mark.usefixtures("real_ms")
def test_readyz_reports_the_database_the_workers_and_the_queues(settings: Any) -> None:
    settings.RECURRA_WORKER_STALE_SECONDS = 60
    WorkerHeartbeat.objects.create(host="w1", pid=10, started_ms=0, beat_ms=NOW_MS - 1_500)
    WorkerHeartbeat.objects.create(host="w2", pid=11, started_ms=0, beat_ms=NOW_MS - 600_000)
    Job.objects.create(kind="test", run_at=T0 - timedelta(seconds=90))
    Job.objects.create(kind="test", run_at=T0 + timedelta(days=1))
    EmailMessage.objects.create(to="ada@example.com", kind="receipt", run_at=T0, status=EmailStatus.FAILED)

    response = Client(HTTP_HOST="10.1.2.3").get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "worker": {
            "status": "ok",
            "live": 1,
            "stale": 1,
            "last_beat_age_seconds": 1.5,
            "stale_after_seconds": 60,
        },
        "queues": {
            "jobs": {"due": 1, "oldest_due_age_seconds": 90.0},
            "emails": {"due": 0, "oldest_due_age_seconds": 0.0},
            "webhooks": {"due": 0, "oldest_due_age_seconds": 0.0},
            "exports": {"due": 0, "oldest_due_age_seconds": 0.0},
            "workflows": {"due": 0, "oldest_due_age_seconds": 0.0},
        },
    }
    assert "w1" not in response.content.decode()  # no host names


@pytest.mark.usefixtures("real_ms")
def test_readyz_stays_ready_with_a_stale_worker_or_none() -> None:
    assert ok(Client().get("/readyz"))["worker"] == {
        "status": "none",
        "live": 0,
        "stale": 0,
        "last_beat_age_seconds": None,
        "stale_after_seconds": 120,
    }
    WorkerHeartbeat.objects.create(host="w1", pid=10, started_ms=0, beat_ms=NOW_MS - 121_000)
    body = ok(Client().get("/readyz"))
    assert (body["status"], body["worker"]["status"], body["worker"]["stale"]) == ("ok", "stale", 1)


def test_readyz_is_unavailable_when_the_database_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:  # what Django raises when PostgreSQL refuses the connection
        def cursor(self) -> Any:
            raise OperationalError('connection to server at "db.internal" failed: Connection refused')

    monkeypatch.setattr(views, "connection", Down())
    response = Client().get("/readyz")
    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )
    assert "db.internal" not in response.content.decode()


def test_readyz_is_unavailable_when_the_tables_cannot_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(**_: Any) -> Any:
        raise ProgrammingError('relation "ops_workerheartbeat" does not exist')

    monkeypatch.setattr(views, "workers_seen", missing)  # the database answers; not migrated
    response = Client().get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "database": "error"})


@pytest.mark.usefixtures("token")
def test_metrics_without_the_database_still_serve_the_processes_own(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(**_: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(scrape_module, "queue_depths", down)
    Client().get("/healthz")
    samples = scrape()
    assert value(samples, "recurra_database_up") == 0
    assert not [name for name, _ in samples if name.startswith("recurra_queue")]
    assert [name for name, _ in samples if name.startswith("recurra_http_request_duration_seconds")]


def test_metrics_is_off_without_a_token_and_asks_for_it(settings: Any) -> None:
    settings.RECURRA_METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404
    settings.RECURRA_METRICS_TOKEN = TOKEN
    for header in [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", TOKEN]:
        extra = {"HTTP_AUTHORIZATION": header} if header else {}
        response = Client().get("/metrics", **extra)
        assert (response.status_code, response["WWW-Authenticate"]) == (401, 'Bearer realm="metrics"')
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200


@pytest.mark.usefixtures("token")
def test_requests_are_timed_by_route_never_by_raw_path(api: ApiClient) -> None:
    before = scrape()
    for contact_id in ("con_1aaaaaaaaaaaaaaaaaaaaaaaaa", "con_2bbbbbbbbbbbbbbbbbbbbbbbbb"):
        assert api.get(f"/contacts/{contact_id}").status_code == 404
    assert Client().get("/no/such/page/").status_code == 404
    after = scrape()

    def delta(route: str, status: str) -> float:
        name = "recurra_http_request_duration_seconds_count"
        labels = {"route": route, "method": "GET", "status": status}
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("/api/v1/contacts/<contact_id>", "4xx") == 2
    assert delta("unmatched", "4xx") == 1
    routes = {dict(labels).get("route") for _, labels in after}
    assert not [r for r in routes if r and "con_" in r]


@pytest.mark.usefixtures("token", "real_ms")
def test_queue_and_backlog_gauges_are_read_from_the_database_at_scrape() -> None:
    Job.objects.create(kind="test", run_at=T0 - timedelta(minutes=2))
    Job.objects.create(kind="test", run_at=T0, status=JobStatus.RUNNING, lease_until_ms=NOW_MS + 1)
    EmailMessage.objects.create(to="ada@example.com", kind="receipt", run_at=T0 + timedelta(hours=1))
    samples = scrape()
    assert value(samples, "recurra_database_up") == 1
    assert {
        (queue, state): value(samples, "recurra_queue_depth", queue=queue, state=state)
        for queue in ("jobs", "emails", "exports")
        for state in ("due", "scheduled", "running", "failed")
        if value(samples, "recurra_queue_depth", queue=queue, state=state)
    } == {("jobs", "due"): 1, ("jobs", "running"): 1, ("emails", "scheduled"): 1}
    assert value(samples, "recurra_queue_oldest_due_age_seconds", queue="jobs") == 120
    assert value(samples, "recurra_queue_oldest_due_age_seconds", queue="emails") == 0
    assert value(samples, "recurra_reconcile_backlog", kind="payments") == 0
    assert value(samples, "recurra_reconcile_backlog", kind="purchases") == 0


@pytest.mark.usefixtures("token")
def test_the_worker_steps_count_renewals_and_payment_outcomes(
    api: ApiClient, make: Callable[..., Any]
) -> None:
    contact = make("contacts", email="ada@example.com", first_name="Ada")
    line = {"name": "Pro plan", "unit_amount": 2500, "currency": "USD", "billing_frequency": "monthly"}
    for token in ("tok_visa", "tok_visa", "tok_decline"):
        card = ok(api.post(f"/contacts/{contact['id']}/payment-methods", {"token": token}), 201)
        make(
            "subscriptions",
            contact_id=contact["id"],
            line_items=[line],
            collection_method="charge_automatically",
            payment_method_id=card["id"],
        )
    make(
        "subscriptions",
        contact_id=contact["id"],
        line_items=[line],
        collection_method="send_invoice",
        payment_terms="net_30",
    )
    before = scrape()

    run_due_work(at=T0)
    run_due_work(at=T0)  # nothing more is due: nothing more is counted

    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("recurra_renewals_billed_total") == 4
    assert delta("recurra_payments_total", outcome="succeeded", step="billing_run") == 2
    assert delta("recurra_payments_total", outcome="failed", step="billing_run") == 1


@pytest.mark.usefixtures("token", "real_ms")
def test_counts_published_by_workers_are_shown_labelled_with_the_worker() -> None:
    WorkerHeartbeat.objects.create(
        host="worker-a",
        pid=7,
        started_ms=0,
        beat_ms=NOW_MS - 3_000,
        counts={"recurra_payments": [[["failed", "retry_due"], 4]], "recurra_renewals_billed": [[[], 12]]},
    )
    samples = scrape()
    assert (
        value(samples, "recurra_payments_total", outcome="failed", step="retry_due", worker="worker-a:7") == 4
    )
    assert value(samples, "recurra_renewals_billed_total", worker="worker-a:7") == 12
    assert value(samples, "recurra_worker_heartbeat_age_seconds", worker="worker-a:7") == 3
    assert value(samples, "recurra_workers", state="live") == 1


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every log line, as RECURRA_LOG_FORMAT=json writes it (the settings' formatter and filter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_a_safe_request_id_is_echoed_and_an_unsafe_one_replaced(json_lines: io.StringIO) -> None:
    kept = Client().get("/api/v1/contacts", HTTP_X_REQUEST_ID="lb-4f1c:0001")
    replaced = Client().get("/api/v1/contacts", HTTP_X_REQUEST_ID="evil\u2028 id")
    new = Client().get("/api/v1/contacts")
    assert kept["X-Request-ID"] == "lb-4f1c:0001"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", new["X-Request-ID"])
    assert new["X-Request-ID"] != replaced["X-Request-ID"]
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert [
        (line["message"], line["request_id"]) for line in lines if line["logger"] == "django.request"
    ] == [
        ("Unauthorized: /api/v1/contacts", "lb-4f1c:0001"),
        ("Unauthorized: /api/v1/contacts", replaced["X-Request-ID"]),
        ("Unauthorized: /api/v1/contacts", new["X-Request-ID"]),
    ]
    logging.getLogger("recurra.test").warning("after the request")
    assert "request_id" not in json.loads(json_lines.getvalue().splitlines()[-1])
