"""A loop of workflows stops at depth 3: a workflow whose action sets the property it triggers on.

"When the owner changes, assign the next owner in the rotation" (re-enrolling) would run for ever:
the seller's change enrolls at depth 1, its action's change at depth 2, then 3; the fourth
enrollment is written stopped (logged) and never run.
"""

from __future__ import annotations

import logging

import pytest

from recurra.accounts.models import User
from recurra.automation.models import Enrollment
from recurra.automation.workflows.services import workflow_create
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.crm.owners import owner_assign
from recurra.worker.steps import run_due_work
from tests.scenarios.conftest import freeze_at

pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system()


def test_a_workflow_that_triggers_itself_stops_at_depth_3(scenario, caplog):
    freeze_at(2027, 1, 4, 9, 30)
    for name in ("ulla", "viktor"):
        scenario.user(f"{name}@example.com", name, role="editor")
    ulla, viktor = (User.objects.get(username=n).pk for n in ("ulla", "viktor"))
    sub = scenario.subscribe(scenario.contact("lo@example.com"))
    workflow = workflow_create(
        name="Rotate on every owner change",
        definition={
            "trigger": {"type": "property_change", "property": "owner"},
            "reenroll": True,
            "actions": [{"type": "assign_owner", "rotate": [ulla, viktor]}],
        },
        enabled=True,
        actor=SYSTEM,
        at=clock.now(),
    )
    owner_assign(obj=sub, owner_id=viktor, actor=SYSTEM)  # the seller's change: depth 0

    with caplog.at_level(logging.WARNING, logger="recurra.workflows"):
        for _ in range(8):  # worker passes: each runs what the one before enrolled
            run_due_work(at=clock.now())

    rows = list(Enrollment.objects.order_by("id").values_list("depth", "status"))
    assert rows == [(1, "finished"), (2, "finished"), (3, "finished"), (4, "stopped")]
    updates = Event.objects.filter(type="subscription.updated", object_id=sub.pk).order_by("id")
    changes = [e for e in updates if "owner_id" in e.data["after"]]
    owners = [(e.data["after"]["owner_id"], e.actor_type, e.data.get("depth", 0)) for e in changes]
    assert owners == [
        (viktor, "system", 0),
        (ulla, "workflow", 1),
        (viktor, "workflow", 2),
        (ulla, "workflow", 3),
    ]
    assert all(e.actor_id == workflow.pk for e in changes[1:])
    assert "depth 4" in caplog.text
    assert run_due_work(at=clock.now()).idle  # nothing more, ever
