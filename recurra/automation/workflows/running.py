"""Running enrollments: the job runner's ``workflows`` queue, whose rows are the enrollments.

A claimed enrollment runs its version's steps from ``position``, each in its own transaction with
its effect and its history row (one per path: a step run again after a crash finds its row and is
not done twice). A delay queues the enrollment again for the end of the delay (simulated time: the
test clock moves through it); the end of the actions finishes it. A deleted workflow or
subscription stops it. An unexpected error leaves the step undone, and the runner retries the
enrollment with its backoff.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.automation.models import (
    Enrollment,
    EnrollmentStatus,
    EnrollmentStep,
    StepOutcome,
    Workflow,
    WorkflowVersion,
)
from recurra.automation.workflows import actions
from recurra.automation.workflows.live import definition_of
from recurra.automation.workflows.spec import Branch, Path, action_json, next_path, path_text, step_at
from recurra.core.actors import Actor
from recurra.jobs import runner
from recurra.subscriptions.models import Subscription

QUEUE = "workflows"


def register() -> None:
    runner.register_queue(
        QUEUE,
        Enrollment,
        enrollment_run,
        queued=EnrollmentStatus.QUEUED,
        running=EnrollmentStatus.RUNNING,
        done=EnrollmentStatus.FINISHED,
        failed=EnrollmentStatus.FAILED,
        finished_field="finished_at",
        batch=100,
    )


def _stop(enrollment: Enrollment, reason: str, *, at: datetime) -> dict[str, Any]:
    with transaction.atomic():
        EnrollmentStep.objects.bulk_create(
            [
                EnrollmentStep(
                    enrollment=enrollment,
                    path="stop",
                    type="stop",
                    outcome=StepOutcome.SKIPPED,
                    detail={"reason": reason},
                    at=at,
                )
            ],
            ignore_conflicts=True,
        )
    return {"status": EnrollmentStatus.STOPPED}


def enrollment_run(enrollment: Enrollment, *, at: datetime, session: object = None) -> dict[str, Any]:
    """Run ``enrollment``'s steps until a delay or the end; the fields the runner keeps."""
    workflow = Workflow.objects.filter(pk=enrollment.workflow_id).first()
    if workflow is None or workflow.deleted_at is not None:
        return _stop(enrollment, "workflow_deleted", at=at)
    sub = Subscription.objects.filter(pk=enrollment.subscription_id).first()
    if sub is None:
        return _stop(enrollment, "subscription_deleted", at=at)
    definition = definition_of(WorkflowVersion.objects.get(pk=enrollment.version_id))
    actor = Actor.for_workflow(workflow.pk, workflow.name, depth=enrollment.depth)
    start: Path = tuple(enrollment.position) or (0,)
    path: Path | None = start if step_at(definition.actions, start) is not None else None
    while path is not None:
        action = step_at(definition.actions, path)
        assert action is not None
        done = _step(enrollment, workflow, sub, action, path, actor=actor, at=at)
        following = following_path(definition.actions, path, action, done)
        if done.wait_until is not None and following is not None:
            return {
                "status": EnrollmentStatus.QUEUED,
                "run_at": done.wait_until,
                "position": list(following),
                "attempts": 0,
                "finished_at": None,
            }
        path = following
        sub = Subscription.objects.get(pk=sub.pk)  # as the step left it
    return {"status": EnrollmentStatus.FINISHED, "position": []}


def following_path(actions_: Any, path: Path, action: Any, done: actions.Done) -> Path | None:
    """The next path: into the branch taken (its first step, when it has one), else onwards."""
    if isinstance(action, Branch) and done.branch:
        first = (*path, done.branch, 0)
        if step_at(actions_, first) is not None:
            return first
    return next_path(actions_, path)


def _step(
    enrollment: Enrollment,
    workflow: Workflow,
    sub: Subscription,
    action: Any,
    path: Path,
    *,
    actor: Actor,
    at: datetime,
) -> actions.Done:
    """One step in one transaction with its history row (a step done before, by a run that crashed
    before its outcome was kept, is not done again: its kept outcome is the answer)."""
    key = path_text(path)
    with transaction.atomic():
        Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
        kept = EnrollmentStep.objects.filter(enrollment=enrollment, path=key).first()
        if kept is not None:  # done by a run that crashed before the enrollment's outcome was kept
            until = (
                datetime.fromisoformat(kept.detail["until"]) if kept.outcome == StepOutcome.WAITING else None
            )
            return actions.Done(
                kept.outcome,
                kept.detail,
                wait_until=until if until is not None and until > at else None,
                branch=kept.detail.get("branch"),
            )
        ctx = actions.Context(
            workflow_id=workflow.pk,
            workflow_name=workflow.name,
            enrollment_id=enrollment.pk,
            event_id=enrollment.event_id,
            subscription=sub,
            actor=actor,
            at=at,
            path=key,
        )
        done = actions.perform(action, ctx)
        EnrollmentStep.objects.create(
            enrollment=enrollment,
            path=key,
            type=action_json(action)["type"],
            outcome=done.outcome,
            detail=done.detail,
            at=at,
        )
        Enrollment.objects.filter(pk=enrollment.pk).update(position=list(path), updated_at=at)
    return done
