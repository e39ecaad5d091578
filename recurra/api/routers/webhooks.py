"""/webhook-endpoints, /webhook-deliveries and /events/{id}/resend: outgoing webhooks (super admin).

An endpoint's ``secret`` is in the answer of its creation, of ``reveal-secret`` and of
``rotate-secret`` only. ``POST .../test`` sends a ``ping`` at once and answers with its delivery
(a 422 when the receiver answers with a redirect: Recurra does not follow them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from recurra.accounts.roles import Role
from recurra.api.auth import ApiKeyAuth, actor
from recurra.api.common import PageQuery, no_content
from recurra.api.fields import TEXT, Id, In
from recurra.api.pagination import list_schema
from recurra.automation.models import DeliveryStatus, PublicEvent, WebhookDelivery, WebhookEndpoint
from recurra.automation.webhooks import catalog, selectors, sending, services
from recurra.core import clock
from recurra.core.errors import NotFound, ValidationFailed

router = Router(tags=["webhooks"], auth=ApiKeyAuth(Role.SUPER_ADMIN))
EventType = Annotated[str, Field(max_length=80), TEXT]
Url = Annotated[str, Field(max_length=2000, description="https (http too in sandbox mode)"), TEXT]
Description = Annotated[str, Field(max_length=500), TEXT]


class EndpointIn(In):
    url: Url
    enabled_events: Annotated[list[EventType], Field(min_length=1, max_length=100)] = Field(
        description='["*"] for every type, or the types to receive (GET /webhook-event-types)'
    )
    description: Description = ""


class EndpointPatch(In):
    url: Url | None = None
    enabled_events: Annotated[list[EventType], Field(min_length=1, max_length=100)] | None = None
    description: Description | None = None
    status: Literal["enabled", "disabled"] | None = None


class EndpointOut(BaseModel):
    id: str
    url: str
    enabled_events: list[str]
    description: str
    status: str
    failing_since: datetime | None = Field(description="first failure since the last success")
    disabled_reason: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: WebhookEndpoint) -> EndpointOut:
        return cls(
            id=e.pk,
            url=e.url,
            enabled_events=list(e.enabled_events),
            description=e.description,
            status=e.status,
            failing_since=e.failing_since,
            disabled_reason=e.disabled_reason,
            created_at=e.created_at,
            updated_at=e.updated_at,
        )


class EndpointWithSecretOut(EndpointOut):
    secret: str = Field(description="whsec_…: shown on creation, reveal and rotation only")


class SecretOut(BaseModel):
    secret: str


class DeliveryOut(BaseModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    response_status: int | None
    duration_ms: int | None
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, d: WebhookDelivery) -> DeliveryOut:
        pending = d.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
        return cls(
            id=d.pk,
            endpoint_id=d.endpoint_id,
            event_id=d.event_id,
            event_type=d.event.type,
            status="pending" if pending else d.status,  # type: ignore[arg-type]
            attempts=getattr(d, "attempt_count", None) or d.attempt_rows.count(),
            response_status=d.response_status,
            duration_ms=d.duration_ms,
            last_error=d.last_error,
            next_attempt_at=d.run_at if d.status == DeliveryStatus.PENDING else None,
            created_at=d.created_at,
        )


class AttemptOut(BaseModel):
    number: int
    at: datetime
    url: str
    request_headers: dict[str, str]
    response_status: int | None
    response_body: str = Field(description="the first 2 KB of the answer (64 KB are kept)")
    duration_ms: int
    error: str


class DeliveryDetailOut(DeliveryOut):
    request_body: str
    attempt_list: list[AttemptOut]


class DeliveryQuery(PageQuery):
    status: Literal["pending", "succeeded", "failed"] | None = None


class ResendIn(In):
    endpoint_id: Id


class EventTypeOut(BaseModel):
    type: str
    description: str


def endpoint_or_404(pk: str) -> WebhookEndpoint:
    found = selectors.endpoint_get(pk)
    if found is None:
        raise NotFound(f"no webhook endpoint {pk}")
    return found


def delivery_or_404(pk: str) -> WebhookDelivery:
    found = selectors.delivery_get(pk)
    if found is None:
        raise NotFound(f"no webhook delivery {pk}")
    return found


@router.get("/webhook-event-types", response=list[EventTypeOut], summary="Every public event type")
def event_types(request: HttpRequest) -> list[EventTypeOut]:
    return [EventTypeOut(type=t, description=d) for t, d in catalog.EVENT_TYPES.items()]


@router.post(
    "/webhook-endpoints", response={201: EndpointWithSecretOut}, summary="Register a webhook endpoint"
)
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Status[EndpointWithSecretOut]:
    made = services.endpoint_create(
        url=payload.url,
        enabled_events=payload.enabled_events,
        description=payload.description,
        actor=actor(request),
        at=clock.now(),
    )
    return Status(
        201, EndpointWithSecretOut(**EndpointOut.of(made.endpoint).model_dump(), secret=made.secret)
    )


@router.get("/webhook-endpoints", response=list_schema(EndpointOut), summary="List webhook endpoints")
def list_endpoints(request: HttpRequest, filters: Query[PageQuery]) -> dict[str, object]:
    return filters.page(selectors.endpoint_list()).render(EndpointOut.of)


@router.get("/webhook-endpoints/{endpoint_id}", response=EndpointOut, summary="Get a webhook endpoint")
def get_endpoint(request: HttpRequest, endpoint_id: Id) -> EndpointOut:
    return EndpointOut.of(endpoint_or_404(endpoint_id))


@router.patch("/webhook-endpoints/{endpoint_id}", response=EndpointOut, summary="Change a webhook endpoint")
def update_endpoint(request: HttpRequest, endpoint_id: Id, payload: EndpointPatch) -> EndpointOut:
    changed = services.endpoint_update(
        endpoint=endpoint_or_404(endpoint_id), actor=actor(request), **payload.model_dump(exclude_unset=True)
    )
    return EndpointOut.of(changed)


@router.delete("/webhook-endpoints/{endpoint_id}", response={204: None}, summary="Delete a webhook endpoint")
def delete_endpoint(request: HttpRequest, endpoint_id: Id) -> HttpResponse:
    services.endpoint_delete(endpoint=endpoint_or_404(endpoint_id), actor=actor(request))
    return no_content()


@router.post(
    "/webhook-endpoints/{endpoint_id}/reveal-secret",
    response=SecretOut,
    summary="Reveal an endpoint's secret",
)
def reveal_secret(request: HttpRequest, endpoint_id: Id) -> SecretOut:
    return SecretOut(
        secret=services.endpoint_secret_reveal(endpoint=endpoint_or_404(endpoint_id), actor=actor(request))
    )


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    response=EndpointWithSecretOut,
    summary="A new secret; the old one keeps signing beside it for 24 hours",
)
def rotate_secret(request: HttpRequest, endpoint_id: Id) -> EndpointWithSecretOut:
    made = services.endpoint_secret_rotate(
        endpoint=endpoint_or_404(endpoint_id), actor=actor(request), at=clock.now()
    )
    return EndpointWithSecretOut(**EndpointOut.of(made.endpoint).model_dump(), secret=made.secret)


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ping and send it now (the worker retries it if it fails); 422 on a redirect."""
    made = services.endpoint_test(endpoint=endpoint, at=clock.now())
    sent = delivery_or_404(made.pk)
    if sent.response_status is not None and 300 <= sent.response_status < 400:
        raise ValidationFailed.field("url", f"the endpoint {sent.last_error}: register the URL it points to")
    return sent


