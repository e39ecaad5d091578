"""``POST /webhooks/stripe``: Stripe's events, signed, not signed in (no session, no API key, no CSRF).

Thin: the signature is checked and the event stored with its job
(``payments.stripe_events``); Stripe gets its 2xx at once and the worker
processes the event. A refused delivery is a 400 problem that says why
(Stripe shows it in the endpoint's log); without the Stripe gateway there is
no such endpoint (404).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from recurra.core import clock
from recurra.core.errors import NotFound, RecurraError, problem
from recurra.payments.stripe_events import WebhookRefused, stripe_event_receive

PROBLEM_JSON = "application/problem+json"


def _problem(error: RecurraError) -> HttpResponse:
    return JsonResponse(error.problem(), status=error.status, content_type=PROBLEM_JSON)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    if settings.RECURRA_GATEWAY != "stripe":
        return _problem(NotFound("Stripe is not this Recurra's payment processor (RECURRA_GATEWAY)"))
    try:
        payload = request.body
    except RequestDataTooBig:
        body = problem(413, "request-too-large", "Request too large", "a Stripe event is never this large")
        return JsonResponse(body, status=413, content_type=PROBLEM_JSON)
    try:
        event, new = stripe_event_receive(
            payload=payload, signature=request.headers.get("Stripe-Signature"), at=clock.now()
        )
    except WebhookRefused as exc:
        return _problem(exc)
    return JsonResponse({"id": event.pk, "received": True, "duplicate": not new})
