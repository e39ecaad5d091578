"""The webhook pages: super admins only; a refused URL is shown on the form (422)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_only_super_admins(client_as) -> None:
    for role in ("editor", "viewer"):
        assert client_as(role).get("/settings/webhooks/").status_code == 403


def test_a_refused_url_shows_on_the_form(admin) -> None:
    response = admin.post("/settings/webhooks/new/", {"url": "http://10.0.0.1/x", "enabled_events": ["*"]})
    assert response.status_code == 422
    assert "a private address: webhooks go to public addresses only" in response.content.decode()


def test_reveal_needs_a_post(admin) -> None:
    response = admin.post("/settings/webhooks/new/", {"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]})
    assert response.status_code == 200 and b"whsec_" in response.content
    listed = admin.get("/settings/webhooks/")
    assert b"127.0.0.1:9" in listed.content and b"whsec_" not in listed.content
    from recurra.automation.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get()
    assert admin.get(f"/settings/webhooks/{endpoint.pk}/reveal/").status_code == 405
    page = admin.get(f"/settings/webhooks/{endpoint.pk}/")
    assert page.status_code == 200 and b"whsec_" not in page.content
