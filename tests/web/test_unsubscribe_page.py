"""The unsubscribe page of an email to a list: no sign-in; a GET changes nothing; the button's POST
is CSRF-checked; RFC 8058's one-click POST is not, and answers 200 with no page; a bad token is a
404 that shows no address; the page speaks the contact's language, else the account's."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.services import account_settings_update
from recurra.catalog.line_items import LineItemInput
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.crm.services import contact_create
from recurra.notifications.unsubscribe import unsubscribe_token
from recurra.subscriptions.services import subscription_create
from tests.conftest import SYSTEM, T0
from tests.web.html import text

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def kari(frozen_clock: Any) -> Contact:
    account_settings_update(actor=SYSTEM, at=T0, business_name="Fjordline Software AS")
    return contact_create(actor=SYSTEM, email="kari@example.com", first_name="Kari")


def url(token: str) -> str:
    return f"/unsubscribe/{token}/"


def csrf_of(response: Any) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert match, response.content
    return match.group(1).decode()


def opt_out_events(contact: Contact) -> list[tuple[str, str, dict[str, Any]]]:
    found = Event.objects.filter(object_id=contact.pk, type="contact.updated").order_by("id")
    return [(e.actor_type, e.actor_name, e.data) for e in found]


CHANGE = {"before": {"email_opt_out": False}, "after": {"email_opt_out": True}}


def test_the_page_asks_and_its_button_unsubscribes(kari: Contact) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(url(unsubscribe_token(kari.pk)))
    assert page.status_code == 200
    assert text(page.content).endswith(
        "Fjordline Software AS Unsubscribe Stop emails like this one from Fjordline Software AS to "
        "kari@example.com? Receipts, invoices and notices about your payments and subscriptions still "
        "come. Unsubscribe"
    )
    assert (page["Cache-Control"], page["Referrer-Policy"], page["X-Robots-Tag"]) == (
        "no-store",
        "same-origin",
        "noindex",
    )
    kari.refresh_from_db()
    assert kari.email_opt_out is False and opt_out_events(kari) == []  # opening it changes nothing

    done = client.post(url(unsubscribe_token(kari.pk)), {"csrfmiddlewaretoken": csrf_of(page)})

    assert done.status_code == 200
    assert "You are unsubscribed kari@example.com gets no more emails like this one from Fjordline" in text(
        done.content
    )
    kari.refresh_from_db()
    assert kari.email_opt_out is True
    assert opt_out_events(kari) == [("system", "Unsubscribe link", CHANGE)]
    again = client.get(url(unsubscribe_token(kari.pk)))
    assert "You are unsubscribed" in text(again.content) and "<form" not in again.content.decode()


def test_a_post_without_csrf_is_refused_quietly(kari: Contact, caplog: pytest.LogCaptureFixture) -> None:
    token = unsubscribe_token(kari.pk)
    with caplog.at_level(logging.DEBUG):
        refused = Client(enforce_csrf_checks=True).post(url(token), {"unsubscribe": "1"})
    assert refused.status_code == 403
    assert "This page has expired" in text(refused.content)
    assert token not in caplog.text and "CSRF check failed" in caplog.text
    kari.refresh_from_db()
    assert kari.email_opt_out is False


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_the_one_click_post_needs_no_csrf_and_answers_200_without_a_page(
    kari: Contact, encoding: str
) -> None:
    client = Client(enforce_csrf_checks=True)
    if encoding == "urlencoded":
        response = client.post(
            url(unsubscribe_token(kari.pk)),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = client.post(url(unsubscribe_token(kari.pk)), ONE_CLICK)  # multipart/form-data
    assert (response.status_code, response.content) == (200, b"")
    kari.refresh_from_db()
    assert kari.email_opt_out is True
    assert opt_out_events(kari) == [("system", "Unsubscribe link (one-click)", CHANGE)]
    assert client.post(url(unsubscribe_token(kari.pk)), ONE_CLICK).status_code == 200  # again: 200
    assert len(opt_out_events(kari)) == 1  # and nothing written


@pytest.mark.parametrize(
    "token",
    ["nope", "con_01jd3x8q3n8k4w2c5v7b9m0p1r:forged", "kari@example.com", "REDACTED"],
)
def test_a_bad_token_is_a_404_that_shows_no_address(kari: Contact, token: str) -> None:
    for response in (
        Client().get(url(token)),
        Client(enforce_csrf_checks=True).post(url(token), ONE_CLICK),
        Client().post(url(token), {}),
    ):
        assert response.status_code == 404
        assert "kari@example.com" not in response.content.decode()
        assert "This link is not valid" in text(response.content)
    forged = unsubscribe_token(kari.pk).replace(
        kari.pk, contact_create(actor=SYSTEM, email="o@example.com").pk
    )
    assert Client().get(url(forged)).status_code == 404
    kari.refresh_from_db()
    assert kari.email_opt_out is False


def test_a_deleted_contacts_link_is_a_404(kari: Contact) -> None:
    token = unsubscribe_token(kari.pk)
    kari.delete()
    assert Client().post(url(token), ONE_CLICK).status_code == 404


def test_the_page_is_in_the_contacts_language_else_the_accounts(kari: Contact) -> None:
    assert "Stop emails like this one" in text(Client().get(url(unsubscribe_token(kari.pk))).content)
    account_settings_update(actor=SYSTEM, at=T0, default_language="nb")
    page = text(Client().get(url(unsubscribe_token(kari.pk))).content)
    assert "Vil du stoppe e-poster som denne fra Fjordline Software AS til kari@example.com?" in page
    # Kari's subscription's emails are in English: so is her page, whatever the account's.
    subscription_create(
        contact=kari,
        line_items=[LineItemInput(name="Pro", unit_amount=3100, currency="USD", billing_frequency="monthly")],
        collection_method="send_invoice",
        payment_terms="net_30",
        invoice_settings={"language": "en"},
        actor=SYSTEM,
        at=T0,
    )
    assert "Stop emails like this one" in text(Client().get(url(unsubscribe_token(kari.pk))).content)
    assert "Meld deg av" in text(Client().get(url(unsubscribe_token(kari.pk)) + "?lang=nb").content)


def test_a_test_messages_link_shows_the_page_and_unsubscribes_nobody(kari: Contact) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(url("test"))
    assert page.status_code == 200
    assert "This is the link of a test message: it unsubscribes nobody." in text(page.content)
    assert "name@example.com" in text(page.content) and "kari@example.com" not in text(page.content)
    assert "You are unsubscribed" in text(
        client.post(url("test"), {"csrfmiddlewaretoken": csrf_of(page)}).content
    )
    assert client.post(url("test"), ONE_CLICK).status_code == 200
    assert Contact.objects.filter(email_opt_out=True).count() == 0
    assert Event.objects.filter(type="contact.updated").count() == 0


def test_other_methods_are_refused(kari: Contact) -> None:
    assert Client().put(url(unsubscribe_token(kari.pk))).status_code == 405
