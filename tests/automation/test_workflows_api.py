"""/workflows: editors create, change (a new version), delete; every problem of a definition at
once, named by its place; the enrollments with their steps; a dry run that changes nothing."""

from __future__ import annotations

import pytest

from recurra.accounts.models import User
from recurra.accounts.services import user_create
from recurra.automation.models import Enrollment, Workflow, WorkflowVersion
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.crm.owners import owner_assign
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok
from tests.automation.rows import a_subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")
SYSTEM = Actor.system()
UNPAID = {"type": "property_change", "property": "status", "to": ["past_due"]}
EMAIL = {
    "type": "internal_email",
    "to": ["owner", "team@example.com"],
    "subject": "{{ subscription.name }} is {{ subscription.status }}",
    "body": "Next payment {{ subscription.next_payment_date }}",
}


@pytest.fixture
def editor(api_as):
    return api_as("editor")


@pytest.fixture
def olivia(db) -> User:
    user_create(username="olivia", email="olivia@example.com", password="x" * 20, role="editor", actor=SYSTEM)
    return User.objects.get(username="olivia")


@pytest.fixture
def sub(db, olivia) -> Subscription:
    made = a_subscription()
    owner_assign(obj=made, owner_id=olivia.pk, actor=SYSTEM)
    return made


def body(**changes):
    return {"name": "Unpaid → owner", "enabled": True, "trigger": UNPAID, "actions": [EMAIL], **changes}


def test_create_get_list(editor) -> None:
    made = ok(editor.post("/workflows", body()), 201)
    assert made["object"] == "subscription"
    assert (made["enabled"], made["version"], made["reenroll"], made["filters"]) == (True, 1, False, None)
    assert made["trigger"] == UNPAID
    assert made["actions"] == [EMAIL]
    assert ok(editor.get(f"/workflows/{made['id']}")) == made
    assert [w["id"] for w in ok(editor.get("/workflows"))["data"]] == [made["id"]]
    assert Event.objects.filter(type="workflow.created", object_id=made["id"]).count() == 1


def test_every_problem_at_once_named_by_its_place(editor) -> None:
    bad = body(
        trigger={"type": "property_change", "property": "colour"},
        filters={"status": ["nope"]},
        actions=[
            {"type": "delay"},
            {
                "type": "internal_email",
                "to": ["not an address"],
                "subject": "{{ subscription.nope }}",
                "body": "x",
            },
            {"type": "branch", "if": {}, "then": [{"type": "launch"}]},
            {"type": "set_property", "property": "status", "value": "canceled"},
        ],
    )
    assert_problem(
        editor.post("/workflows", bad),
        422,
        "filters.status",
        "trigger.property",
        "actions[0].days",
        "actions[1].to[0]",
        "actions[1].subject",
        "actions[2].if",
        "actions[2].then[0].type",
        "actions[3].property",
    )
    assert not Workflow.objects.exists()


def test_unknown_users_and_endpoints_are_named(editor) -> None:
    bad = body(
        actions=[{"type": "assign_owner", "rotate": [999]}, {"type": "webhook", "endpoint_id": "we_missing"}]
    )
    assert_problem(editor.post("/workflows", bad), 422, "actions[0].rotate[0]", "actions[1].endpoint_id")


@pytest.mark.parametrize(
    ("trigger", "filters", "fields"),
    [
        ({"type": "filter"}, None, ("filters",)),
        (
            {"type": "date", "property": "created_at", "offset_days": 400},
            None,
            ("trigger.property", "trigger.offset_days"),
        ),
        ({"type": "event", "event_types": ["contact.created"]}, None, ("trigger.event_types[0]",)),
        ({"type": "sometimes"}, None, ("trigger.type",)),
    ],
)
def test_triggers_are_checked(editor, trigger, filters, fields) -> None:
    assert_problem(editor.post("/workflows", body(trigger=trigger, filters=filters)), 422, *fields)


def test_a_changed_definition_is_a_new_version_a_name_is_not(editor) -> None:
    made = ok(editor.post("/workflows", body()), 201)
    renamed = ok(editor.patch(f"/workflows/{made['id']}", {"name": "Renamed"}))
    assert (renamed["name"], renamed["version"]) == ("Renamed", 1)
    changed = ok(editor.patch(f"/workflows/{made['id']}", {"actions": [{"type": "delay", "days": 2}, EMAIL]}))
    assert changed["version"] == 2
    assert changed["trigger"] == UNPAID  # what was not sent stays
    same = ok(editor.patch(f"/workflows/{made['id']}", {"actions": [{"type": "delay", "days": 2}, EMAIL]}))
    assert same["version"] == 2  # the same definition again: no new version
    versions = WorkflowVersion.objects.filter(workflow_id=made["id"]).order_by("number")
    assert [len(v.definition["actions"]) for v in versions] == [1, 2]


def test_delete_keeps_history_and_answers_404_after(editor) -> None:
    made = ok(editor.post("/workflows", body()), 201)
    assert editor.delete(f"/workflows/{made['id']}").status_code == 204
    assert_problem(editor.get(f"/workflows/{made['id']}"), 404)
    assert ok(editor.get("/workflows"))["data"] == []
    assert Workflow.objects.get(pk=made["id"]).deleted_at is not None


