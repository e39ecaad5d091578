"""The Idempotency-Key header on POSTs: replay, refusal of reuse, scope, retention, concurrency."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client, RequestFactory

from recurra.accounts.roles import Role
from recurra.api import idempotency
from recurra.api.idempotency import idempotency_purge
from recurra.api.models import IdempotencyRecord
from recurra.core import clock
from recurra.core.models import Event
from recurra.crm.models import Company, Contact
from tests.api.support import assert_problem, key_of, ok
from tests.conftest import T0, ApiClient

pytestmark = pytest.mark.usefixtures("frozen_clock")

ADA = {"email": "ada@example.com", "first_name": "Ada"}


def post(client, body, key, path="/contacts"):
    return client.post(path, body, headers={"Idempotency-Key": key})


def test_the_same_key_and_body_replay_the_first_response(api):
    first = post(api, ADA, "k-1")
    second = post(api, ADA, "k-1")

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Contact.objects.count() == 1
    assert Event.objects.filter(type="contact.created").count() == 1


def test_json_with_another_key_order_or_spacing_is_the_same_body(api):
    first = post(api, '{"email": "ada@example.com", "first_name": "Ada"}', "k-1")
    second = post(api, '{ "first_name":"Ada",\n  "email":"ada@example.com" }', "k-1")

    assert (second.status_code, second.content, second["Idempotent-Replayed"]) == (201, first.content, "true")
    assert Contact.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422(api):
    ok(post(api, ADA, "k-1"), 201)

    body = assert_problem(post(api, {**ADA, "first_name": "Augusta"}, "k-1"), 422, "Idempotency-Key")

    assert "different request" in body["detail"]
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ada"]


def test_the_same_key_on_another_path_is_a_422(api):
    ok(post(api, {"name": "Acme"}, "k-1", "/companies"), 201)

    assert_problem(post(api, {"name": "Acme"}, "k-1", "/deals"), 422, "Idempotency-Key")
    assert not Event.objects.filter(type="deal.created").exists()


def test_keys_belong_to_one_api_key(api, api_as):
    second, third = api_as(Role.EDITOR), api_as(Role.EDITOR)
    ok(post(api, ADA, "shared"), 201)

    grace = post(second, {"email": "grace@example.com"}, "shared")
    same_body = post(third, ADA, "shared")

    assert grace.status_code == 201  # not "already used for a different request"
    assert "Idempotent-Replayed" not in grace
    assert_problem(same_body, 422, "email")  # run afresh (and refused), not replayed from the first key
    assert "Idempotent-Replayed" not in same_body
    scopes = set(IdempotencyRecord.objects.values_list("scope", flat=True))
    assert scopes == {key_of(api).pk, key_of(second).pk, key_of(third).pk}


def test_a_refused_request_is_replayed_as_the_same_422(api):
    first = post(api, {"email": "not an email"}, "k-1")
    second = post(api, {"email": "not an email"}, "k-1")

    assert_problem(first, 422, "email")
    assert (second.status_code, second.content, second["Idempotent-Replayed"]) == (422, first.content, "true")
    assert second["Content-Type"] == "application/problem+json"
    assert not Contact.objects.exists()


def test_a_server_error_is_not_kept_so_the_key_can_be_retried(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database fell over")

    api.client.raise_request_exception = False
    with monkeypatch.context() as patch:
        patch.setattr("recurra.crm.services.contact_create", broken)
        assert post(api, ADA, "k-1").status_code == 500
    assert not IdempotencyRecord.objects.exists()

    retried = post(api, ADA, "k-1")

    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Contact.objects.count() == 1


def test_without_a_key_every_post_runs(api):
    ok(api.post("/companies", {"name": "Acme"}), 201)
    ok(api.post("/companies", {"name": "Acme"}), 201)

    assert Event.objects.filter(type="company.created").count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_key_on_other_methods_is_ignored(api, make):
    ada = make("contacts", email="ada@example.com")

    response = api.client.get(f"/api/v1/contacts/{ada['id']}", headers={**api.headers, "Idempotency-Key": ""})

    assert response.status_code == 200
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\tkey"])
def test_a_malformed_key_is_a_422(api, key):
    assert_problem(post(api, ADA, key), 422, "Idempotency-Key")
    assert not Contact.objects.exists()


def test_the_longest_key_is_accepted(api):
    assert post(api, ADA, "k" * 255).status_code == 201


def test_keys_are_kept_at_least_24_hours_of_real_time_and_purged_after_48(api):
    real = clock.epoch_ms()
    hour = 3_600_000
    ok(post(api, ADA, "old"), 201)
    ok(post(api, {"email": "grace@example.com"}, "newer"), 201)
    IdempotencyRecord.objects.filter(key="old").update(reserved_ms=real)  # real time the requests ran
    IdempotencyRecord.objects.filter(key="newer").update(reserved_ms=real + 30 * hour)
    clock.freeze(T0 + timedelta(days=400))  # the sandbox clock jumping ahead expires nothing

    assert idempotency_purge(real_ms=real + 24 * hour) == 0
    assert idempotency_purge(real_ms=real + 48 * hour) == 0
    assert post(api, ADA, "old")["Idempotent-Replayed"] == "true"

    assert idempotency_purge(real_ms=real + 48 * hour + 1) == 1

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["newer"]
    assert idempotency.RETENTION >= timedelta(hours=24)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "body", "model", "created"),
    [
        ("/contacts", '{"email": "ada@example.com", "first_name": "Ada"}', Contact, "contact.created"),
        # companies have no unique field that could hide a second insert
        ("/companies", '{"name": "Acme"}', Company, "company.created"),
    ],
)
def test_concurrent_requests_with_one_key_have_one_effect(api_key, path, body, model, created):
    clock.freeze(T0)
    secret = api_key(Role.EDITOR)
    start = threading.Barrier(8)
    responses: list = []

    def send() -> None:
        try:
            client = Client(raise_request_exception=False)
            start.wait()
            response = client.post(
                f"/api/v1{path}",
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "concurrent-1"},
            )
            responses.append(response)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert model.objects.count() == 1
    assert Event.objects.filter(type=created).count() == 1
    assert len(responses) == 8
    firsts = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
    assert len(firsts) == 1, [(r.status_code, r.content) for r in responses]
    for r in responses:
        if r.status_code == 201:
            assert r.content == firsts[0].content
        else:
            assert "still in progress" in assert_problem(r, 409)["detail"]


def _reservation(api, body, key, **fields):
    """An in-progress reservation of ``key`` for POST /contacts ``body``, as a running request leaves it."""
    request = RequestFactory().post("/api/v1/contacts", json.dumps(body), content_type="application/json")
    return IdempotencyRecord.objects.create(
        scope=key_of(api).pk, key=key, fingerprint=idempotency.fingerprint(request), **fields
    )


def test_a_request_still_running_is_a_409_after_the_wait(api, monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT", 0.1)
    _reservation(api, ADA, "k-1")
    clock.freeze(T0 + timedelta(days=365))  # a sandbox clock advance does not make it stale

    body = assert_problem(post(api, ADA, "k-1"), 409)

    assert "still in progress" in body["detail"]
    assert not Contact.objects.exists()
    assert IdempotencyRecord.objects.get().status == IdempotencyRecord.Status.IN_PROGRESS


def test_a_reservation_left_by_a_crash_is_taken_over_after_real_time(api):
    stale = clock.epoch_ms() - idempotency.STALE_MS - 1000
    _reservation(api, ADA, "k-1", reserved_ms=stale)

    response = post(api, ADA, "k-1")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Contact.objects.count() == 1
    assert IdempotencyRecord.objects.get().status == IdempotencyRecord.Status.COMPLETE


def test_replay_works_for_the_viewer_refusal_too(api_as):
    viewer = api_as(Role.VIEWER)

    first = post(viewer, ADA, "k-1")
    second = post(viewer, ADA, "k-1")

    assert_problem(first, 403)
    assert (second.status_code, second.content) == (403, first.content)
    assert not Contact.objects.exists()


def test_unauthenticated_requests_reserve_nothing(api_as):
    assert_problem(post(api_as(None), ADA, "k-1"), 401)
    assert_problem(post(ApiClient("rk_unknown"), ADA, "k-1"), 401)

    assert not IdempotencyRecord.objects.exists()
