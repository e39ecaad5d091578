"""Active lists kept as rows by the reader of the audit trail: filled silently when made, then each
join and leave an event; relative dates re-evaluated daily."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from recurra.core import clock, events
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.insights.lists.services import list_create, list_members_add
from recurra.insights.models import ListMember
from recurra.subscriptions.canceling import subscription_cancel
from recurra.subscriptions.models import Subscription
from recurra.worker.steps import run_due_work
from tests.automation.rows import a_subscription

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
SYSTEM = Actor.system()
ACTIVE_SUBS = {
    "groups": [{"conditions": [{"subscriptions": {"match": "any", "filters": {"status": ["active"]}}}]}]
}


def members(found) -> list[str]:
    return sorted(ListMember.objects.filter(list=found).values_list("record_id", flat=True))


def moves(found) -> list[tuple[str, str]]:
    rows = Event.objects.filter(object_id=found.pk, type__startswith="list.member_").order_by("id")
    return [(e.type, e.data["record_id"]) for e in rows]


def test_filled_silently_then_each_join_and_leave_is_an_event() -> None:
    ada = a_subscription("Ada")
    found = list_create(
        name="Payers", object="contacts", kind="active", filters=ACTIVE_SUBS, actor=SYSTEM, at=clock.now()
    )
    run_due_work(at=clock.now())
    assert members(found) == [ada.contact_id] and moves(found) == []

    bo = a_subscription("Bo")
    events.record(
        type="subscription.created", obj=bo, actor=SYSTEM, after=events.snapshot(bo)
    )  # as services do
    subscription_cancel(
        subscription=ada, confirm=True, when="now", refund="none", actor=SYSTEM, at=clock.now()
    )
    run_due_work(at=clock.now())

    assert members(found) == sorted([bo.contact_id])
    assert moves(found) == [("list.member_added", bo.contact_id), ("list.member_removed", ada.contact_id)]
    run_due_work(at=clock.now())
    assert len(moves(found)) == 2  # nothing more


def test_relative_dates_move_with_the_calendar() -> None:
    soon = a_subscription("Soon")  # next payment 15 Feb 2027; today 15 Jan
    found = list_create(
        name="Paying within a week",
        object="contacts",
        kind="active",
        filters={
            "groups": [
                {
                    "conditions": [
                        {
                            "subscriptions": {
                                "match": "any",
                                "filters": {
                                    "groups": [
                                        {
                                            "conditions": [
                                                {
                                                    "property": "next_payment_date",
                                                    "operator": "within_next_days",
                                                    "value": 7,
                                                }
                                            ]
                                        }
                                    ]
                                },
                            }
                        }
                    ]
                }
            ]
        },
        actor=SYSTEM,
        at=clock.now(),
    )
    run_due_work(at=clock.now())
    assert members(found) == []
    clock.freeze(clock.now() + timedelta(days=25))  # 9 Feb: the payment is 6 days away
    run_due_work(at=clock.now())
    assert members(found) == [soon.contact_id]
    assert moves(found) == [("list.member_added", soon.contact_id)]
    assert Contact.objects.filter(pk=soon.contact_id).exists() and date(2027, 2, 15) == soon.next_payment_date


def test_a_join_enrolls_the_members_subscriptions_in_a_workflow() -> None:
    from recurra.automation.models import Enrollment
    from recurra.automation.workflows.services import workflow_create

    found = list_create(name="VIP", object="contacts", kind="static", actor=SYSTEM, at=clock.now())
    workflow_create(
        name="Joined VIP",
        definition={
            "trigger": {"type": "event", "event_types": ["list.member_added"]},
            "actions": [{"type": "delay", "days": 1}],
        },
        enabled=True,
        actor=SYSTEM,
        at=clock.now(),
    )
    first = a_subscription("Ada")
    second = Subscription.objects.create(
        **{
            f.attname: getattr(first, f.attname)
            for f in Subscription._meta.concrete_fields
            if f.attname not in ("id",)
        }
    )
    other = a_subscription("Bo")
    list_members_add(record_list=found, ids=[first.contact_id], actor=SYSTEM, at=clock.now())
    run_due_work(at=clock.now())
    enrolled = sorted(Enrollment.objects.values_list("subscription_id", flat=True))
    assert enrolled == sorted([first.pk, second.pk]) and other.pk not in enrolled
