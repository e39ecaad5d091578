"""The engine's rules, each with the events it expects: filter triggers, event triggers followed to
the subscription, branches, versions, deletion, and what must NOT enroll."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from recurra.automation.models import Enrollment, EnrollmentStep
from recurra.automation.workflows.services import workflow_create, workflow_delete, workflow_update
from recurra.core import clock, events
from recurra.core.actors import Actor
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription
from recurra.worker.steps import run_due_work
from tests.automation.rows import a_subscription

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
SYSTEM = Actor.system()


def email(subject: str) -> dict:
    return {
        "type": "internal_email",
        "to": ["team@example.com"],
        "subject": subject,
        "body": "{{ subscription.name }}",
    }


def workflow(definition: dict, name: str = "W"):
    return workflow_create(name=name, definition=definition, enabled=True, actor=SYSTEM, at=clock.now())


def rename(sub: Subscription, name: str) -> None:
    subscription_change(
        subscription=sub, changes=SubscriptionChanges(name=name), actor=SYSTEM, at=clock.now()
    )


def subjects() -> list[str]:
    found = EmailMessage.objects.filter(kind="workflow_notification").order_by("id")
    return list(found.values_list("data__subject", flat=True))


BIG = {"groups": [{"conditions": [{"property": "mrr", "operator": "greater_than", "value": 5000}]}]}


def test_a_filter_trigger_enrolls_what_starts_to_match_not_what_matched_already() -> None:
    already = a_subscription("Already", mrr=9000)
    later = a_subscription("Later", mrr=3000)
    workflow(
        {"trigger": {"type": "filter"}, "filters": BIG, "actions": [email("big: {{ subscription.name }}")]}
    )
    rename(already, "Already 2")  # touched, but it matched when the trigger was set
    rename(later, "Later 2")  # touched, does not match
    Subscription.objects.filter(pk=later.pk).update(line_items_mrr=7000)
    rename(later, "Later 3")  # now it starts to match

    run_due_work(at=clock.now())

    assert subjects() == ["big: Later 3"]
    assert list(Enrollment.objects.values_list("subscription_id", flat=True)) == [later.pk]


def test_an_invoice_event_enrolls_the_invoices_subscription() -> None:
    sub = a_subscription("Pro")
    other = a_subscription("Other")
    workflow(
        {"trigger": {"type": "event", "event_types": ["invoice.overdue"]}, "actions": [email("overdue")]}
    )
    invoice = Invoice.objects.create(
        contact=sub.contact,
        subscription=sub,
        currency="USD",
        subtotal=1000,
        discount=0,
        tax=0,
        total=1000,
        amount_due=1000,
        collection_method="send_invoice",
        payment_terms="net_15",
        issued_on=date(2027, 1, 1),
        due_on=date(2027, 1, 14),
        status="open",
    )
    before = events.snapshot(invoice)
    invoice.overdue_at = clock.now()
    invoice.save()
    events.record_update(type="invoice.updated", obj=invoice, actor=SYSTEM, before=before)
    rename(other, "Other 2")  # a subscription event of no interest to this trigger

    run_due_work(at=clock.now())

    (enrollment,) = Enrollment.objects.all()
    assert enrollment.subscription_id == sub.pk
    assert enrollment.trigger["event_type"] == "invoice.updated"
    assert subjects() == ["overdue"]


def test_a_branch_takes_the_path_the_subscription_matches_now() -> None:
    big, small = a_subscription("Big", mrr=9000), a_subscription("Small")
    workflow(
        {
            "trigger": {"type": "property_change", "property": "name"},
            "actions": [{"type": "branch", "if": BIG, "then": [email("then")], "else": [email("else")]}],
        }
    )
    rename(big, "Big 2")
    rename(small, "Small 2")
    run_due_work(at=clock.now())
    paths = sorted(EnrollmentStep.objects.values_list("enrollment__subscription_id", "path", "outcome"))
    assert paths == sorted(
        [
            (big.pk, "0", "done"),
            (big.pk, "0.then.0", "done"),
            (small.pk, "0", "done"),
            (small.pk, "0.else.0", "done"),
        ]
    )
    assert sorted(subjects()) == ["else", "then"]


def test_a_waiting_enrollment_finishes_on_its_version_and_a_deleted_workflow_stops_them() -> None:
    first, second = a_subscription("First"), a_subscription("Second")
    made = workflow(
        {
            "trigger": {"type": "property_change", "property": "name"},
            "actions": [{"type": "delay", "days": 1}, email("v1")],
        }
    )
    rename(first, "First 2")
    run_due_work(at=clock.now())
    workflow_update(
        workflow=made,
        actor=SYSTEM,
        at=clock.now(),
        definition={
            "trigger": {"type": "property_change", "property": "name"},
            "actions": [{"type": "delay", "days": 1}, email("v2")],
        },
    )
    rename(second, "Second 2")
    run_due_work(at=clock.now())
    assert Enrollment.objects.filter(status="queued").count() == 2

    clock.freeze(clock.now() + timedelta(days=1))
    run_due_work(at=clock.now())
    assert sorted(subjects()) == ["v1", "v2"]

    third = a_subscription("Third")
    rename(third, "Third 2")
    run_due_work(at=clock.now())
    workflow_delete(workflow=made, actor=SYSTEM, at=clock.now())
    assert Enrollment.objects.get(subscription_id=third.pk).status == "stopped"
    clock.freeze(clock.now() + timedelta(days=2))
    rename(first, "First 3")
    run_due_work(at=clock.now())
    assert sorted(subjects()) == ["v1", "v2"]  # nothing after the deletion
    assert Enrollment.objects.count() == 3


def test_a_disabled_workflow_and_changes_before_enabling_enroll_nothing() -> None:
    sub = a_subscription("Pro")
    made = workflow_create(
        name="Off",
        definition={"trigger": {"type": "property_change", "property": "name"}, "actions": [email("x")]},
        enabled=False,
        actor=SYSTEM,
        at=clock.now(),
    )
    rename(sub, "Pro 2")
    run_due_work(at=clock.now())
    workflow_update(workflow=made, actor=SYSTEM, at=clock.now(), enabled=True)
    run_due_work(at=clock.now())
    assert not Enrollment.objects.exists()
    rename(sub, "Pro 3")
    run_due_work(at=clock.now())
    assert Enrollment.objects.count() == 1
