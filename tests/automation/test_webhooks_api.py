"""The webhook API: super admins only; refused URLs are clear 422s; the secret shows on creation,
reveal and rotation only; test pings, the delivery log, retry and resend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from recurra.automation.models import WebhookDelivery
from recurra.core import clock
from recurra.core.models import Event
from tests.api.support import assert_problem, ok
from tests.automation.receiver import Receiver

pytestmark = pytest.mark.django_db
T0 = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)


def register(api, url: str, events: list[str] | None = None):
    return api.post("/webhook-endpoints", {"url": url, "enabled_events": events or ["*"]})


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://10.1.2.3/hook", "10.1.2.3, a private address"),
        ("https://192.168.0.10/hook", "a private address"),
        ("http://169.254.169.254/latest/meta-data", "a link-local address"),
        ("http://[::1]:9000/x", None),  # loopback: allowed in sandbox mode
        ("http://[fe80::1]/x", "a link-local address"),
        ("ftp://example.com/x", "must start with https:// or http://"),
        ("https://user:pw@example.com/x", "may not carry a user name or password"),
        ("https://no-such-host.invalid/x", "does not resolve"),
    ],
)
def test_refused_urls_are_clear_422s(api, url: str, says: str | None) -> None:
    response = register(api, url)
    if says is None:
        ok(response, 201)
        return
    problem = assert_problem(response, 422, "url")
    assert says in problem["errors"][0]["message"], problem


def test_live_mode_wants_https_and_refuses_loopback(api) -> None:
    with override_settings(RECURRA_MODE="live"):
        problem = assert_problem(register(api, "http://example.com/hook"), 422, "url")
        assert problem["errors"][0]["message"] == "the URL must use https in live mode"
        problem = assert_problem(register(api, "https://127.0.0.1/hook"), 422, "url")
        assert "a loopback address" in problem["errors"][0]["message"]


def test_private_addresses_when_allowed(api) -> None:
    with override_settings(RECURRA_WEBHOOKS_ALLOW_PRIVATE=True):
        ok(register(api, "http://10.1.2.3/hook"), 201)


def test_unknown_event_types_are_refused(api) -> None:
    problem = assert_problem(register(api, "http://127.0.0.1:9/x", ["invoice.paid", "invoice.exploded"]), 422)
    assert "invoice.exploded" in problem["errors"][0]["message"]


def test_only_super_admins(api_as) -> None:
    for role in ("editor", "viewer"):
        assert api_as(role).get("/webhook-endpoints").status_code == 403
        assert register(api_as(role), "http://127.0.0.1:9/x").status_code == 403
    assert api_as(None).get("/webhook-endpoints").status_code == 401


def test_the_secret_shows_on_create_reveal_and_rotate_only(api) -> None:
    made = ok(register(api, "http://127.0.0.1:9/x", ["contact.created"]), 201)
    assert set(made) >= {"id", "url", "enabled_events", "description", "status", "secret"}
    secret = made["secret"]
    shown = ok(api.get(f"/webhook-endpoints/{made['id']}"))
    assert "secret" not in shown and secret not in str(shown)
    assert secret not in str(ok(api.get("/webhook-endpoints")))
    assert ok(api.post(f"/webhook-endpoints/{made['id']}/reveal-secret"))["secret"] == secret
    rotated = ok(api.post(f"/webhook-endpoints/{made['id']}/rotate-secret"))
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != secret
    assert ok(api.post(f"/webhook-endpoints/{made['id']}/reveal-secret"))["secret"] == rotated["secret"]
    trail = [e.type for e in Event.objects.filter(object_id=made["id"]).order_by("id")]
    assert trail == [
        "webhookendpoint.created",
        "webhookendpoint.secret_revealed",
        "webhookendpoint.secret_rotated",
        "webhookendpoint.secret_revealed",
    ]
    assert not any("whsec_" in str(e.data) for e in Event.objects.all())


def test_patch_and_delete(api) -> None:
    made = ok(register(api, "http://127.0.0.1:9/x", ["contact.created"]), 201)
    changed = ok(
        api.patch(
            f"/webhook-endpoints/{made['id']}",
            {
                "enabled_events": ["invoice.paid", "invoice.created"],
                "description": "books",
                "status": "disabled",
            },
        )
    )
    assert (changed["enabled_events"], changed["description"], changed["status"]) == (
        ["invoice.created", "invoice.paid"],
        "books",
        "disabled",
    )
    assert_problem(api.patch(f"/webhook-endpoints/{made['id']}", {"url": "http://10.0.0.1/"}), 422, "url")
    assert api.delete(f"/webhook-endpoints/{made['id']}").status_code == 204
    assert_problem(api.get(f"/webhook-endpoints/{made['id']}"), 404)


def test_a_test_ping_arrives_signed_and_is_logged(api, receiver: Receiver) -> None:
    made = ok(register(api, receiver.url, ["contact.created"]), 201)
    receiver.secrets.append(made["secret"])
    sent = ok(api.post(f"/webhook-endpoints/{made['id']}/test"))
    assert (sent["status"], sent["event_type"], sent["response_status"], sent["attempts"]) == (
        "succeeded",
        "ping",
        200,
        1,
    )
    (ping,) = receiver.received
    assert ping.verified_by == [made["secret"]] and ping.json["type"] == "ping"
    detail = ok(api.get(f"/webhook-deliveries/{sent['id']}"))
    assert detail["request_body"] == ping.body.decode()
    assert detail["attempt_list"][0]["response_body"] == '{"received": true}'
    assert detail["attempt_list"][0]["request_headers"]["webhook-id"] == ping.id


def test_a_redirecting_receiver_is_a_422_and_is_not_followed(api, receiver: Receiver) -> None:
    receiver.script = [(301, 0)]
    receiver.extra_headers = {"Location": "https://elsewhere.example/hook"}
    made = ok(register(api, receiver.url), 201)
    problem = assert_problem(api.post(f"/webhook-endpoints/{made['id']}/test"), 422, "url")
    assert "301 redirecting to https://elsewhere.example/hook" in problem["errors"][0]["message"]
    assert "redirects are not followed" in problem["errors"][0]["message"]
    assert len(receiver.received) == 1


def test_retry_and_resend(api, receiver: Receiver) -> None:
    clock.freeze(T0)
    receiver.script = [(500, 0), (200, 0)]
    made = ok(register(api, receiver.url, ["contact.created"]), 201)
    receiver.secrets.append(made["secret"])
    contact = ok(api.post("/contacts", {"email": "ada@example.com"}), 201)
    ok(api.post("/clock/advance", {"to": "2027-01-15T09:30:01Z"}))
    (first,) = ok(api.get(f"/webhook-endpoints/{made['id']}/deliveries"))["data"]
    assert (first["status"], first["attempts"], first["response_status"]) == ("pending", 1, 500)
    assert first["next_attempt_at"] == "2027-01-15T09:30:05Z"
    retried = ok(api.post(f"/webhook-deliveries/{first['id']}/retry"))
    assert retried["next_attempt_at"] == "2027-01-15T09:30:01Z"
    ok(api.post("/clock/advance", {"to": "2027-01-15T09:30:02Z"}))
    assert ok(api.get(f"/webhook-deliveries/{first['id']}"))["status"] == "succeeded"

    event_id = first["event_id"]
    again = ok(api.post(f"/events/{event_id}/resend", {"endpoint_id": made["id"]}), 201)
    assert again["event_id"] == event_id and again["id"] != first["id"]
    ok(api.post("/clock/advance", {"to": "2027-01-15T09:30:03Z"}))
    assert [r.id for r in receiver.received] == [event_id] * 3
    assert all(r.verified_by == [made["secret"]] for r in receiver.received)
    assert receiver.received[0].body == receiver.received[2].body  # the same event, byte for byte

    # an event no endpoint wanted (contact.updated) is made public on resend
    ok(api.patch(f"/contacts/{contact['id']}", {"first_name": "Ada"}))
    audit = Event.objects.filter(type="contact.updated").latest("id")
    resent = ok(api.post(f"/events/{audit.pk}/resend", {"endpoint_id": made["id"]}), 201)
    assert resent["event_type"] == "contact.updated"
    assert_problem(api.post("/events/evt_nope/resend", {"endpoint_id": made["id"]}), 404)
    assert WebhookDelivery.objects.count() == 3


def test_events_public_shape(api, receiver: Receiver) -> None:
    clock.freeze(T0)
    ok(register(api, receiver.url, ["contact.created"]), 201)
    contact = ok(api.post("/contacts", {"email": "ada@example.com"}), 201)
    audit = ok(api.get("/events", object_id=contact["id"]))["data"]
    assert audit[0]["type"] == "contact.created" and "actor" in audit[0]  # the audit trail, as before
    (public,) = ok(api.get("/events", shape="public", type="contact.created"))["data"]
    assert public["id"] == audit[0]["id"]
    assert public["data"]["object"] == ok(api.get(f"/contacts/{contact['id']}"))
    assert public["sequence"] == 1 and public["data"]["previous_attributes"] is None
    assert ok(api.get("/events", shape="public", created_after="2027-01-15T09:30:00Z"))["data"] == []
