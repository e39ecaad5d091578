"""POST /subscriptions/{id}/payment-method-update-link (and /revoke): the link, its email, roles."""

from __future__ import annotations

import pytest

from recurra.notifications.models import EmailMessage
from recurra.subscriptions.models import PaymentMethodUpdateLink
from recurra.subscriptions.update_links import token_hash, update_link_for_token
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.conftest import T0
from tests.services.test_update_links import past_due_subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_a_link_is_returned_and_emailed(api):
    sub = past_due_subscription()
    body = ok(api.post(f"/subscriptions/{sub.pk}/payment-method-update-link"))
    assert set(body) == {"url", "expires_at"}
    assert body["expires_at"] == T0_TEXT.replace("2027-01-15", "2027-01-22")
    token = body["url"].rstrip("/").rsplit("/", 1)[1]
    assert body["url"].endswith(f"/update-payment-method/{token}/")
    link = update_link_for_token(token, at=T0)
    assert link is not None and link.subscription_id == sub.pk
    email = EmailMessage.objects.get(kind="payment_method_update")
    assert (email.to, email.subscription_id, email.data["update_url"]) == (
        "ada@example.com",
        sub.pk,
        body["url"],
    )


def test_revoke_kills_the_links(api):
    sub = past_due_subscription()
    body = ok(api.post(f"/subscriptions/{sub.pk}/payment-method-update-link"))
    response = api.post(f"/subscriptions/{sub.pk}/payment-method-update-link/revoke")
    assert response.status_code == 204 and response.content == b""
    token = body["url"].rstrip("/").rsplit("/", 1)[1]
    assert update_link_for_token(token, at=T0) is None
    assert PaymentMethodUpdateLink.objects.get(token_hash=token_hash(token)).revoked_at is not None
    assert api.post(f"/subscriptions/{sub.pk}/payment-method-update-link/revoke").status_code == 204


def test_unknown_subscription_404_and_ended_409(api):
    assert_problem(api.post("/subscriptions/sub_nope/payment-method-update-link"), 404)
    assert_problem(api.post("/subscriptions/sub_nope/payment-method-update-link/revoke"), 404)
    sub = past_due_subscription()
    sub.status = "canceled"
    sub.save()
    assert_problem(api.post(f"/subscriptions/{sub.pk}/payment-method-update-link"), 409)
    assert not EmailMessage.objects.filter(kind="payment_method_update").exists()


def test_viewers_are_refused(api_as):
    sub = past_due_subscription()
    links = PaymentMethodUpdateLink.objects.count()
    viewer = api_as("viewer")
    assert_problem(viewer.post(f"/subscriptions/{sub.pk}/payment-method-update-link"), 403)
    assert_problem(viewer.post(f"/subscriptions/{sub.pk}/payment-method-update-link/revoke"), 403)
    assert PaymentMethodUpdateLink.objects.count() == links
    assert PaymentMethodUpdateLink.objects.filter(revoked_at__isnull=False).count() == 0
    ok(api_as("editor").post(f"/subscriptions/{sub.pk}/payment-method-update-link"))


def test_in_the_openapi_document(api):
    paths = ok(api.get("/openapi.json"))["paths"]
    assert "post" in paths["/api/v1/subscriptions/{subscription_id}/payment-method-update-link"]
    assert "post" in paths["/api/v1/subscriptions/{subscription_id}/payment-method-update-link/revoke"]