@router.post("/webhook-endpoints/{endpoint_id}/test", response=DeliveryOut, summary="Send a ping now")
def test_endpoint(request: HttpRequest, endpoint_id: Id) -> DeliveryOut:
    return DeliveryOut.of(send_test(endpoint_or_404(endpoint_id)))


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    response=list_schema(DeliveryOut),
    summary="An endpoint's deliveries, newest first",
)
def list_deliveries(
    request: HttpRequest, endpoint_id: Id, filters: Query[DeliveryQuery]
) -> dict[str, object]:
    endpoint = endpoint_or_404(endpoint_id)
    qs = selectors.delivery_list(endpoint_id=endpoint.pk, status=filters.status)
    return filters.page(qs).render(DeliveryOut.of)


def delivery_detail(d: WebhookDelivery) -> DeliveryDetailOut:
    attempts = [
        AttemptOut(
            number=a.number,
            at=a.at,
            url=a.url,
            request_headers=a.request_headers,
            response_status=a.response_status,
            response_body=a.response_body[: sending.SHOWN_BODY],
            duration_ms=a.duration_ms,
            error=a.error,
        )
        for a in selectors.attempts_of(d)
    ]
    return DeliveryDetailOut(
        **DeliveryOut.of(d).model_dump(), request_body=d.event.body, attempt_list=attempts
    )


@router.get(
    "/webhook-deliveries/{delivery_id}", response=DeliveryDetailOut, summary="A delivery and its attempts"
)
def get_delivery(request: HttpRequest, delivery_id: Id) -> DeliveryDetailOut:
    return delivery_detail(delivery_or_404(delivery_id))


@router.post("/webhook-deliveries/{delivery_id}/retry", response=DeliveryOut, summary="Retry a delivery now")
def retry_delivery(request: HttpRequest, delivery_id: Id) -> DeliveryOut:
    services.delivery_retry(delivery=delivery_or_404(delivery_id), at=clock.now())
    return DeliveryOut.of(delivery_or_404(delivery_id))


@router.post(
    "/events/{event_id}/resend",
    response={201: DeliveryOut},
    summary="Deliver an event to an endpoint again (delivered before or not)",
)
def resend_event(request: HttpRequest, event_id: Id, payload: ResendIn) -> Status[DeliveryOut]:
    endpoint = selectors.endpoint_get(payload.endpoint_id)
    if endpoint is None:
        raise ValidationFailed.field("endpoint_id", f"no webhook endpoint {payload.endpoint_id}")
    made = services.event_resend(event_id=event_id, endpoint=endpoint, at=clock.now())
    return Status(201, DeliveryOut.of(delivery_or_404(made.pk)))


class PublicDataOut(BaseModel):
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None


class PublicEventOut(BaseModel):
    id: str
    type: str
    created_at: datetime
    sequence: int
    data: PublicDataOut


def public_event(e: PublicEvent) -> dict[str, Any]:
    return orjson.loads(e.body)  # type: ignore[no-any-return]


def public_events(
    filters: PageQuery, *, type: str | None, object_id: str | None, created_after: datetime | None
) -> dict[str, object]:
    """``GET /events?shape=public``: the public events written (while an endpoint wanted their type)."""
    qs = selectors.public_event_list(type=type, object_id=object_id, created_after=created_after)
    return filters.page(qs).render(public_event)
