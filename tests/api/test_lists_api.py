"""/lists: contacts and companies segmented by their subscriptions (any / all / none), live for an
active list, by hand for a static one; every problem of the filters named at once."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from recurra.core import clock
from recurra.core.models import Event
from recurra.crm.models import Company, Contact
from recurra.saved_views.query import filters_condition
from recurra.saved_views.spec import parse_filters
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2027-01-15, UTC


def sub(
    contact: Contact, name: str, *, status: str = "active", end: date | None = None, company=None
) -> None:
    Subscription.objects.create(
        name=name,
        status=status,
        contact=contact,
        company=company,
        currency="USD",
        billing_frequency="monthly",
        billing_terms="auto_renew" if end is None else "fixed",
        start_date=date(2026, 6, 1),
        next_payment_date=date(2027, 2, 1),
        end_date=end,
        collection_method="charge_automatically",
    )


@pytest.fixture
def people(db) -> dict[str, Contact]:
    acme = Company.objects.create(name="Acme")
    made = {
        name: Contact.objects.create(email=f"{name}@example.com", first_name=name.title())
        for name in ("ada", "bo", "cy", "di")
    }
    sub(made["ada"], "A1", end=date(2027, 6, 30), company=acme)  # ada: one fixed-term, active
    sub(made["bo"], "B1")  # bo: one active, no end
    sub(made["bo"], "B2", status="past_due", end=date(2027, 3, 31))  # and one unpaid with an end
    sub(made["cy"], "C1", status="canceled")  # cy: canceled only; di: none
    return made


def emails(api, list_id: str) -> list[str]:
    return sorted(m["email"] for m in ok(api.get(f"/lists/{list_id}/members"))["data"])


def active(api, filters: dict, object: str = "contacts") -> dict:
    return ok(api.post("/lists", {"name": "L", "object": object, "kind": "active", "filters": filters}), 201)


def subs(match: str, filters: dict) -> dict:
    return {"groups": [{"conditions": [{"subscriptions": {"match": match, "filters": filters}}]}]}


END_KNOWN = {"groups": [{"conditions": [{"property": "end_date", "operator": "is_not_empty"}]}]}


def test_contacts_with_a_known_subscription_end_date(api, people) -> None:
    made = active(api, subs("any", END_KNOWN))
    assert emails(api, made["id"]) == ["ada@example.com", "bo@example.com"]
    assert (made["size"], made["kind"], made["object"]) == (2, "active", "contacts")


def test_all_and_none(api, people) -> None:
    assert emails(api, active(api, subs("all", {"status": ["active"]}))["id"]) == ["ada@example.com"]
    assert emails(api, active(api, subs("none", {"status": ["active", "past_due"]}))["id"]) == [
        "cy@example.com",
        "di@example.com",
    ]


def test_own_properties_and_groups(api, people) -> None:
    filters = {
        "groups": [
            {"conditions": [{"property": "first_name", "operator": "is", "value": "Di"}]},
            {
                "conditions": [
                    {"property": "email", "operator": "contains", "value": "bo"},
                    {"subscriptions": {"match": "any", "filters": {"status": ["past_due"]}}},
                ]
            },
        ]
    }
    assert emails(api, active(api, filters)["id"]) == ["bo@example.com", "di@example.com"]


def test_companies_with_no_active_subscription(api, people) -> None:
    Company.objects.create(name="Quiet")
    made = active(api, subs("none", {"status": ["active"]}), object="companies")
    assert sorted(m["name"] for m in ok(api.get(f"/lists/{made['id']}/members"))["data"]) == ["Quiet"]


def test_an_active_list_is_never_stale(api, people) -> None:
    made = active(api, subs("any", END_KNOWN))
    sub(people["di"], "D1", end=date(2027, 12, 31))
    assert "di@example.com" in emails(api, made["id"])


def test_a_static_list_by_hand_and_a_snapshot(api, people) -> None:
    made = ok(api.post("/lists", {"name": "VIP", "object": "contacts", "kind": "static"}), 201)
    ids = [people["ada"].pk, people["cy"].pk]
    assert ok(api.post(f"/lists/{made['id']}/members", {"ids": ids})) == {"added": 2}
    assert ok(api.post(f"/lists/{made['id']}/members", {"ids": ids})) == {"added": 0}
    assert emails(api, made["id"]) == ["ada@example.com", "cy@example.com"]
    assert Event.objects.filter(type="list.member_added", object_id=made["id"]).count() == 2
    assert api.delete(f"/lists/{made['id']}/members", {"ids": [people["cy"].pk]}).status_code == 204
    assert_problem(api.post(f"/lists/{made['id']}/members", {"ids": ["con_nope"]}), 422, "ids")

    live = active(api, subs("any", END_KNOWN))
    copy = ok(api.post(f"/lists/{live['id']}/snapshot", {"name": "Ends known, today"}), 201)
    assert (copy["kind"], copy["size"]) == ("static", 2)
    sub(people["di"], "D1", end=date(2027, 12, 31))
    assert emails(api, copy["id"]) == ["ada@example.com", "bo@example.com"]  # a copy: unchanged
    assert_problem(api.post(f"/lists/{live['id']}/members", {"ids": ids}), 409)


def test_every_problem_is_named(api, people) -> None:
    bad = {
        "groups": [
            {
                "conditions": [
                    {"property": "colour", "operator": "is", "value": "red"},
                    {"subscriptions": {"match": "most", "filters": {"status": ["nope"]}}},
                    {"property": "created_at", "operator": "within_last_days", "value": 0},
                ]
            }
        ]
    }
    assert_problem(
        api.post("/lists", {"name": "Bad", "object": "contacts", "kind": "active", "filters": bad}),
        422,
        "filters.groups[0].conditions[0].property",
        "filters.groups[0].conditions[1].subscriptions.match",
        "filters.groups[0].conditions[1].subscriptions.filters.status",
        "filters.groups[0].conditions[2].value",
    )


def test_viewers_read_editors_write(api_as, people) -> None:
    editor, viewer = api_as("editor"), api_as("viewer")
    made = ok(editor.post("/lists", {"name": "L", "object": "contacts", "kind": "static"}), 201)
    assert ok(viewer.get(f"/lists/{made['id']}"))["name"] == "L"
    assert_problem(viewer.post("/lists", {"name": "L", "object": "contacts", "kind": "static"}), 403)
    assert editor.delete(f"/lists/{made['id']}").status_code == 204
    assert_problem(viewer.get(f"/lists/{made['id']}"), 404)


def test_the_recipe_of_docs_lists_md(api, people) -> None:
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "lists.md").read_text()
    (recipe,) = [
        json.loads(b)
        for b in re.findall(r"```json\n(.*?)```", text.split("## Recipe", 1)[1].split("\n## ", 1)[0], re.S)
    ]
    made = ok(api.post("/lists", recipe), 201)
    assert made["name"] == "Contacts with a known subscription end date"
    assert emails(api, made["id"]) == ["ada@example.com", "bo@example.com"]


def test_a_list_in_a_subscription_filter_and_a_workflow(api, people) -> None:
    made = active(api, subs("any", END_KNOWN))
    in_list = {"groups": [{"conditions": [{"in_list": made["id"]}]}]}
    view = ok(api.post("/views", {"name": "Ends known", "filters": in_list, "visibility": "team"}), 201)
    assert view["filters"] == in_list
    q = filters_condition(parse_filters(in_list), today=clock.now().date(), zone=ZoneInfo("UTC"))
    assert sorted(Subscription.objects.filter(q).values_list("name", flat=True)) == ["A1", "B1", "B2"]
    body = {
        "name": "In the list",
        "trigger": {"type": "property_change", "property": "status"},
        "filters": in_list,
        "actions": [{"type": "delay", "days": 1}],
    }
    assert ok(api.post("/workflows", body), 201)["filters"] == in_list
    gone = {**body, "filters": {"groups": [{"conditions": [{"in_list": "lst_nope"}]}]}}
    assert_problem(api.post("/workflows", gone), 422, "filters.groups[0].conditions[0].in_list")
    assert_problem(
        api.post("/views", {"name": "x", "filters": {"groups": [{"conditions": [{"in_list": 7}]}]}}), 422
    )


def test_email_a_list_never_the_unsubscribed(api, api_as, people) -> None:
    from recurra.notifications.models import EmailMessage
    from recurra.worker.steps import run_due_work

    Contact.objects.filter(pk=people["bo"].pk).update(email_opt_out=True)
    made = active(api, subs("any", END_KNOWN))  # ada and bo
    body = {
        "subject": "Renew, {{ contact.first_name }}",
        "body": "Yours ends on {{ subscription.end_date }}.",
    }
    assert_problem(api_as("viewer").post(f"/lists/{made['id']}/emails", body), 403)
    sent = ok(api.post(f"/lists/{made['id']}/emails", body), 201)
    assert sent["status"] == "queued"
    run_due_work(at=clock.now())
    (message,) = EmailMessage.objects.filter(kind="list_email")
    assert message.to == "ada@example.com"
    progress = ok(api.get(f"/bulk-emails/{sent['id']}"))
    assert (progress["status"], progress["sent"], progress["skipped_opted_out"]) == ("sent", 1, 1)
    assert_problem(api.post(f"/lists/{made['id']}/emails", {**body, "body": "{{ contact.shoe_size }}"}), 422)
