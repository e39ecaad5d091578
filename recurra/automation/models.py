"""Outgoing webhooks: endpoints, the public events written for them, deliveries and their attempts.

A :class:`PublicEvent` is written in the transaction of the change it tells of (from its audit
event, whose id it takes), only while an enabled endpoint wants its type; its ``body`` is the exact
JSON every delivery sends. A :class:`WebhookDelivery` is one event for one endpoint, a row of the
job runner's ``webhooks`` queue; each POST leaves a :class:`WebhookAttempt` with the answer.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.core import clock, ids
from recurra.core.models import Timestamped
from recurra.jobs.models import QueuedWork


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", _("Disabled")


class WebhookEndpoint(Timestamped):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("we"))
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    enabled_events = models.JSONField(
        default=list,
        help_text='["*"] or a list of event types',  # i18n: not text
    )
    status = models.CharField(max_length=10, choices=EndpointStatus.choices, default=EndpointStatus.ENABLED)
    secret_sealed = models.TextField(
        help_text="the whsec_ secret, sealed (automation.webhooks.sealing)",  # i18n: not text
    )
    previous_secret_sealed = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="first failure since the last success",  # i18n: not text
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.url} ({self.status})"


class PublicEvent(models.Model):
    """A public event: ``{id, type, created_at, sequence, data: {object, previous_attributes}}``."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH)  # the audit event's (or a new evt_)
    type = models.CharField(max_length=80)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=ids.ID_LENGTH)
    sequence = models.PositiveBigIntegerField(
        help_text="per object: 1, 2, 3... in the order of changes",  # i18n: not text
    )
    body = models.TextField(help_text="the JSON sent, byte for byte")  # i18n: not text
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["object_id", "sequence"], name="public_event_object"),
            models.Index(fields=["type", "id"], name="public_event_type"),
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")  # claimed by a worker (leased); shown as pending
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(QueuedWork):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("whd"))
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(PublicEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            *QueuedWork.Meta.indexes,
            models.Index(fields=["endpoint", "-id"], name="delivery_by_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.event_id} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("wha"))
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(help_text="when it was made (the business clock)")  # i18n: not text
    url = models.CharField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True, help_text="at most 64 KB of the answer")  # i18n: not text
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]


# Workflows --------------------------------------------------------------------------------------


class Workflow(Timestamped):
    """A workflow: when a trigger fires for a subscription that matches its filters, run its actions.

    ``definition`` is its current version's ``{trigger, filters, reenroll, actions}`` (the JSON the
    API takes, as ``workflows.spec`` writes it); each change of it is a new :class:`WorkflowVersion`
    and running enrollments finish on theirs. Only events after ``enabled_from`` (an event id: the
    moment it was last enabled or its trigger changed) enroll. A deleted workflow is kept (its
    enrollments are history) with ``deleted_at`` set; its waiting enrollments stop.
    """

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("wf"))
    name = models.CharField(max_length=200)
    object = models.CharField(max_length=20, default="subscription")
    enabled = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    definition = models.JSONField(default=dict)
    enabled_from = models.CharField(
        max_length=ids.ID_LENGTH,
        blank=True,
        help_text="events with a smaller id do not enroll",  # i18n: not text
    )
    dates_through = models.DateField(
        null=True,
        blank=True,
        help_text="date triggers: the last account-local day evaluated",  # i18n: not text
    )
    rotation = models.PositiveIntegerField(
        default=0,
        help_text="assign_owner: owners handed out so far (round robin)",  # i18n: not text
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.name}"


class WorkflowVersion(models.Model):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("wfv"))
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "number"], name="workflow_version_number")]


class EnrollmentStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")  # due now (its next step runs) or later (after a delay)
    RUNNING = "running", _("Running")  # claimed by a worker (leased)
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")
    STOPPED = "stopped", _("Stopped")  # not run: a loop (depth), or its workflow was deleted


ENROLLED = (EnrollmentStatus.QUEUED, EnrollmentStatus.RUNNING)


class Enrollment(QueuedWork):
    """A subscription going through a workflow version's actions: a row of the ``workflows`` queue.

    One per (workflow, subscription, occurrence): ``once`` unless the workflow re-enrolls (then
    the event that enrolled it), and a date trigger's date (``next_payment_date:2027-03-31``), so
    racing workers enroll once; and at most one enrolled (waiting or running) per (workflow,
    subscription). ``position`` is the path of the next step (``[2]``, ``[1, "then", 0]``).
    """

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("wfe"))
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="enrollments")
    version = models.ForeignKey(WorkflowVersion, on_delete=models.CASCADE, related_name="enrollments")
    subscription_id = models.CharField(max_length=ids.ID_LENGTH)
    occurrence = models.CharField(max_length=120)
    trigger = models.JSONField(default=dict, help_text="what enrolled it")  # i18n: not text
    event_id = models.CharField(max_length=ids.ID_LENGTH, blank=True)
    depth = models.PositiveSmallIntegerField(default=1)
    position = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.QUEUED
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            *QueuedWork.Meta.indexes,
            models.Index(fields=["subscription_id", "-id"], name="enrollment_by_subscription"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "subscription_id", "occurrence"], name="enrollment_once_per_occurrence"
            ),
            models.UniqueConstraint(
                fields=["workflow", "subscription_id"],
                condition=models.Q(status__in=["queued", "running"]),
                name="enrollment_one_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.workflow_id} {self.subscription_id} ({self.status})"


class StepOutcome(models.TextChoices):
    DONE = "done", _("Done")
    WAITING = "waiting", _("Waiting")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class EnrollmentStep(models.Model):
    """One step an enrollment took: when, its outcome, and what it did (``detail``). Written in the
    transaction of the step's effect, once per (enrollment, path): a step is never done twice."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("wfs"))
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="steps")
    path = models.CharField(max_length=60)
    type = models.CharField(max_length=20)
    outcome = models.CharField(max_length=10, choices=StepOutcome.choices)
    detail = models.JSONField(default=dict)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "path"], name="enrollment_step_once")]


class WorkflowMatch(models.Model):
    """Filter triggers: a subscription that matched a workflow's filters when last evaluated.

    A subscription enrolls when it starts to match: it matches and has no row. Rows of
    subscriptions matching when the trigger was set are written then (they do not enroll)."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="matches")
    subscription_id = models.CharField(max_length=ids.ID_LENGTH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workflow", "subscription_id"], name="workflow_match_once")
        ]
