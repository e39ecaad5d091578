"""Settings → Developers → Webhooks (super admins): endpoints, their secret (revealed on an explicit
POST), rotation, test pings, the delivery log with request and response bodies, retry and resend.

Thin: each POST calls one service of ``automation.webhooks`` and redirects back (POST/redirect/GET);
a new or rotated secret is shown once, in the response to the POST that made it, never cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recurra.automation.models import WebhookDelivery, WebhookEndpoint
from recurra.automation.webhooks import failures, selectors, sending, services
from recurra.core import clock
from recurra.core.errors import Conflict, NotFound, ValidationFailed
from recurra.web.access import actor, super_admin
from recurra.web.forms.webhooks import EndpointForm
from recurra.web.views.common import confirm_page, list_page, post_action, posted, statement


def _endpoint(pk: str) -> WebhookEndpoint:
    found = selectors.endpoint_get(pk)
    if found is None:
        raise Http404("no such webhook endpoint")
    return found


def _delivery(pk: str) -> WebhookDelivery:
    found = selectors.delivery_get(pk)
    if found is None:
        raise Http404("no such webhook delivery")
    return found


def _endpoint_url(endpoint: WebhookEndpoint | str) -> str:
    pk = endpoint if isinstance(endpoint, str) else endpoint.pk
    return reverse("web:webhook_endpoint", args=[pk])


@super_admin
@require_GET
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, "web/webhooks/list.html", selectors.endpoint_list())


@super_admin
@never_cache
@require_http_methods(["GET", "POST"])
def endpoint_new(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            made = services.endpoint_create(actor=actor(request), at=clock.now(), **form.service_values())
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            return render(
                request,
                "web/webhooks/secret.html",
                {"endpoint": made.endpoint, "secret": made.secret, "new": True},
            )
    status = 422 if request.method == "POST" else 200
    return render(request, "web/webhooks/form.html", {"form": form}, status=status)


@super_admin
@require_GET
def endpoint_detail(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = _endpoint(pk)
    return list_page(
        request,
        "web/webhooks/endpoint.html",
        selectors.delivery_list(endpoint_id=endpoint.pk),
        {"endpoint": endpoint},
    )


@super_admin
@never_cache
@require_POST
def endpoint_reveal(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = _endpoint(pk)
    secret = services.endpoint_secret_reveal(endpoint=endpoint, actor=actor(request))
    return render(request, "web/webhooks/secret.html", {"endpoint": endpoint, "secret": secret})


@super_admin
@never_cache
@require_POST
def endpoint_rotate(request: HttpRequest, pk: str) -> HttpResponse:
    made = services.endpoint_secret_rotate(endpoint=_endpoint(pk), actor=actor(request), at=clock.now())
    return render(
        request,
        "web/webhooks/secret.html",
        {"endpoint": made.endpoint, "secret": made.secret, "rotated": True},
    )


@super_admin
@require_POST
def endpoint_test(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = _endpoint(pk)
    sent = services.endpoint_test(endpoint=endpoint, at=clock.now())
    if sent.status == "succeeded":
        messages.success(
            request,
            _("Test event sent: the endpoint answered %(status)s.") % {"status": sent.response_status},
        )
    else:
        said = failures.failure_text(sent.last_error)
        messages.error(request, _("Test event not delivered: %(error)s.") % {"error": said})
    return redirect(_endpoint_url(endpoint))


@super_admin
@require_POST
def endpoint_toggle(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = _endpoint(pk)
    enable = endpoint.status != "enabled"

    def perform() -> object:
        return services.endpoint_update(
            endpoint=endpoint, actor=actor(request), status="enabled" if enable else "disabled"
        )

    message = _("Endpoint enabled.") if enable else _("Endpoint disabled.")
    return post_action(request, perform=perform, message=message, next_url=_endpoint_url(endpoint))


@super_admin
@require_http_methods(["GET", "POST"])
def endpoint_delete(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = _endpoint(pk)
    return confirm_page(
        request,
        title=_("Delete webhook endpoint"),
        question=_("Delete the endpoint %(url)s and its delivery log? Nothing more is sent to it.")
        % {"url": endpoint.url},
        button=_("Delete endpoint"),
        perform=lambda: services.endpoint_delete(endpoint=endpoint, actor=actor(request)),
        done_url=reverse("web:webhooks"),
        cancel_url=_endpoint_url(endpoint),
        message=_("Webhook endpoint deleted."),
    )


@super_admin
@require_GET
def delivery_detail(request: HttpRequest, pk: str) -> HttpResponse:
    delivery = _delivery(pk)
    attempts = selectors.attempts_of(delivery)
    for attempt in attempts:
        attempt.shown_body = attempt.response_body[: sending.SHOWN_BODY]  # type: ignore[attr-defined]
        attempt.timestamp = attempt.request_headers.get("webhook-timestamp", "")  # type: ignore[attr-defined]
    return render(
        request,
        "web/webhooks/delivery.html",
        {
            "delivery": delivery,
            "endpoint": delivery.endpoint,
            "attempts": attempts,
            "body": delivery.event.body,
        },
    )


@super_admin
@require_POST
def delivery_retry(request: HttpRequest, pk: str) -> HttpResponse:
    delivery = _delivery(pk)
    return post_action(
        request,
        perform=lambda: services.delivery_retry(delivery=delivery, at=clock.now(), send_now=True),
        message=_("Sent again; the attempt is in the log below."),
        next_url=reverse("web:webhook_delivery", args=[delivery.pk]),
    )


@super_admin
@require_POST
def delivery_resend(request: HttpRequest, pk: str) -> HttpResponse:
    delivery = _delivery(pk)
    try:
        made = services.event_resend(
            event_id=delivery.event_id, endpoint=delivery.endpoint, at=clock.now(), send_now=True
        )
    except (Conflict, NotFound) as exc:
        messages.error(request, statement(exc.detail))
        return redirect(reverse("web:webhook_delivery", args=[delivery.pk]))
    messages.success(request, _("Event resent as a new delivery."))
    return redirect(reverse("web:webhook_delivery", args=[made.pk]))
