"""A dry run: the path a subscription would take through a workflow now, changing nothing.

The trigger is taken to fire now. Each step says what it would do, as the real run would do it
(the same strategies, ``dry``): the emails with their placeholders filled, the property and its
values, whose turn it is in a rotation, the branch taken by the subscription as it is now. A delay
moves the dry run's clock on. It runs in a transaction rolled back at its end, so that nothing it
touches can stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.automation.models import Workflow, WorkflowVersion
from recurra.automation.workflows import actions, matching
from recurra.automation.workflows.live import definition_of
from recurra.automation.workflows.running import following_path
from recurra.automation.workflows.spec import Path, action_json, path_text, step_at
from recurra.core.actors import Actor
from recurra.subscriptions.models import Subscription


@dataclass
class TestStep:
    path: str
    type: str
    outcome: str
    at: datetime
    detail: dict[str, Any]


@dataclass
class TestResult:
    subscription_id: str
    version: int
    enrolls: bool  # matches the workflow's filters now
    steps: list[TestStep] = field(default_factory=list)


def workflow_test(*, workflow: Workflow, subscription: Subscription, at: datetime) -> TestResult:
    """What ``workflow`` would do with ``subscription`` if its trigger fired at ``at``."""
    version = WorkflowVersion.objects.get(workflow=workflow, number=workflow.version)
    definition = definition_of(version)
    actor = Actor.for_workflow(workflow.pk, workflow.name, depth=1)
    enrolls = bool(matching.matching(definition.filters, [subscription.pk], at=at))
    result = TestResult(subscription.pk, workflow.version, enrolls)
    with transaction.atomic():
        path: Path | None = (0,)
        now = at
        while path is not None and step_at(definition.actions, path) is not None:
            action = step_at(definition.actions, path)
            assert action is not None
            ctx = actions.Context(
                workflow_id=workflow.pk,
                workflow_name=workflow.name,
                enrollment_id="",
                event_id="",
                subscription=subscription,
                actor=actor,
                at=now,
                path=path_text(path),
                dry=True,
            )
            done = actions.perform(action, ctx)
            result.steps.append(
                TestStep(path_text(path), action_json(action)["type"], done.outcome, now, done.detail)
            )
            if done.wait_until is not None:
                now = done.wait_until
            path = following_path(definition.actions, path, action, done)
        transaction.set_rollback(True)
    return result
