"""The ``Idempotency-Key`` header on API POSTs.

The same key with the same request replays the first response; with another
request it is a 422. The key is reserved in its own committed row before the
request runs, so a concurrent twin waits for it and replays it (or gets a
409 if it is still running after ``WAIT``); the side effects and the stored
response then commit in one transaction, so a crash leaves either both or
neither. A 5xx is not stored: the key can be retried. Nor is a 402 (a
payment waiting for the buyer to authenticate it, ``PaymentNeedsAction``):
the same request with the same key, once they have, records the payment
(the key is the payment's attempt, so it is still charged once). A reservation left by
a crashed process is taken over after ``STALE`` of real time (not sandbox
time, which a clock advance can move by months). Keys live at least
``RETENTION``.

The stored response keeps no buyer token (``core.redaction``): a replay of
an answer that handed one out (``url`` of a payment-method update link, a
quote's, an invoice's ``pay_url``) has it replaced by ``REDACTED``; the buyer
has the link from its email, and a new request makes a new one.

Requests that call an external system (the gateway) cannot run inside one
transaction: the services open their own around each step, and the gateway
refuses to be called inside a caller's. Their paths are listed in
``OWN_TRANSACTIONS``; for them the response is stored after the request
succeeded, and a crash in between leaves the key reserved until ``STALE``,
when a retry runs the request again. Such requests must therefore be safe to
repeat (moving the test clock to the same instant again does nothing).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from recurra.api.auth import request_api_key
from recurra.api.models import IdempotencyRecord
from recurra.api.problems import http_problem, too_large
from recurra.core import clock
from recurra.core.errors import FieldError
from recurra.core.redaction import redact_bytes

HEADER = "Idempotency-Key"
API_PREFIX = "/api/v1/"
WAIT = 10.0
POLL = 0.05
STALE_MS = 2 * 60 * 1000
RETENTION = timedelta(hours=48)
KEY_PATTERN = r"^[\x20-\x7e]{1,255}$"
KEY_RULE = "must be 1 to 255 printable ASCII characters"
Status = IdempotencyRecord.Status
OWN_TRANSACTIONS = (
    re.compile(r"^/api/v1/clock/advance/?$"),
    re.compile(r"^/api/v1/payments/[^/]+/(?:refund|retry)/?$"),
    re.compile(r"^/api/v1/subscriptions/[^/]+/cancel/?$"),  # a prorated refund calls the gateway
    # Paying: the key is the charge's attempt id too (commerce.checkout), so a repeat is one charge.
    re.compile(r"^/api/v1/invoices/[^/]+/pay/?$"),
    re.compile(r"^/api/v1/payment-links/[^/]+/checkout/?$"),
    re.compile(r"^/api/v1/quotes/[^/]+/accept/?$"),
)


def fingerprint(request: HttpRequest) -> str:
    """Method, path and body; JSON bodies compare by meaning, not by spacing or key order."""
    body = request.body
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        pass  # not JSON: compared byte for byte (the API will refuse it anyway)
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.response_status,
        content_type=record.response_content_type or None,
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _reserve(scope: str, key: str, print_: str) -> IdempotencyRecord | HttpResponse:
    """Our reservation, or the response to give instead (a replay, a 409 or a 422)."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(scope=scope, key=key, fingerprint=print_)
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if existing is None:
            continue  # purged or released meanwhile: try again
        if existing.fingerprint != print_:
            return http_problem(
                422,
                f"this {HEADER} was already used for a different request",
                [FieldError(HEADER, "was used with another request body or path")],
            )
        if existing.status == Status.COMPLETE:
            return _replay(existing)
        now_ms = clock.epoch_ms()
        if now_ms - existing.reserved_ms > STALE_MS:
            taken = IdempotencyRecord.objects.filter(
                pk=existing.pk, status=Status.IN_PROGRESS, reserved_ms=existing.reserved_ms
            ).update(reserved_ms=now_ms)
            if taken:
                return IdempotencyRecord.objects.get(pk=existing.pk)
        if time.monotonic() > deadline:
            return http_problem(409, f"a request with this {HEADER} is still in progress; retry later")
        time.sleep(POLL)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        api_key = request_api_key(request)
        if api_key is None:
            return self.get_response(request)  # the API answers 401
        if not re.fullmatch(KEY_PATTERN, key):
            return http_problem(422, f"{HEADER} {KEY_RULE}", [FieldError(HEADER, KEY_RULE)])
        try:
            print_ = fingerprint(request)
        except RequestDataTooBig:
            return too_large()
        reserved = _reserve(api_key.pk, key, print_)
        if isinstance(reserved, HttpResponse):
            return reserved
        return self._run(request, reserved)

    def _run(self, request: HttpRequest, record: IdempotencyRecord) -> HttpResponse:
        if any(path.match(request.path) for path in OWN_TRANSACTIONS):
            response = self.get_response(request)
            if _final(response):
                _complete(record, response)
                return response
        else:
            with transaction.atomic():
                response = self.get_response(request)
                if _final(response):
                    _complete(record, response)
                    return response
                transaction.set_rollback(True)
        IdempotencyRecord.objects.filter(pk=record.pk, status=Status.IN_PROGRESS).delete()
        return response


def _final(response: HttpResponse) -> bool:
    """Whether ``response`` is the request's last word, stored and replayed (see the module's notes)."""
    return response.status_code < 500 and response.status_code != HTTPStatus.PAYMENT_REQUIRED


def _complete(record: IdempotencyRecord, response: HttpResponse) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=Status.COMPLETE,
        response_status=response.status_code,
        response_content_type=response.get("Content-Type", ""),
        response_body=redact_bytes(response.content),  # no buyer token kept (core.redaction)
    )


def idempotency_purge(*, real_ms: int) -> int:
    """Forget keys whose request ran more than ``RETENTION`` ago in real time; returns how many.

    Real time, not the clock: advancing the sandbox clock by months must not
    make a client's retry of the advance run it again.
    """
    cutoff = real_ms - int(RETENTION.total_seconds() * 1000)
    deleted, _ = IdempotencyRecord.objects.filter(reserved_ms__lt=cutoff).delete()
    return deleted


def idempotency_purge_next_due(*, after: datetime) -> datetime | None:
    """Whether :func:`idempotency_purge` has keys to forget now (``core.due``): ``after`` when
    some ran more than ``RETENTION`` ago in real time, else None (real time does not follow
    the test clock, so there is no later instant to name)."""
    cutoff = clock.epoch_ms() - int(RETENTION.total_seconds() * 1000)
    return after if IdempotencyRecord.objects.filter(reserved_ms__lt=cutoff).exists() else None
