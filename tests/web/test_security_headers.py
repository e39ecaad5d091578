"""Headers on every answer: the Content-Security-Policy, ``Cache-Control: no-store`` (pages, the API, PDFs,
export downloads; static files keep their own caching), and HSTS only when the base URL is https."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from recurra.core import clock
from recurra.exports.models import Export
from recurra.jobs.runner import run_due
from tests.conftest import ApiClient
from tests.services.test_invoice_pdf import make_invoice
from tests.web.test_subscription_pages import make_subscription

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
}


def assert_private(response: Any) -> None:
    assert set(response["Content-Security-Policy"].split("; ")) == POLICY
    assert "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]
    assert "Strict-Transport-Security" not in response  # the tests' base URL is http


def test_pages_signed_in_or_not_carry_the_policy_and_no_store(viewer: Client) -> None:
    for path in ("/contacts/", "/subscriptions/", "/settings/users/", "/nothing-here/"):  # 200, 403, 404
        assert_private(viewer.get(path))
        assert viewer.get(path)["Cache-Control"] == "no-store"
    assert_private(Client().get("/login/"))  # Django's never_cache: "max-age=0, no-cache, no-store, ..."
    assert_private(Client().get("/contacts/"))  # the redirect to sign in, too


def test_a_view_that_says_more_keeps_its_own_cache_control(admin: Client) -> None:
    assert admin.get("/settings/api-keys/new/")["Cache-Control"] == (
        "max-age=0, no-cache, no-store, must-revalidate, private"
    )


def test_invoice_pdfs_in_the_app_and_the_api(viewer: Client, api: ApiClient, frozen_clock: Any) -> None:
    invoice = make_invoice()
    page_pdf = viewer.get(f"/invoices/{invoice.pk}/pdf/")
    api_pdf = api.get(f"/invoices/{invoice.pk}/pdf")
    for response in (page_pdf, api_pdf):
        assert response["Content-Type"] == "application/pdf"
        assert_private(response)
    assert_private(api.get("/contacts"))


def test_export_downloads_in_the_app_and_the_api(
    editor: Client, api: ApiClient, records: Any, settings: Any, tmp_path: Path
) -> None:
    settings.RECURRA_DATA_DIR = tmp_path
    make_subscription(records.contact, name="Pro monthly")
    editor.post("/exports/new/", {"view": "all", "format": "csv", "scope": "view", "associations": "limited"})
    asked = api.post("/exports", {"format": "xlsx"}).json()
    run_due(at=clock.now())
    by_page = editor.get(f"/exports/{Export.objects.get(format='csv').pk}/download/")
    by_api = api.get(f"/exports/{asked['id']}/download")
    assert (by_page.status_code, by_api.status_code) == (200, 200)
    assert_private(by_page)
    assert_private(by_api)


def test_static_files_keep_their_caching_and_need_no_policy(viewer: Client) -> None:
    response = viewer.get("/static/web/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Content-Security-Policy" not in response


@pytest.mark.parametrize(
    ("base_url", "hsts"),
    [("https://billing.example", "max-age=31536000"), ("http://billing.example", None)],
)
def test_hsts_only_when_the_base_url_is_https(tmp_path: Path, base_url: str, hsts: str | None) -> None:
    """Settings are read at start-up, so a fresh process with that base URL answers a request."""
    env = {
        **os.environ,
        "RECURRA_BASE_URL": base_url,
        "RECURRA_MODE": "live",  # no test clock on the sign-in page: no database read
        "SECRET_KEY": "s" * 50,
        # live mode starts only with a processor that moves real money (nothing calls it here)
        "RECURRA_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": "sk_live_unused",
        "STRIPE_PUBLISHABLE_KEY": "pk_live_unused",
        "STRIPE_WEBHOOK_SECRET": "whsec_unused",
        "RECURRA_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "recurra.settings",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/login/', HTTP_HOST='billing.example')\n"
        "print(r.status_code, r.get('Strict-Transport-Security'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"200 {hsts}\n"
