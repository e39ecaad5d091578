"""Reads behind the workflow API and pages."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from recurra.automation.models import ENROLLED, Enrollment, EnrollmentStep, Workflow


def workflow_list() -> QuerySet[Workflow]:
    """The workflows not deleted, newest first, with how many subscriptions are enrolled now."""
    return Workflow.objects.filter(deleted_at__isnull=True).annotate(
        enrolled=Count("enrollments", filter=Q(enrollments__status__in=ENROLLED))
    )


def workflow_get(pk: str) -> Workflow | None:
    return Workflow.objects.filter(pk=pk, deleted_at__isnull=True).first()


def enrollment_list(
    *, workflow_id: str | None = None, subscription_id: str | None = None
) -> QuerySet[Enrollment]:
    """Enrollments (newest first) with their steps in order and their workflow and version."""
    qs = Enrollment.objects.select_related("workflow", "version").prefetch_related(
        Prefetch("steps", queryset=EnrollmentStep.objects.order_by("id"))
    )
    if workflow_id is not None:
        qs = qs.filter(workflow_id=workflow_id)
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    return qs.order_by("-id")
