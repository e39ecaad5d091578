"""/clock and /clock/advance (sandbox only) and /events (the audit trail)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, Field

from recurra.api.common import PageQuery
from recurra.api.fields import TEXT, Id, In
from recurra.api.openapi import problem_responses
from recurra.api.routers.webhooks import PublicEventOut, public_events
from recurra.core import clock
from recurra.core.clock import ClockError
from recurra.core.errors import NotFound, ValidationFailed
from recurra.core.models import Event

router = Router()


class ClockOut(BaseModel):
    now: datetime
    mode: str


@router.get(
    "/clock",
    response={200: ClockOut, **problem_responses(404)},
    tags=["clock"],
    summary="The test clock (sandbox only; 404 in live mode)",
)
def get_clock(request: HttpRequest) -> ClockOut:
    if not clock.is_test_clock():
        raise NotFound("the test clock exists only in sandbox mode")
    return ClockOut(now=clock.now(), mode=settings.RECURRA_MODE)


class AdvanceIn(In):
    to: datetime = Field(description="where to move the clock (ISO 8601 with a zone); not before now")


class AdvanceOut(BaseModel):
    now: datetime
    steps: int = Field(description="instants at which due work ran on the way")
    invoices: int
    payments: int
    emails: int


@router.post(
    "/clock/advance",
    response={200: AdvanceOut, **problem_responses(404)},
    tags=["clock"],
    summary="Move the test clock forward, running all due work in time order (sandbox only)",
)
def advance_clock(request: HttpRequest, body: AdvanceIn) -> AdvanceOut:
    if not clock.is_test_clock():
        raise NotFound("the test clock exists only in sandbox mode")
    if body.to.tzinfo is None:
        raise ValidationFailed.field("to", "needs a time zone, e.g. 2027-03-01T00:00:00Z")
    try:
        report = clock.advance_running_due_work(to=body.to)
    except ClockError as exc:
        raise ValidationFailed.field("to", str(exc)) from exc
    return AdvanceOut(
        now=clock.now(),
        steps=report.steps,
        invoices=report.invoices,
        payments=report.payments,
        emails=report.emails,
    )


class ActorOut(BaseModel):
    type: str
    id: str
    name: str


class EventOut(BaseModel):
    id: str
    type: str
    object_type: str
    object_id: str
    actor: ActorOut
    data: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, e: Event) -> EventOut:
        return cls(
            id=e.pk,
            type=e.type,
            object_type=e.object_type,
            object_id=e.object_id,
            actor=ActorOut(type=e.actor_type, id=e.actor_id, name=e.actor_name),
            data=e.data,
            created_at=e.created_at,
        )


class EventList(BaseModel):
    data: list[EventOut | PublicEventOut]
    has_more: bool
    next_cursor: str | None


class EventQuery(PageQuery):
    object_id: Id | None = None
    type: Annotated[str, Field(max_length=80, description="e.g. contact.created"), TEXT] | None = None
    created_after: datetime | None = None
    shape: Literal["audit", "public"] = Field(
        "audit",
        description="audit: the audit trail; public: the webhook envelope {id, type, created_at, sequence, "
        "data: {object, previous_attributes}} of the events written for webhook endpoints",
    )


@router.get(
    "/events",
    response=EventList,
    tags=["events"],
    summary="The audit trail, or the public events (shape=public)",
)
def list_events(request: HttpRequest, filters: Query[EventQuery]) -> dict[str, object]:
    if filters.shape == "public":
        return public_events(
            filters, type=filters.type, object_id=filters.object_id, created_after=filters.created_after
        )
    qs = Event.objects.all()
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.type:
        qs = qs.filter(type=filters.type)
    if filters.created_after:
        qs = qs.filter(created_at__gt=filters.created_after)
    return filters.page(qs).render(EventOut.of)
