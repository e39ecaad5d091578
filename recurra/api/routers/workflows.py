"""/workflows: triggers on subscription data, their actions, history and dry run (editor role).

The body's ``trigger``, ``filters``, ``reenroll`` and ``actions`` are checked whole by
``automation.workflows.spec`` (every problem at once, a 422 naming its place); see
docs/workflows.md. A change of any of them makes a new ``version``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from recurra.accounts.roles import Role
from recurra.api.auth import ApiKeyAuth, actor
from recurra.api.common import PageQuery, no_content
from recurra.api.fields import TEXT, Id, In, omittable
from recurra.api.pagination import list_schema
from recurra.automation.models import Enrollment, EnrollmentStatus, Workflow
from recurra.automation.workflows import selectors, services
from recurra.automation.workflows.testing import workflow_test
from recurra.core import clock
from recurra.core.errors import NotFound
from recurra.subscriptions.selectors import subscription_get

router = Router(tags=["workflows"], auth=ApiKeyAuth(Role.EDITOR))
Name = Annotated[str, Field(min_length=1, max_length=services.MAX_NAME), TEXT]
TRIGGER_DOC = (
    '{"type": "property_change", "property": "status", "to": ["past_due"], "from"?: [...]} | '
    '{"type": "event", "event_types": [...]} | {"type": "date", "property": "next_payment_date", '
    '"offset_days": -7} | {"type": "filter"}'
)
ACTIONS_DOC = "ordered steps: delay, internal_email, set_property, assign_owner, webhook, branch"
FILTERS_DOC = "the saved-view filter language (docs/views.md): who enrolls"


class WorkflowIn(In):
    name: Name
    object: Literal["subscription"] = "subscription"
    enabled: bool = Field(False, description="listening for its trigger")
    trigger: dict[str, Any] = Field(description=TRIGGER_DOC)
    filters: dict[str, Any] | None = Field(None, description=FILTERS_DOC)
    reenroll: bool = Field(False, description="enroll again each time the trigger fires anew")
    actions: list[dict[str, Any]] = Field(description=ACTIONS_DOC)


class WorkflowPatch(In):
    name: Name = omittable()
    enabled: bool = omittable()
    trigger: dict[str, Any] = omittable(description=TRIGGER_DOC)
    filters: dict[str, Any] | None = Field(None, description=FILTERS_DOC)
    reenroll: bool = omittable()
    actions: list[dict[str, Any]] = omittable(description=ACTIONS_DOC)


class WorkflowOut(BaseModel):
    id: str
    name: str
    object: str
    enabled: bool
    trigger: dict[str, Any]
    filters: dict[str, Any] | None
    reenroll: bool
    actions: list[dict[str, Any]]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, w: Workflow) -> WorkflowOut:
        d = w.definition
        return cls(
            id=w.pk,
            name=w.name,
            object=w.object,
            enabled=w.enabled,
            trigger=d["trigger"],
            filters=d.get("filters"),
            reenroll=d.get("reenroll", False),
            actions=d["actions"],
            version=w.version,
            created_at=w.created_at,
            updated_at=w.updated_at,
        )


class StepOut(BaseModel):
    path: str = Field(description='where in the actions: "2", "1.then.0"')
    type: str
    outcome: str = Field(description="done | waiting | skipped | failed")
    at: datetime
    detail: dict[str, Any] = Field(description="what it did: emails sent, property from/to, branch taken...")


class EnrollmentOut(BaseModel):
    id: str
    workflow_id: str
    version: int
    subscription_id: str
    status: Literal["waiting", "running", "finished", "failed", "stopped"]
    trigger: dict[str, Any] = Field(description="what enrolled it (the event, the date)")
    depth: int
    next_step_at: datetime | None = Field(description="when a waiting enrollment goes on")
    last_error: str
    created_at: datetime
    finished_at: datetime | None
    steps: list[StepOut]

    @classmethod
    def of(cls, e: Enrollment) -> EnrollmentOut:
        waiting = e.status == EnrollmentStatus.QUEUED
        return cls(
            id=e.pk,
            workflow_id=e.workflow_id,
            version=e.version.number,
            subscription_id=e.subscription_id,
            status="waiting" if waiting else e.status,  # type: ignore[arg-type]
            trigger=e.trigger,
            depth=e.depth,
            next_step_at=e.run_at if waiting else None,
            last_error=e.last_error,
            created_at=e.created_at,
            finished_at=e.finished_at,
            steps=[
                StepOut(path=s.path, type=s.type, outcome=s.outcome, at=s.at, detail=s.detail)
                for s in e.steps.all()
            ],
        )


class TestIn(In):
    subscription_id: Id


class TestOut(BaseModel):
    subscription_id: str
    version: int
    enrolls: bool = Field(description="the subscription matches the workflow's filters now")
    steps: list[StepOut] = Field(description="the path it would take, what each step would do")


class EnrollmentQuery(PageQuery):
    subscription_id: Id | None = None


def workflow_or_404(pk: str) -> Workflow:
    found = selectors.workflow_get(pk)
    if found is None:
        raise NotFound(f"no workflow {pk}")
    return found


def _definition(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: payload[k] for k in ("trigger", "filters", "reenroll", "actions") if k in payload}


@router.post("", response={201: WorkflowOut}, summary="Create a workflow")
def create_workflow(request: HttpRequest, payload: WorkflowIn) -> Status[WorkflowOut]:
    made = services.workflow_create(
        name=payload.name,
        object=payload.object,
        enabled=payload.enabled,
        definition=_definition(payload.model_dump()),
        actor=actor(request),
        at=clock.now(),
    )
    return Status(201, WorkflowOut.of(made))


@router.get("", response=list_schema(WorkflowOut), summary="List workflows")
def list_workflows(request: HttpRequest, filters: Query[PageQuery]) -> dict[str, object]:
    return filters.page(selectors.workflow_list()).render(WorkflowOut.of)


@router.get("/{workflow_id}", response=WorkflowOut, summary="Get a workflow")
def get_workflow(request: HttpRequest, workflow_id: Id) -> WorkflowOut:
    return WorkflowOut.of(workflow_or_404(workflow_id))


@router.patch("/{workflow_id}", response=WorkflowOut, summary="Change a workflow (a new version)")
def update_workflow(request: HttpRequest, workflow_id: Id, payload: WorkflowPatch) -> WorkflowOut:
    workflow = workflow_or_404(workflow_id)
    given = payload.model_dump(exclude_unset=True)
    changed = _definition(given)
    changed = {**workflow.definition, **changed} if changed else {}
    done = services.workflow_update(
        workflow=workflow,
        actor=actor(request),
        at=clock.now(),
        name=given.get("name"),
        enabled=given.get("enabled"),
        definition=changed or None,
    )
    return WorkflowOut.of(done)


@router.delete("/{workflow_id}", response={204: None}, summary="Delete a workflow (its history stays)")
def delete_workflow(request: HttpRequest, workflow_id: Id) -> HttpResponse:
    services.workflow_delete(workflow=workflow_or_404(workflow_id), actor=actor(request), at=clock.now())
    return no_content()


@router.get(
    "/{workflow_id}/enrollments", response=list_schema(EnrollmentOut), summary="A workflow's enrollments"
)
def list_enrollments(
    request: HttpRequest, workflow_id: Id, filters: Query[EnrollmentQuery]
) -> dict[str, object]:
    workflow = workflow_or_404(workflow_id)
    found = selectors.enrollment_list(workflow_id=workflow.pk, subscription_id=filters.subscription_id)
    return filters.page(found).render(EnrollmentOut.of)


@router.post("/{workflow_id}/test", response=TestOut, summary="Dry run: what it would do, changing nothing")
def test_workflow(request: HttpRequest, workflow_id: Id, payload: TestIn) -> TestOut:
    workflow = workflow_or_404(workflow_id)
    subscription = subscription_get(payload.subscription_id)
    if subscription is None:
        raise NotFound(f"no subscription {payload.subscription_id}")
    result = workflow_test(workflow=workflow, subscription=subscription, at=clock.now())
    return TestOut(
        subscription_id=result.subscription_id,
        version=result.version,
        enrolls=result.enrolls,
        steps=[
            StepOut(path=s.path, type=s.type, outcome=s.outcome, at=s.at, detail=s.detail)
            for s in result.steps
        ],
    )
