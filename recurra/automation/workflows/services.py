"""The use cases of workflows (keyword-only, ``<entity>_<action>``), each in one transaction with
its audit event.

Rules:
- A definition (trigger, filters, reenroll, actions) is checked whole (``spec``), and so are the
  users and endpoints its actions name: every problem at once, a 422 naming its place.
- Changing the definition makes a new version (``version`` + 1); enrollments under way finish on
  theirs. A name or ``enabled`` alone is not a new version.
- Enabling (on creation too) starts the workflow from now: only events after it enroll
  (``enabled_from``), and a filter trigger notes who already matches (they do not enroll).
- Deleting keeps the workflow's history (``deleted_at``); its waiting enrollments stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.accounts.models import User
from recurra.automation.models import (
    EnrollmentStatus,
    WebhookEndpoint,
    Workflow,
    WorkflowMatch,
    WorkflowVersion,
)
from recurra.automation.workflows import matching
from recurra.automation.workflows.spec import (
    Action,
    AssignOwner,
    Branch,
    Definition,
    FilterTrigger,
    InternalEmail,
    SetProperty,
    Webhook,
    definition_json,
    parse_definition,
)
from recurra.core import clock, events, ids
from recurra.core.actors import Actor
from recurra.core.errors import FieldError, ValidationFailed
from recurra.core.events import EVENT_ID_PREFIX
from recurra.insights.models import RecordList
from recurra.saved_views.spec import IN_LIST

OBJECTS = ("subscription",)
MAX_NAME = 200


def _checked_name(name: Any) -> str:
    if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME or "\x00" in name:
        raise ValidationFailed.field("name", f"must be text of 1 to {MAX_NAME} characters")
    return name.strip()


def _walk(actions: tuple[Action, ...], where: str) -> list[tuple[str, Action]]:
    found: list[tuple[str, Action]] = []
    for n, action in enumerate(actions):
        at = f"{where}[{n}]"
        found.append((at, action))
        if isinstance(action, Branch):
            found += _walk(action.then, f"{at}.then") + _walk(action.else_, f"{at}.else")
    return found


def _references(definition: Definition) -> None:
    """The users and endpoints the actions name exist (users: active)."""
    steps = _walk(definition.actions, "actions")
    wanted: set[int] = set()
    for _, action in steps:
        if isinstance(action, InternalEmail):
            wanted |= {r for r in action.to if isinstance(r, int)}
        elif isinstance(action, AssignOwner):
            wanted |= set(action.rotate)
        elif isinstance(action, SetProperty) and action.property == "owner_id" and action.value is not None:
            wanted.add(action.value)
    active = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    endpoints = {a.endpoint_id for _, a in steps if isinstance(a, Webhook)}
    known = set(WebhookEndpoint.objects.filter(pk__in=endpoints).values_list("pk", flat=True))
    errors: list[FieldError] = []
    for where, action in steps:
        if isinstance(action, InternalEmail):
            errors += [
                FieldError(f"{where}.to[{n}]", f"user {r} does not exist or is not active (GET /users)")
                for n, r in enumerate(action.to)
                if isinstance(r, int) and r not in active
            ]
        elif isinstance(action, AssignOwner):
            errors += [
                FieldError(f"{where}.rotate[{n}]", f"user {u} does not exist or is not active (GET /users)")
                for n, u in enumerate(action.rotate)
                if u not in active
            ]
        elif isinstance(action, SetProperty) and action.property == "owner_id" and action.value is not None:
            if action.value not in active:
                errors.append(
                    FieldError(f"{where}.value", f"user {action.value} does not exist or is not active")
                )
        elif isinstance(action, Webhook) and action.endpoint_id not in known:
            errors.append(
                FieldError(f"{where}.endpoint_id", "is not a webhook endpoint (GET /webhook-endpoints)")
            )
    errors += _unknown_lists(definition, steps)
    if errors:
        raise ValidationFailed("invalid workflow", errors=errors)


def _unknown_lists(definition: Definition, steps: list[tuple[str, Action]]) -> list[FieldError]:
    """The ``{"in_list": id}`` conditions (filters, branches' ifs) naming no list."""
    named: list[tuple[str, str]] = []
    wheres = [("filters", definition.filters)] + [
        (f"{w}.if", a.if_) for w, a in steps if isinstance(a, Branch)
    ]
    for where, filters in wheres:
        for g, group in enumerate(filters.groups):
            for i, c in enumerate(group):
                if c.property == IN_LIST:
                    named.append((f"{where}.groups[{g}].conditions[{i}].in_list", c.values[0]))
    known = set(RecordList.objects.filter(pk__in=[pk for _, pk in named]).values_list("pk", flat=True))
    return [FieldError(where, "is not a list (GET /lists)") for where, pk in named if pk not in known]


def checked_definition(data: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical JSON of a definition given as the API takes it; a 422 with every problem."""
    definition = parse_definition(data)
    _references(definition)
    return definition_json(definition)


def _start(workflow: Workflow, *, at: datetime) -> None:
    """From now on: the events after now enroll; a filter trigger's current matches are noted."""
    workflow.enabled_from = ids.id_at(EVENT_ID_PREFIX, clock.epoch_ms())
    workflow.dates_through = None
    WorkflowMatch.objects.filter(workflow=workflow).delete()
    definition = parse_definition(workflow.definition)
    if isinstance(definition.trigger, FilterTrigger):
        WorkflowMatch.objects.bulk_create(
            [
                WorkflowMatch(workflow=workflow, subscription_id=pk)
                for pk in matching.all_matching(definition.filters, at=at)
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )


def _snapshot(workflow: Workflow) -> dict[str, Any]:
    return events.snapshot(workflow)


def workflow_create(
    *,
    name: str,
    definition: Mapping[str, Any],
    enabled: bool = False,
    object: str = "subscription",
    actor: Actor,
    at: datetime,
) -> Workflow:
    """A new workflow (version 1); enabled, it listens from now on."""
    if object not in OBJECTS:
        raise ValidationFailed.field("object", "must be subscription")
    workflow = Workflow(
        name=_checked_name(name),
        object=object,
        enabled=bool(enabled),
        definition=checked_definition(definition),
        created_at=at,
    )
    with transaction.atomic():
        workflow.save(force_insert=True)
        WorkflowVersion.objects.create(
            workflow=workflow, number=1, definition=workflow.definition, created_at=at, created_by=actor.name
        )
        if workflow.enabled:
            _start(workflow, at=at)
            workflow.save(update_fields=["enabled_from", "dates_through"])
        events.record(type="workflow.created", obj=workflow, actor=actor, after=_snapshot(workflow))
    return workflow


def workflow_update(
    *,
    workflow: Workflow,
    actor: Actor,
    at: datetime,
    name: str | None = None,
    enabled: bool | None = None,
    definition: Mapping[str, Any] | None = None,
) -> Workflow:
    """Change what is given; a changed definition is a new version (and starts from now)."""
    before = _snapshot(workflow)
    with transaction.atomic():
        locked = Workflow.objects.select_for_update().get(pk=workflow.pk, deleted_at__isnull=True)
        if name is not None:
            locked.name = _checked_name(name)
        new_version = False
        if definition is not None:
            canonical = checked_definition(definition)
            if canonical != locked.definition:
                locked.definition, locked.version, new_version = canonical, locked.version + 1, True
        turned_on = enabled is True and not locked.enabled
        if enabled is not None:
            locked.enabled = enabled
        if locked.enabled and (turned_on or new_version):
            _start(locked, at=at)
        locked.save()
        if new_version:
            WorkflowVersion.objects.create(
                workflow=locked,
                number=locked.version,
                definition=locked.definition,
                created_at=at,
                created_by=actor.name,
            )
        events.record_update(type="workflow.updated", obj=locked, actor=actor, before=before)
    return locked


def workflow_delete(*, workflow: Workflow, actor: Actor, at: datetime) -> None:
    """Delete the workflow (its history stays); enrollments waiting stop."""
    with transaction.atomic():
        locked = Workflow.objects.select_for_update().get(pk=workflow.pk, deleted_at__isnull=True)
        before = _snapshot(locked)
        locked.deleted_at, locked.enabled = at, False
        locked.save()
        locked.enrollments.filter(status=EnrollmentStatus.QUEUED).update(
            status=EnrollmentStatus.STOPPED, finished_at=at, updated_at=at
        )
        WorkflowMatch.objects.filter(workflow=locked).delete()
        events.record(type="workflow.deleted", obj=locked, actor=actor, before=before)
