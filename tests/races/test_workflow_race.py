"""Two worker processes race over 1,000 triggering events (PostgreSQL): each enrollment and each
action happens once.

1,000 subscriptions get an owner, in ten transactions of 100 while two workers run their loops (so
the cursor meets transactions still open). The workflow "when the owner changes: email the owner,
then rename the subscription" must enroll each subscription once, email each owner once and rename
each subscription once, whichever worker evaluates the cursor or claims the enrollment.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from bench.seed import seed_due_subscriptions
from recurra.accounts.models import User
from recurra.accounts.services import user_create
from recurra.automation.models import Enrollment, EnrollmentStep
from recurra.automation.workflows.services import workflow_create
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.crm.owners import owners_assign
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.models import Subscription
from tests.races.workers import logged_errors, start_worker, stop_workers, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SYSTEM = Actor.system()
N = 1000


def test_two_workers_enroll_and_act_once_each(frozen_clock: datetime, tmp_path: Path) -> None:
    seed_due_subscriptions(N, at=frozen_clock, tag="wf")
    user_create(username="olivia", email="olivia@example.com", password="x" * 20, role="editor", actor=SYSTEM)
    olivia = User.objects.get(username="olivia").pk
    workflow = workflow_create(
        name="Owner changed",
        definition={
            "trigger": {"type": "property_change", "property": "owner"},
            "actions": [
                {
                    "type": "internal_email",
                    "to": ["owner"],
                    "subject": "Yours: {{ subscription.name }}",
                    "body": "Hi",
                },
                {"type": "set_property", "property": "name", "value": "Renamed by a workflow"},
            ],
        },
        enabled=True,
        actor=SYSTEM,
        at=frozen_clock,
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    workers = [start_worker(logs, batch_size=50, lease_seconds=120) for _ in range(2)]
    try:
        ids = sorted(Subscription.objects.values_list("pk", flat=True))
        for start in range(0, N, 100):
            owners_assign(model=Subscription, ids=ids[start : start + 100], owner_id=olivia, actor=SYSTEM)

        def finished() -> bool:
            return Enrollment.objects.filter(status="finished").count() == N

        wait_until(finished, timeout=240, what="every enrollment finished")
    finally:
        stop_workers(workers)

    assert logged_errors(logs) == []
    enrollments = Counter(Enrollment.objects.values_list("subscription_id", flat=True))
    assert len(enrollments) == N and set(enrollments.values()) == {1}
    steps = Counter(EnrollmentStep.objects.values_list("enrollment__subscription_id", "type"))
    assert len(steps) == 2 * N and set(steps.values()) == {1}
    emails = Counter(
        EmailMessage.objects.filter(kind="workflow_notification").values_list("subscription_id", flat=True)
    )
    assert len(emails) == N and set(emails.values()) == {1}
    renames = Counter(
        Event.objects.filter(
            type="subscription.updated", actor_type="workflow", actor_id=workflow.pk
        ).values_list("object_id", flat=True)
    )
    assert len(renames) == N and set(renames.values()) == {1}
    assert Subscription.objects.exclude(name="Renamed by a workflow").count() == 0
