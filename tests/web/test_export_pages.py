"""Exports in the app: the dialog from the Subscriptions page, the export's page with its progress and
links, the download and who may have it; and (Chromium) a seller exporting a saved view."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client
from playwright.sync_api import expect

from recurra.core import clock
from recurra.exports.models import Export
from recurra.jobs.runner import run_due
from recurra.saved_views.services import saved_view_create
from recurra.saved_views.spec import DEFAULT_SORT, Filters
from tests.conftest import SYSTEM
from tests.web.chromium import shoot
from tests.web.html import messages, text
from tests.web.test_subscription_pages import make_subscription

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.RECURRA_DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def subs(records: Any) -> None:
    make_subscription(records.contact, name="Pro monthly")
    make_subscription(records.contact, name="Late one", status="past_due")


def test_the_export_button_carries_what_the_page_shows(editor: Client, subs: Any) -> None:
    page = editor.get("/subscriptions/?edited=1&status=past_due&sort=-mrr").content.decode()
    assert 'href="/exports/new/?view=all&amp;edited=1&amp;status=past_due&amp;sort=-mrr' in page
    dialog = editor.get("/exports/new/?view=all&edited=1&status=past_due", headers=HTMX).content.decode()
    assert "1 subscription, with the filters on screen" in text(dialog)
    assert 'name="status" value="past_due"' in dialog  # posted along
    assert "XLS holds at most" not in dialog


def test_xls_is_offered_only_within_its_row_limit(editor: Client, subs: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("recurra.web.views.exports.MAX_ROWS", 1)
    dialog = editor.get("/exports/new/?view=all").content.decode()
    assert 'value="xls" disabled' in dialog and 'data-testid="xls-limit"' in dialog


def test_exporting_shows_progress_then_the_download(editor: Client, subs: Any) -> None:
    done = editor.post(
        "/exports/new/",
        {"view": "unpaid", "format": "csv", "language": "sv", "scope": "view", "associations": "limited"},
        follow=True,
    )
    export = Export.objects.get()
    assert done.redirect_chain == [(f"/exports/{export.pk}/", 302)]
    assert messages(done) == ["Export started: the file is written in the background."]
    assert 'hx-trigger="every 1s"' in done.content.decode() and "Waiting for the worker" in text(done.content)
    assert (export.view_id, export.filters, export.language) == ("unpaid", {"status": ["past_due"]}, "sv")

    run_due(at=clock.now())
    ready = editor.get(f"/exports/{export.pk}/", headers=HTMX).content.decode()
    assert "every 1s" not in ready and f'href="/exports/{export.pk}/download/"' in ready
    file = editor.get(f"/exports/{export.pk}/download/")
    body = b"".join(file.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Namn,Kontakt,Företag,Status")
    assert "Late one" in body and "Pro monthly" not in body
    assert [r for r in text(editor.get("/exports/").content).split() if r == "Ready"] == ["Ready"]


def test_a_refused_export_says_why_beside_the_choice(editor: Client, subs: Any) -> None:
    refused = editor.post(
        "/exports/new/", {"view": "all", "format": "xlsx", "scope": "view", "associations": "all"}
    )
    assert refused.status_code == 422
    assert "All associations works with CSV only" in text(refused.content)
    assert not Export.objects.exists()


def test_only_the_asker_or_a_super_admin_sees_and_downloads(
    editor: Client, client_as: Any, admin: Client, viewer: Client, subs: Any
) -> None:
    editor.post("/exports/new/", {"view": "all", "format": "csv", "scope": "view"})
    export = Export.objects.get()
    run_due(at=clock.now())
    other = client_as("editor")
    assert other.get(f"/exports/{export.pk}/").status_code == 403
    assert other.get(f"/exports/{export.pk}/download/").status_code == 403
    assert admin.get(f"/exports/{export.pk}/download/").status_code == 200
    assert viewer.post("/exports/new/", {"view": "all", "format": "csv"}).status_code == 403
    assert Export.objects.count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_seller_exports_a_saved_view_and_downloads_it(
    signed_in_page: Any, live_server: Any, records: Any, tmp_path: Path
) -> None:
    from recurra.accounts.models import User

    make_subscription(records.contact, name="Pro monthly")
    make_subscription(records.contact, name="Late one", status="past_due")
    view = saved_view_create(
        owner=User.objects.get(username="admin"),
        name="Chase these",
        filters=Filters(statuses=("past_due",)),
        columns=("name", "status", "mrr"),
        sort=DEFAULT_SORT,
        actor=SYSTEM,
        at=clock.now(),
    )
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/?view={view.pk}")
    page.get_by_test_id("export-button").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Export “Chase these”")
    dialog.get_by_label("Excel workbook (XLSX)").check()
    dialog.get_by_label("Language of the column headers").select_option("de")
    shoot(page, "export-dialog.png", tmp_path, full_page=False)
    dialog.get_by_role("button", name="Export").click()
    expect(page.get_by_test_id("export-status")).to_have_attribute("data-status", "pending")

    run_due(at=clock.now())  # the worker's turn
    download_button = page.get_by_test_id("download")
    expect(download_button).to_be_visible()  # the page polled its way there
    with page.expect_download() as got:
        download_button.click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes())).active
    assert list(sheet.iter_rows(values_only=True)) == [("Name", "Status", "MRR"), ("Late one", "Unpaid", 98)]
    assert got.value.suggested_filename == Export.objects.get().file_name
