"""/bulk-emails/{id}: an email to many contacts, and how far its sending has come (editor role)."""

from __future__ import annotations

import pytest

from recurra.core.actors import Actor
from recurra.crm.models import Contact
from recurra.crm.services import contact_create
from recurra.jobs.runner import run_due
from recurra.notifications.bulk import bulk_email_send
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_an_editor_follows_its_progress_and_a_viewer_may_not(api_as):
    for name in ("ada", "bob", "cy"):
        contact_create(actor=SYSTEM, email=f"{name}@example.com", email_opt_out=name == "cy")
    sent = bulk_email_send(
        contacts=Contact.objects.all(),
        subject="Renew",
        body="Hi {{ contact.first_name }}",
        source="list:lst_1",
        actor=Actor("user", "1", "Alice"),
        at=T0,
    )
    editor = api_as("editor")

    body = ok(editor.get(f"/bulk-emails/{sent.pk}"))
    assert body == {
        "id": sent.pk,
        "subject": "Renew",
        "body": "Hi {{ contact.first_name }}",
        "source": "list:lst_1",
        "status": "queued",
        "contacts": 3,
        "recipients": 3,
        "sent": 0,
        "skipped_opted_out": 1,
        "skipped_missing": 0,
        "progress": 33,
        "last_error": "",
        "created_by": {"type": "user", "id": "1", "name": "Alice"},
        "created_at": T0_TEXT,
        "finished_at": None,
    }
    run_due(at=T0)
    done = ok(editor.get(f"/bulk-emails/{sent.pk}"))
    assert (
        done["status"],
        done["sent"],
        done["skipped_opted_out"],
        done["progress"],
        done["finished_at"],
    ) == (
        "sent",
        2,
        1,
        100,
        T0_TEXT,
    )
    assert [e["to"] for e in ok(editor.get("/emails", kind="list_email"))["data"]] == [
        "bob@example.com",
        "ada@example.com",
    ]
    assert_problem(api_as("viewer").get(f"/bulk-emails/{sent.pk}"), 403)
    assert_problem(api_as(None).get(f"/bulk-emails/{sent.pk}"), 401)
    assert_problem(editor.get("/bulk-emails/bem_nope"), 404)
