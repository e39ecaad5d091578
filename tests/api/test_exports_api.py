"""/exports: asked through the API, written by the worker, downloaded with the right key."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from recurra.accounts.roles import Role
from recurra.accounts.services import api_key_create
from recurra.core import clock
from recurra.crm.models import Contact
from recurra.jobs.runner import run_due
from tests.api.support import assert_problem, ok
from tests.conftest import SYSTEM, ApiClient
from tests.web.conftest import make_user
from tests.web.test_subscription_pages import make_subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.RECURRA_DATA_DIR = tmp_path
    return tmp_path


def client_of(username: str, role: str = Role.EDITOR) -> ApiClient:
    user = make_user(role, username)
    return ApiClient(api_key_create(name=username, role=role, actor=SYSTEM, created_by=user).secret)


@pytest.fixture
def subs(db: None) -> None:
    contact = Contact.objects.create(email="ingrid@example.com", first_name="Ingrid", last_name="Hansen")
    make_subscription(contact, name="Pro monthly")
    make_subscription(contact, name="Late one", status="past_due")


def test_an_export_is_asked_written_and_downloaded(subs: Any) -> None:
    erin = client_of("erin")
    asked = ok(erin.post("/exports", {"format": "csv", "language": "de", "view_id": "unpaid"}), 201)
    assert {k: asked[k] for k in ("status", "progress", "download_url", "expires_at", "rows_total")} == {
        "status": "pending",
        "progress": 0,
        "download_url": None,
        "expires_at": None,
        "rows_total": 1,
    }
    run_due(at=clock.now())
    done = ok(erin.get(f"/exports/{asked['id']}"))
    assert (done["status"], done["progress"], done["rows_done"], done["error"]) == ("complete", 100, 1, None)
    assert done["download_url"] == f"http://127.0.0.1:8000/api/v1/exports/{asked['id']}/download"
    assert done["zip_download_url"] is None  # small: not offered zipped
    file = erin.get(f"/exports/{asked['id']}/download")
    assert file.status_code == 200
    assert file["Content-Disposition"] == f'attachment; filename="{done["file_name"]}"'
    rows = list(csv.reader(io.StringIO(b"".join(file.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Name", "Kontakt"] and [r[0] for r in rows[1:]] == ["Late one"]


def test_filters_replace_the_views_and_scope_and_limit_are_checked(subs: Any) -> None:
    erin = client_of("erin")
    body = {"format": "csv", "filters": {"q": "pro"}, "scope": "all_properties"}
    asked = ok(erin.post("/exports", body), 201)
    assert asked["rows_total"] == 1
    assert_problem(
        erin.post("/exports", {"format": "xlsx", "associations_limit": "all"}), 422, "associations_limit"
    )
    assert_problem(erin.post("/exports", {"format": "pdf"}), 422, "format")
    assert_problem(erin.post("/exports", {"format": "csv", "language": "xx"}), 422, "language")
    assert_problem(erin.post("/exports", {"format": "csv", "view_id": "view_nope"}), 422, "view_id")
    assert_problem(
        erin.post("/exports", {"format": "csv", "filters": {"status": "late"}}), 422, "filters.status"
    )


def test_only_the_keys_creator_or_a_super_admin_downloads(subs: Any) -> None:
    erin, olga = client_of("erin"), client_of("olga")
    asked = ok(erin.post("/exports", {"format": "xlsx"}), 201)
    run_due(at=clock.now())
    assert_problem(olga.get(f"/exports/{asked['id']}/download"), 403)
    boss = client_of("boss", Role.SUPER_ADMIN)
    assert boss.get(f"/exports/{asked['id']}/download").status_code == 200
    viewer = client_of("vera", Role.VIEWER)
    assert_problem(viewer.post("/exports", {"format": "csv"}), 403)


def test_not_ready_is_a_409(subs: Any) -> None:
    erin = client_of("erin")
    asked = ok(erin.post("/exports", {"format": "csv"}), 201)
    assert_problem(erin.get(f"/exports/{asked['id']}/download"), 409)
    assert_problem(erin.get("/exports/exp_nope"), 404)
