"""Automation → Workflows with the test client: the list in words, "Create workflow" from each
template (the editor's form posted as a browser would send it), edits as versions, the spec's errors
beside the card they name, the editor's buttons, on/off, delete, roles, the dry run and the
"Workflow history" card of a subscription."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.models import User
from recurra.automation.models import Enrollment, Workflow, WorkflowVersion
from recurra.automation.workflows.services import workflow_create
from recurra.core import clock
from recurra.crm.owners import owner_assign
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.pausing import subscription_pause
from recurra.worker.steps import run_due_work
from tests.conftest import SYSTEM, T0
from tests.web.html import messages, table_rows, text
from tests.web.test_subscription_pages import make_subscription

pytestmark = pytest.mark.django_db

UNPAID = {"type": "property_change", "property": "status", "to": ["past_due"]}
EMAIL_OWNER = {"type": "internal_email", "to": ["owner"], "subject": "{{ subscription.name }}", "body": "x"}


class _Form(HTMLParser):
    """What a browser posts for the form ``form_id``: text, hidden and number inputs, ticked boxes,
    each select's chosen option (else its first), textareas; no buttons (``op`` is added by hand)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.data = form_id, False, []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id or (self.inside and False)
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.data.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self.textarea, self.buffer = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = [v for v, s in self.options if s] or [v for v, _ in self.options[:1]]
            self.data += [(self.select, v) for v in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.data.append((self.textarea, "".join(self.buffer)))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.buffer.append(data)


def form_data(response: Any, form_id: str = "wf-form") -> dict[str, list[str]]:
    parser = _Form(form_id)
    parser.feed(response.content.decode())
    found: dict[str, list[str]] = {}
    for name, value in parser.data:
        if name != "csrfmiddlewaretoken":
            found.setdefault(name, []).append(value)
    return found


def post(client: Client, url: str, data: dict[str, list[str]], **extra: Any) -> Any:
    return client.post(url, {**data, **{k: [v] if isinstance(v, str) else v for k, v in extra.items()}})


def errors_in(html: str, element_id: str) -> list[str]:
    """The error messages inside the card (the element with this id) up to its next card."""
    start = html.index(f'id="{element_id}"')
    end = html.find('<section class="card wf-card', start)
    lists = re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', html[start : end if end > 0 else None], re.S)
    return [text(item) for found in lists for item in re.findall(r"<li>(.*?)</li>", found, re.S)]


def owned(records: Any, username: str = "editor") -> Subscription:
    sub = make_subscription(records.contact)
    owner_assign(obj=sub, owner_id=User.objects.get(username=username).pk, actor=SYSTEM)
    return sub


def make_workflow(name: str = "Notify", **definition: Any) -> Workflow:
    return workflow_create(
        name=name,
        definition={"trigger": UNPAID, "actions": [EMAIL_OWNER], **definition},
        enabled=True,
        actor=SYSTEM,
        at=clock.now(),
    )


# The list ---------------------------------------------------------------------------------------


def test_the_list_says_each_trigger_in_words(viewer: Client) -> None:
    make_workflow("Unpaid notice")
    make_workflow("Reminder", trigger={"type": "date", "property": "next_payment_date", "offset_days": -7})
    off = make_workflow("Owners", trigger={"type": "event", "event_types": ["subscription.created"]})
    Workflow.objects.filter(pk=off.pk).update(enabled=False)
    make_workflow(
        "Two",
        trigger={
            "type": "property_change",
            "property": "status",
            "from": ["active"],
            "to": ["past_due", "paused"],
        },
    )

    page = viewer.get("/workflows/")
    assert page.status_code == 200
    rows = table_rows(page.content)
    assert [r[:5] for r in rows] == [
        ["Two", "Status changes from Active to Unpaid or Paused", "On", "1", "0"],
        ["Owners", "When a subscription is created", "Off", "1", "0"],
        ["Reminder", "7 days before Next payment date", "On", "1", "0"],
        ["Unpaid notice", "Status becomes Unpaid", "On", "1", "0"],
    ]
    assert rows[0][5] == "15 Jan 2027, 09:30"
    html = page.content.decode()
    assert "Create workflow" not in html  # a viewer reads
    assert '<a href="/workflows/" aria-current="page">Workflows</a>' in html


def test_an_empty_list_offers_to_create_one(editor: Client) -> None:
    html = editor.get("/workflows/").content.decode()
    assert "No workflows yet." in html
    assert html.count('href="/workflows/new/"') == 2


# Create from the templates ----------------------------------------------------------------------


def test_create_from_the_unpaid_template_emails_the_owner(editor: Client) -> None:
    chooser = editor.get("/workflows/new/")
    assert chooser.status_code == 200
    for title in (
        "Notify the owner when a subscription becomes Unpaid",
        "Remind the team N days before the next payment",
        "Assign new subscriptions round robin",
        "Start from scratch",
    ):
        assert title in chooser.content.decode()

    page = editor.get("/workflows/new/?template=unpaid_owner")
    data = form_data(page)
    assert data["name"] == ["Notify the owner when a subscription becomes Unpaid"]
    assert data["trigger.type"] == ["property_change"]
    assert data["trigger.to"] == ["past_due"]
    assert data["a0.type"] == ["internal_email"] and data["a0.to_owner"] == ["1"]
    saved = post(editor, "/workflows/new/", data, enabled="1", op="save")

    workflow = Workflow.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/workflows/{workflow.pk}/"
    assert workflow.enabled and workflow.version == 1
    assert workflow.definition["trigger"] == UNPAID
    assert workflow.definition["reenroll"] is True
    (email,) = workflow.definition["actions"]
    assert email["to"] == ["owner"] and email["subject"] == "{{ subscription.name }} is Unpaid"
    assert "{{ subscription.url }}" in email["body"]
    shown = editor.get(saved["Location"])
    assert messages(shown) == [
        "Workflow created. It is on: subscriptions enroll when its trigger fires from now on."
    ]


def test_create_from_the_reminder_template_asks_for_n(editor: Client) -> None:
    user = User.objects.get(username="editor")
    page = editor.get("/workflows/new/?template=remind_team&days=3")
    data = form_data(page)
    assert data["name"] == ["Remind the team 3 days before the next payment"]
    assert (data["trigger.days"], data["trigger.when"], data["trigger.date_property"]) == (
        ["3"],
        ["before"],
        ["next_payment_date"],
    )
    assert data["a0.to_users"] == [str(user.pk)]  # the person creating it
    assert "a0.to_owner" not in data
    assert post(editor, "/workflows/new/", data).status_code == 302
    definition = Workflow.objects.get().definition
    assert definition["trigger"] == {"type": "date", "property": "next_payment_date", "offset_days": -3}
    assert definition["actions"][0]["to"] == [user.pk]
    assert not Workflow.objects.get().enabled  # off until turned on


def test_create_from_the_round_robin_template_rotates_the_team(editor: Client, client_as: Any) -> None:
    client_as("super_admin")
    client_as("viewer")
    team = list(User.objects.filter(role__in=("editor", "super_admin")).values_list("pk", flat=True))
    page = editor.get("/workflows/new/?template=round_robin")
    data = form_data(page)
    assert sorted(data["a0.rotate"]) == sorted(str(pk) for pk in team)  # viewers are not offered
    assert data["trigger.event_types"] == ["subscription.created"]
    data["a0.rotate"] = [str(team[0])]  # the user chooses
    assert post(editor, "/workflows/new/", data).status_code == 302
    definition = Workflow.objects.get().definition
    assert definition["trigger"] == {"type": "event", "event_types": ["subscription.created"]}
    assert definition["actions"] == [{"type": "assign_owner", "rotate": [team[0]]}]


def test_a_blank_workflow_needs_a_step_and_a_name(editor: Client) -> None:
    page = editor.get("/workflows/new/?template=blank")
    assert "No steps here yet." in page.content.decode()
    refused = post(editor, "/workflows/new/", form_data(page))
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "Give the workflow a name." in html and "Add at least one step." in html
    assert Workflow.objects.count() == 0


# The editor's buttons -----------------------------------------------------------------------------


def test_buttons_add_move_and_remove_cards_without_saving(editor: Client) -> None:
    data = form_data(editor.get("/workflows/new/?template=unpaid_owner"))
    added = post(editor, "/workflows/new/", data, op="add::1:delay")
    assert added.status_code == 200
    data = form_data(added)
    assert (data["a0.type"], data["a1.type"]) == (["internal_email"], ["delay"])
    moved = form_data(post(editor, "/workflows/new/", data, op="up:1"))
    assert (moved["a0.type"], moved["a1.type"]) == (["delay"], ["internal_email"])
    assert moved["a1.subject"] == ["{{ subscription.name }} is Unpaid"]  # its fields moved with it
    branched = form_data(post(editor, "/workflows/new/", moved, op="add::2:branch"))
    inner = form_data(post(editor, "/workflows/new/", branched, op="add:2.then:0:set_property"))
    assert inner["a2.then.0.type"] == ["set_property"]
    removed = form_data(post(editor, "/workflows/new/", inner, op="remove:0"))
    assert (removed["a0.type"], removed["a1.type"], removed["a1.then.0.type"]) == (
        ["internal_email"],
        ["branch"],
        ["set_property"],
    )
    cond = form_data(post(editor, "/workflows/new/", removed, op="cond:1:add:0"))
    assert cond["a1.c0.1.p"] == [""]  # a second condition in the branch's first group
    stale = post(editor, "/workflows/new/", cond, op="remove:7.then.3")  # nothing there: no change
    assert stale.status_code == 200 and form_data(stale) == cond
    assert Workflow.objects.count() == 0  # nothing saved by a button


def test_an_htmx_change_redraws_the_form(editor: Client) -> None:
    data = form_data(editor.get("/workflows/new/?template=unpaid_owner"))
    data["trigger.type"] = ["date"]
    redrawn = editor.post("/workflows/new/", data, HTTP_HX_REQUEST="true")
    assert redrawn.status_code == 200
    assert form_data(redrawn)["trigger.date_property"] == ["next_payment_date"]
    assert Workflow.objects.count() == 0


def test_a_branch_with_conditions_saves_as_filters(editor: Client) -> None:
    data = form_data(editor.get("/workflows/new/?template=unpaid_owner"))
    data = form_data(post(editor, "/workflows/new/", data, op="add::1:branch"))
    data.update({"a1.c0.0.p": ["mrr"], "a1.c0.0.o": ["greater_than"], "a1.c0.0.v": ["49.00"]})
    data = form_data(post(editor, "/workflows/new/", data, op="add:1.then:0:set_property"))
    data.update({"a1.then.0.property": ["name"]})
    data = form_data(post(editor, "/workflows/new/", data, op="refresh"))
    data.update({"a1.then.0.text": ["Big one"], "f0.0.p": ["billing_frequency"], "f0.0.o": ["is"]})
    data["f0.0.v"] = ["monthly"]
    assert post(editor, "/workflows/new/", data).status_code == 302
    definition = Workflow.objects.get().definition
    assert definition["filters"] == {
        "groups": [
            {"conditions": [{"property": "billing_frequency", "operator": "is", "value": ["monthly"]}]}
        ]
    }
    assert definition["actions"][1] == {
        "type": "branch",
        "if": {"groups": [{"conditions": [{"property": "mrr", "operator": "greater_than", "value": 4900}]}]},
        "then": [{"type": "set_property", "property": "name", "value": "Big one"}],
        "else": [],
    }


# Errors beside their card ---------------------------------------------------------------------------


def test_the_services_errors_show_beside_the_card_they_name(editor: Client) -> None:
    data = form_data(editor.get("/workflows/new/?template=unpaid_owner"))
    data = form_data(post(editor, "/workflows/new/", data, op="add::1:branch"))
    data.update({"a1.c0.0.p": ["status"], "a1.c0.0.o": ["is"], "a1.c0.0.v": ["active"]})
    data = form_data(post(editor, "/workflows/new/", data, op="add:1.then:0:internal_email"))
    data["a1.then.0.subject"] = ["Hello {{ subscription.nope }}"]
    data["a1.then.0.body"] = ["Body"]
    data["a0.subject"] = ["Fine"]
    refused = post(editor, "/workflows/new/", data)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert errors_in(html, "card-1.then.0") == ["Unknown placeholder(s): subscription.nope"]
    assert errors_in(html, "card-0") == []
    assert "The workflow was not saved" in html
    assert form_data(refused)["a1.then.0.subject"] == ["Hello {{ subscription.nope }}"]  # as typed
    assert Workflow.objects.count() == 0


def test_form_errors_show_beside_their_fields_and_nothing_is_a_500(editor: Client) -> None:
    data = form_data(editor.get("/workflows/new/?template=unpaid_owner"))
    data.update({"a0.to_owner": [], "a0.to_addresses": ["not-an-address"], "a0.subject": [""]})
    refused = post(editor, "/workflows/new/", data)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert errors_in(html, "card-0") == ["“not-an-address” is not an email address.", "Enter a subject."]

    data = form_data(refused)
    data.update(
        {"a0.to_owner": ["1"], "a0.to_addresses": [""], "a0.subject": ["S"], "trigger.type": ["date"]}
    )
    data = form_data(post(editor, "/workflows/new/", data, op="refresh"))
    data["trigger.days"] = ["400"]
    refused = post(editor, "/workflows/new/", data)  # the service's limit, beside the days
    assert refused.status_code == 422
    html = refused.content.decode()
    days = html[html.index('id="trigger.days"') : html.index('id="trigger.when"')]
    assert "Must be a whole number of days from -365 to 365" in days

    junk = {
        "trigger.type": ["nope"],
        "a0.type": ["teleport"],
        "a0.then.x.type": ["delay"],
        "f99.0.p": ["mrr"],
    }
    assert editor.post("/workflows/new/", junk).status_code == 422
    assert editor.post("/workflows/new/", {"op": "add:zz:1:delay"}).status_code == 200
    assert editor.post("/workflows/new/", {"op": "cond:9:remove:0.0"}).status_code == 200
    assert (
        editor.post("/workflows/new/", {"trigger.type": "date", "trigger.days": "9" * 30}).status_code == 422
    )
    assert Workflow.objects.count() == 0


# Edit, versions, on and off, delete ---------------------------------------------------------------


def test_an_edit_makes_a_new_version_and_a_rename_does_not(editor: Client) -> None:
    workflow = make_workflow()
    page = editor.get(f"/workflows/{workflow.pk}/")
    data = form_data(page)
    assert data["enabled"] == ["1"]
    data["name"] = ["Renamed"]
    saved = post(editor, f"/workflows/{workflow.pk}/edit/", data)
    assert saved.status_code == 302
    workflow.refresh_from_db()
    assert (workflow.name, workflow.version) == ("Renamed", 1)
    assert messages(editor.get(saved["Location"]))[0].startswith("Workflow saved.")

    data["a0.subject"] = ["Changed {{ subscription.name }}"]
    saved = post(editor, f"/workflows/{workflow.pk}/edit/", data)
    workflow.refresh_from_db()
    assert workflow.version == 2
    assert workflow.definition["actions"][0]["subject"] == "Changed {{ subscription.name }}"
    assert list(
        WorkflowVersion.objects.filter(workflow=workflow).order_by("number").values_list("number", flat=True)
    ) == [1, 2]
    assert messages(editor.get(saved["Location"]))[0].startswith("Saved as version 2.")


def test_turn_off_and_on_then_delete_with_a_confirmation(editor: Client) -> None:
    workflow = make_workflow()
    assert editor.get(f"/workflows/{workflow.pk}/toggle/").status_code == 405
    assert editor.post(f"/workflows/{workflow.pk}/toggle/").status_code == 302
    workflow.refresh_from_db()
    assert not workflow.enabled
    editor.post(f"/workflows/{workflow.pk}/toggle/")
    workflow.refresh_from_db()
    assert workflow.enabled

    confirm = editor.get(f"/workflows/{workflow.pk}/delete/")
    assert confirm.status_code == 200 and "Delete the workflow “Notify”?" in confirm.content.decode()
    assert Workflow.objects.get().deleted_at is None  # a GET only asks
    done = editor.post(f"/workflows/{workflow.pk}/delete/")
    assert done["Location"] == "/workflows/"
    assert Workflow.objects.get().deleted_at is not None
    assert editor.get(f"/workflows/{workflow.pk}/").status_code == 404
    assert "No workflows yet." in editor.get("/workflows/").content.decode()


def test_a_viewer_reads_but_every_write_is_refused(viewer: Client) -> None:
    workflow = make_workflow()
    page = viewer.get(f"/workflows/{workflow.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<fieldset class="wf-fieldset" disabled>' in html
    assert "Turn off" not in html and "Test: a dry run" not in html and 'value="save"' not in html
    assert viewer.get(f"/workflows/{workflow.pk}/history/").status_code == 200
    for url in (
        "/workflows/new/",
        f"/workflows/{workflow.pk}/edit/",
        f"/workflows/{workflow.pk}/toggle/",
        f"/workflows/{workflow.pk}/delete/",
        f"/workflows/{workflow.pk}/test/",
    ):
        assert viewer.post(url, {"name": "x", "op": "save"}).status_code == 403, url
    assert viewer.get("/workflows/new/").status_code == 403
    workflow.refresh_from_db()
    assert (workflow.name, workflow.enabled, workflow.deleted_at) == ("Notify", True, None)


# Dry run and history --------------------------------------------------------------------------------


def test_the_dry_run_shows_the_path_and_changes_nothing(editor: Client, records: Any) -> None:
    sub = owned(records)
    workflow = make_workflow(
        actions=[
            {"type": "delay", "days": 1},
            {
                "type": "branch",
                "if": {"status": ["active"]},
                "then": [
                    {
                        "type": "internal_email",
                        "to": ["owner"],
                        "subject": "{{ subscription.name }} is {{ subscription.status }}",
                        "body": "Open {{ subscription.url }}",
                    },
                    {"type": "set_property", "property": "name", "value": "Renamed by a workflow"},
                ],
            },
        ]
    )
    page = editor.get(f"/workflows/{workflow.pk}/")
    assert "Test: a dry run" in page.content.decode()
    refused = editor.post(f"/workflows/{workflow.pk}/test/", {})
    assert refused.status_code == 422 and "Pick a subscription to test with." in refused.content.decode()
    gone = editor.post(f"/workflows/{workflow.pk}/test/", {"subscription": "sub_nope"})
    assert gone.status_code == 422 and "That subscription no longer exists." in gone.content.decode()
    assert editor.post(f"/workflows/{workflow.pk}/test/", {"subscription": "x" * 500}).status_code == 422

    result = editor.post(f"/workflows/{workflow.pk}/test/", {"subscription": sub.pk})
    assert result.status_code == 200
    html = result.content.decode()
    shown = text(html[html.rindex("<div", 0, html.index('data-testid="dry-run"')) :])
    assert "Dry run for Pro monthly : nothing was changed and nothing was sent." in shown
    assert "Wait Waiting 15 Jan 2027, 09:30 Waits until 16 Jan 2027, 09:30." in shown
    assert "Branch: if / else Done 16 Jan 2027, 09:30 It matched the condition: took “then”." in shown
    assert "Email to editor@recurra.example: “Pro monthly is Active”" in shown
    assert f"Open http://testserver/subscriptions/{sub.pk}/" in shown or f"/subscriptions/{sub.pk}/" in shown
    assert "Set a property Done 16 Jan 2027, 09:30 Name: Pro monthly → Renamed by a workflow" in shown
    sub.refresh_from_db()
    assert sub.name == "Pro monthly"
    assert EmailMessage.objects.count() == 0 and Enrollment.objects.count() == 0


def test_history_card_and_page_show_each_step(editor: Client, records: Any) -> None:
    sub = owned(records)
    other = User.objects.create_user(username="olga", email="olga@example.com", first_name="Olga")
    workflow = make_workflow(
        "Paused notice",
        trigger={"type": "event", "event_types": ["subscription.paused"]},
        actions=[
            {
                "type": "internal_email",
                "to": ["owner"],
                "subject": "{{ subscription.name }} paused",
                "body": "b",
            },
            {"type": "set_property", "property": "owner_id", "value": other.pk},
        ],
    )
    clock.freeze(T0 + timedelta(minutes=1))
    subscription_pause(subscription=sub, reason=None, resume_on=None, actor=SYSTEM, at=clock.now())
    clock.freeze(T0 + timedelta(minutes=2))
    run_due_work(at=clock.now())
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "finished"

    page = editor.get(f"/subscriptions/{sub.pk}/").content.decode()
    card = text(
        page[
            page.index('<section class="card" aria-labelledby="workflow-history"') : page.index(
                'aria-labelledby="timeline"'
            )
        ]
    )
    assert card.startswith("Workflow history Paused notice version 1 Finished")
    assert "When a subscription is paused · subscription.paused · enrolled 15 Jan 2027, 09:32" in card
    assert (
        "Send an internal email Done 15 Jan 2027, 09:32 Email to editor@recurra.example: “Pro monthly paused”"
        in card
    )
    assert "Set a property Done 15 Jan 2027, 09:32 Owner: Editor → Olga" in card
    assert f'href="/workflows/{workflow.pk}/"' in page

    history = editor.get(f"/workflows/{workflow.pk}/history/")
    shown = text(history.content)
    assert "Pro monthly version 1 Finished" in shown
    assert "Owner: Editor → Olga" in shown
    listed = table_rows(editor.get("/workflows/").content)
    assert listed[0][4] == "0"  # enrolled now: it finished


def test_a_subscription_without_enrollments_says_so(viewer: Client, records: Any) -> None:
    sub = make_subscription(records.contact)
    html = viewer.get(f"/subscriptions/{sub.pk}/").content.decode()
    assert "No workflow has enrolled this subscription." in html


def test_the_subscription_picker_searches_subscriptions(viewer: Client, records: Any) -> None:
    sub = make_subscription(records.contact)
    found = viewer.get("/subscriptions/search/?q=pro")
    assert found.status_code == 200
    assert f'value="{sub.pk}"' in found.content.decode()
    assert "Pro monthly · Ingrid Hansen · Active" in text(found.content)


def test_the_pages_in_norwegian(editor: Client, records: Any) -> None:
    User.objects.filter(username="editor").update(language="nb")
    sub = owned(records)
    workflow = make_workflow(
        "Varsel",
        trigger={"type": "date", "property": "next_payment_date", "offset_days": -7},
        actions=[{"type": "delay", "days": 2}, EMAIL_OWNER],
    )
    listed = editor.get("/workflows/")
    html = listed.content.decode()
    assert '<a href="/workflows/" aria-current="page">Arbeidsflyter</a>' in html
    assert ">Automatisering</h2>" in html and "Opprett arbeidsflyt" in html
    assert table_rows(listed.content)[0][:4] == ["Varsel", "7 dager før Neste betalingsdato", "På", "1"]

    chooser = text(editor.get("/workflows/new/").content)
    assert "Varsle eieren når et abonnement blir ubetalt" in chooser
    assert "Minn teamet på det N dager før neste betaling" in chooser
    template = editor.get("/workflows/new/?template=unpaid_owner")
    data = form_data(template)
    assert data["a0.subject"] == ["{{ subscription.name }} er ubetalt"]  # written in the user's language
    shown = text(template.content)
    assert "Utløser Start når En egenskap endres" in shown and "Send en intern e-post" in shown

    page = editor.get(f"/workflows/{workflow.pk}/")
    shown = text(page.content)
    assert "Dager Før eller etter før etter Dato Neste betalingsdato" in shown
    assert "1 Vent" in shown and "2 Send en intern e-post" in shown and "Test: en prøvekjøring" in shown
    result = editor.post(f"/workflows/{workflow.pk}/test/", {"subscription": sub.pk})
    shown = text(result.content)
    assert "ingenting ble endret, og ingenting ble sendt." in shown
    assert "Vent Venter 15. jan. 2027, 09:30 Venter til 17. jan. 2027, 09:30." in shown
    assert "E-post til editor@recurra.example: «Pro monthly»" in shown

    html = editor.get(f"/subscriptions/{sub.pk}/").content.decode()
    assert "Arbeidsflythistorikk" in html and "Ingen arbeidsflyt har meldt inn dette abonnementet." in html


def test_filters_set_through_the_api_are_said_and_kept(editor: Client) -> None:
    workflow = make_workflow(
        filters={"status": ["active", "past_due"], "q": "acme"},
        actions=[
            {
                "type": "branch",
                "if": {"status": ["past_due"], "next_payment_date": {"preset": "next_7_days"}},
                "then": [EMAIL_OWNER],
            }
        ],
    )
    page = editor.get(f"/workflows/{workflow.pk}/")
    shown = text(page.content)
    assert "And (set through the API): Status is any of Active, Unpaid; search “acme”" in shown
    assert "And (set through the API): Status is any of Unpaid; next billing date: Next 7 days" in shown
    data = form_data(page)
    data["name"] = ["Renamed"]
    assert post(editor, f"/workflows/{workflow.pk}/edit/", data).status_code == 302
    workflow.refresh_from_db()
    assert (workflow.name, workflow.version) == ("Renamed", 1)  # the definition is as it was

    del data["a0.keep"]  # unticked: the branch's condition goes, and a branch needs one
    refused = post(editor, f"/workflows/{workflow.pk}/edit/", data)
    assert refused.status_code == 422
    assert errors_in(refused.content.decode(), "card-0")[0].startswith("Add a condition")


@pytest.mark.parametrize(
    "junk",
    [
        {"a0.type": "internal_email", "a0.to_users": ["²", "-1", "0"], "a0.subject": "s", "a0.body": "b"},
        {"a0.type": "assign_owner", "a0.rotate": ["²", "x"]},
        {"a0.type": "set_property", "a0.property": "owner_id", "a0.owner": "²"},
        {"a0.type": "set_property", "a0.property": "mrr", "a0.text": "x"},
        {"a0.type": "delay", "a0.days": "99999999999999999999", "a0.hours": "-3"},
        {"a0.type": "webhook", "a0.endpoint_id": "we_nope"},
        {"a0.type": "branch", "a0.c0.0.p": "mrr", "a0.c0.0.o": "between", "a0.c0.0.v": ["x", "y"]},
        {"a٣.type": "delay", "a0.type": "delay", "a0.then.0.type": "delay", "a0.days": "1"},
        {"trigger.type": "property_change", "trigger.property": "id", "a0.type": "delay", "a0.days": "1"},
        {"trigger.type": "property_change", "trigger.property": "mrr", "trigger.to": "1,x,2.5"},
        {"trigger.type": "property_change", "trigger.property": "start_date", "trigger.to": "2027-02-30"},
        {
            "trigger.type": "property_change",
            "trigger.property": "cancel_at_period_end",
            "trigger.to": "maybe",
        },
        {"trigger.type": "event", "trigger.event_types": ["ping", "contact.created"]},
        {"trigger.type": "date", "trigger.date_property": "created_at", "trigger.days": "²"},
        {"trigger.type": "filter", "a0.type": "delay", "a0.days": "1"},
        {"filters.keep": "1", "filters.rest": "{not json", "f0.0.p": "nope"},
        {
            "filters.keep": "1",
            "filters.rest": '{"status": ["nope"], "q": 5}',
            "a0.type": "delay",
            "a0.days": "1",
        },
        {"op": "add::²:delay"},
        {"op": "up:"},
        {"op": "down:0.then"},
        {"op": "cond:f:remove:9.9"},
        {"op": "cond:0:add_group", "a0.type": "delay"},
        {"op": "add:0.then:0:branch", "a0.type": "delay"},
    ],
)
def test_no_input_is_a_500(editor: Client, junk: dict[str, Any]) -> None:
    data = {"name": "Junk", **junk}
    response = editor.post("/workflows/new/", data)
    assert response.status_code in (200, 302, 422), response.status_code
    assert Workflow.objects.filter(name="Junk").count() == (1 if response.status_code == 302 else 0)


def test_an_owner_condition_offers_the_users_and_saves_unchanged(editor: Client) -> None:
    ada = User.objects.get(username="editor")
    workflow = make_workflow(
        filters={"groups": [{"conditions": [{"property": "owner", "operator": "is", "value": [ada.pk]}]}]}
    )
    page = editor.get(f"/workflows/{workflow.pk}/")
    assert re.search(
        rf'<input type="checkbox" name="f0\.0\.v" value="{ada.pk}" checked>', page.content.decode()
    )
    saved = post(editor, f"/workflows/{workflow.pk}/edit/", form_data(page))
    assert saved.status_code == 302
    workflow.refresh_from_db()
    assert workflow.version == 1  # read back as it was: no new version
    assert workflow.definition["filters"]["groups"][0]["conditions"][0]["value"] == [ada.pk]


def test_an_in_a_list_condition_offers_the_lists_and_saves_unchanged(editor: Client) -> None:
    from recurra.insights.lists.services import list_create

    vip = list_create(name="VIP", object="contacts", kind="static", actor=SYSTEM, at=clock.now())
    workflow = make_workflow(filters={"groups": [{"conditions": [{"in_list": vip.pk}]}]})
    page = editor.get(f"/workflows/{workflow.pk}/")
    assert re.search(rf'<option value="{vip.pk}" selected>VIP \(Contacts\)</option>', page.content.decode())
    saved = post(editor, f"/workflows/{workflow.pk}/edit/", form_data(page))
    assert saved.status_code == 302
    workflow.refresh_from_db()
    assert workflow.version == 1
    assert workflow.definition["filters"] == {"groups": [{"conditions": [{"in_list": vip.pk}]}]}
