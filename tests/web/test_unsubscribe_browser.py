"""A contact unsubscribes in Debian's Chromium, with a click, through the link of an email to a list.

an email to two contacts   → two messages, each with its List-Unsubscribe link
Kari opens hers            → the page asks (nothing changed yet); she clicks Unsubscribe
                           → "You are unsubscribed"; Kari's email_opt_out set, audited as the link's
the next email             → goes to Ola only
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from recurra.accounts.services import account_settings_update
from recurra.core import clock
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.crm.services import contact_create
from recurra.jobs.runner import run_due
from recurra.notifications.bulk import bulk_email_send
from tests.conftest import SYSTEM, T0
from tests.web.chromium import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def send_to_everyone() -> dict[str, str]:
    """Each recipient's unsubscribe link, from the List-Unsubscribe header of the message they got."""
    mail.outbox.clear()
    bulk_email_send(
        contacts=Contact.objects.all(),
        subject="Renew, {{ contact.first_name }}",
        body="Your plan ends soon.",
        source="list:lst_renewals",
        actor=SYSTEM,
        at=clock.now(),
    )
    run_due(at=clock.now())
    return {m.to[0]: m.extra_headers["List-Unsubscribe"].strip("<>") for m in mail.outbox}


def test_a_contact_unsubscribes_with_a_click(page: Any, live_server: Any, tmp_path: Path) -> None:
    clock.freeze(T0)
    account_settings_update(actor=SYSTEM, at=T0, business_name="Fjordline Software AS")
    kari = contact_create(actor=SYSTEM, email="kari@example.com", first_name="Kari")
    contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola")
    links = send_to_everyone()
    assert sorted(links) == ["kari@example.com", "ola@example.com"]

    page.goto(live_server.url + "/" + links["kari@example.com"].split("/", 3)[3])
    question = page.get_by_text("Stop emails like this one from Fjordline Software AS to kari@example.com?")
    assert question.is_visible()
    kari.refresh_from_db()
    assert kari.email_opt_out is False  # opening the page changed nothing
    shoot(page, "unsubscribe.png", tmp_path)
    page.get_by_role("button", name="Unsubscribe").click()

    done = page.get_by_role("region", name="You are unsubscribed")
    assert done.get_by_text("kari@example.com gets no more emails like this one from Fjordline").is_visible()
    kari.refresh_from_db()
    assert kari.email_opt_out is True
    event = Event.objects.get(object_id=kari.pk, type="contact.updated")
    assert (event.actor_type, event.actor_name, event.data) == (
        "system",
        "Unsubscribe link",
        {"before": {"email_opt_out": False}, "after": {"email_opt_out": True}},
    )
    assert sorted(send_to_everyone()) == ["ola@example.com"]  # the next email skips her


def test_in_bokmal_when_the_account_writes_it(page: Any, live_server: Any) -> None:
    clock.freeze(T0)
    account_settings_update(actor=SYSTEM, at=T0, business_name="Fjordline AS", default_language="nb")
    kari = contact_create(actor=SYSTEM, email="kari@example.com", first_name="Kari")
    link = send_to_everyone()["kari@example.com"]

    page.goto(live_server.url + "/" + link.split("/", 3)[3])
    page.get_by_role("button", name="Meld deg av").click()

    assert page.get_by_role("heading", name="Du er meldt av").is_visible()
    kari.refresh_from_db()
    assert kari.email_opt_out is True