def test_viewers_are_refused(api_as) -> None:
    viewer = api_as("viewer")
    assert_problem(viewer.get("/workflows"), 403)
    assert_problem(viewer.post("/workflows", body()), 403)


def test_dry_run_says_what_would_happen_and_changes_nothing(editor, sub, olivia) -> None:
    made = ok(
        editor.post(
            "/workflows",
            body(
                actions=[
                    {"type": "delay", "days": 1, "hours": 2},
                    {
                        "type": "branch",
                        "if": {"status": ["past_due"]},
                        "then": [EMAIL],
                        "else": [{"type": "set_property", "property": "name", "value": "Checked"}],
                    },
                    {"type": "set_property", "property": "owner_id", "value": None},
                ]
            ),
        ),
        201,
    )
    events_before = Event.objects.count()

    result = ok(editor.post(f"/workflows/{made['id']}/test", {"subscription_id": sub.pk}))

    assert (result["subscription_id"], result["version"], result["enrolls"]) == (sub.pk, 1, True)
    steps = [(s["path"], s["type"], s["outcome"]) for s in result["steps"]]
    assert steps == [
        ("0", "delay", "waiting"),
        ("1", "branch", "done"),
        ("1.else.0", "set_property", "done"),
        ("2", "set_property", "done"),
    ]
    assert result["steps"][0]["detail"] == {"until": "2027-01-16T11:30:00+00:00"}
    assert result["steps"][1]["detail"] == {"branch": "else"}
    assert result["steps"][2]["detail"] == {"property": "name", "from": "Pro plan", "to": "Checked"}
    assert result["steps"][3]["detail"] == {"property": "owner_id", "from": olivia.pk, "to": None}
    assert result["steps"][3]["at"].startswith("2027-01-16T11:30:00")  # after the delay
    assert Event.objects.count() == events_before
    sub.refresh_from_db()
    assert (sub.name, sub.owner_id) == ("Pro plan", olivia.pk)
    assert not Enrollment.objects.exists() and not EmailMessage.objects.exists()


def test_dry_run_fills_the_email(editor, sub) -> None:
    Subscription.objects.filter(pk=sub.pk).update(status="past_due")
    made = ok(editor.post("/workflows", body()), 201)
    result = ok(editor.post(f"/workflows/{made['id']}/test", {"subscription_id": sub.pk}))
    (step,) = result["steps"]
    assert step["detail"]["emails"] == [
        {"to": "olivia@example.com", "subject": "Pro plan is Unpaid", "body": "Next payment 15 Feb 2027"},
        {"to": "team@example.com", "subject": "Pro plan is Unpaid", "body": "Next payment 15 Feb 2027"},
    ]
    assert_problem(editor.post(f"/workflows/{made['id']}/test", {"subscription_id": "sub_nope"}), 404)


def test_enrollments_list_each_step_with_what_it_did(editor, sub, olivia) -> None:
    from recurra.core import clock
    from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
    from recurra.worker.steps import run_due_work

    made = ok(
        editor.post(
            "/workflows",
            body(
                trigger={"type": "property_change", "property": "name"},
                actions=[
                    EMAIL,
                    {"type": "delay", "days": 3},
                    {"type": "set_property", "property": "owner_id", "value": None},
                ],
            ),
        ),
        201,
    )
    subscription_change(
        subscription=sub, changes=SubscriptionChanges(name="Pro plan (renamed)"), actor=SYSTEM, at=clock.now()
    )
    run_due_work(at=clock.now())

    (waiting,) = ok(editor.get(f"/workflows/{made['id']}/enrollments"))["data"]
    assert (waiting["subscription_id"], waiting["status"], waiting["version"], waiting["depth"]) == (
        sub.pk,
        "waiting",
        1,
        1,
    )
    assert (
        waiting["trigger"]["from_value"] == "Pro plan"
        and waiting["trigger"]["to_value"] == "Pro plan (renamed)"
    )
    assert waiting["next_step_at"].startswith("2027-01-18T09:30:00")
    assert [(s["path"], s["type"], s["outcome"]) for s in waiting["steps"]] == [
        ("0", "internal_email", "done"),
        ("1", "delay", "waiting"),
    ]
    assert EmailMessage.objects.filter(kind="workflow_notification").count() == 2

    clock.freeze(clock.now().replace(day=18))
    run_due_work(at=clock.now())

    (done,) = ok(editor.get(f"/workflows/{made['id']}/enrollments", subscription_id=sub.pk))["data"]
    assert done["status"] == "finished" and done["finished_at"].startswith("2027-01-18")
    assert done["steps"][-1]["detail"] == {"property": "owner_id", "from": olivia.pk, "to": None}
    sub.refresh_from_db()
    assert sub.owner_id is None
    changed = Event.objects.filter(type="subscription.updated", object_id=sub.pk).latest("id")
    assert (changed.actor_type, changed.actor_id, changed.data["depth"]) == ("workflow", made["id"], 1)
