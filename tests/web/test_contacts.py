"""Contacts pages: list, search, pagination, record, create, edit, delete."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.crm.services import contact_create
from recurra.web.views import common
from tests.conftest import SYSTEM
from tests.web.html import field_errors, messages, table_rows, text, value_of


def _contacts(*names: str) -> list[Contact]:
    """Contacts created a few milliseconds apart, so that newest-first order is certain."""
    made = []
    for name in names:
        made.append(contact_create(actor=SYSTEM, email=f"{name.lower()}@example.com", first_name=name))
        time.sleep(0.003)
    return made


def test_list_shows_name_email_company_created(viewer: Client, records: Any) -> None:
    _contacts("Tom")
    response = viewer.get("/contacts/")
    assert response.status_code == 200
    assert table_rows(response.content) == [
        ["Tom", "tom@example.com", "—", "15 Jan 2027"],
        ["Ingrid Hansen", "ingrid@fjordline.example", "Fjordline", "15 Jan 2027"],
    ]


def test_search_matches_every_word(viewer: Client, records: Any) -> None:
    _contacts("Tom", "Tomas")
    rows = table_rows(viewer.get("/contacts/", {"q": "tomas example"}).content)
    assert rows == [["Tomas", "tomas@example.com", "—", "15 Jan 2027"]]
    empty = viewer.get("/contacts/", {"q": "nobody"})
    assert table_rows(empty.content) == []
    assert "Nothing matches “nobody”." in text(empty.content)


def test_company_filter(viewer: Client, records: Any) -> None:
    _contacts("Tom")
    response = viewer.get("/contacts/", {"company_id": records.company.pk})
    assert [row[0] for row in table_rows(response.content)] == ["Ingrid Hansen"]
    assert "At Fjordline · All contacts" in text(response.content)


def test_keyset_pagination_with_next_link(
    viewer: Client, monkeypatch: pytest.MonkeyPatch, frozen_clock: Any
) -> None:
    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    _contacts("Ann", "Bo", "Cy")
    first = viewer.get("/contacts/", {"q": "example"})
    assert [row[0] for row in table_rows(first.content)] == ["Cy", "Bo"]
    cursor = first.context["page"].next_cursor
    assert f'rel="next" href="?q=example&amp;cursor={cursor}"' in first.content.decode()
    second = viewer.get("/contacts/", {"q": "example", "cursor": cursor})
    assert [row[0] for row in table_rows(second.content)] == ["Ann"]
    assert 'rel="next"' not in second.content.decode()
    assert '<a class="btn btn-sm" href="?q=example">First page</a>' in second.content.decode()
    # A cursor the list did not give out starts again from the top.
    assert [row[0] for row in table_rows(viewer.get("/contacts/", {"cursor": "junk"}).content)] == [
        "Cy",
        "Bo",
    ]


def test_detail_shows_company_and_deals(viewer: Client, records: Any) -> None:
    response = viewer.get(f"/contacts/{records.contact.pk}/")
    page = text(response.content)
    assert "Ingrid Hansen" in page
    assert f'<a href="/companies/{records.company.pk}/">Fjordline</a>' in response.content.decode()
    assert table_rows(response.content) == [["Fjordline Pro", "Appointment scheduled", "$98.00"]]
    assert viewer.get("/contacts/con_missing/").status_code == 404


def test_create(editor: Client, records: Any) -> None:
    form = editor.get("/contacts/new/", {"company_id": records.company.pk})
    assert value_of(form, "company_id") == records.company.pk
    response = editor.post(
        "/contacts/new/",
        {
            "email": " Ada@Example.com ",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "phone": "+47 555 01 234",
            "company_id": records.company.pk,
            "city": "London",
            "country": "gb",
        },
        follow=True,
    )
    ada = Contact.objects.get(email="Ada@Example.com")
    assert response.redirect_chain == [(f"/contacts/{ada.pk}/", 302)]
    assert messages(response) == ["Contact created."]
    assert (ada.first_name, ada.last_name, ada.phone, ada.company_id) == (
        "Ada",
        "Lovelace",
        "+47 555 01 234",
        records.company.pk,
    )
    assert ada.address == {
        "line1": "",
        "line2": "",
        "city": "London",
        "state": "",
        "postal_code": "",
        "country": "GB",
    }
    event = Event.objects.get(type="contact.created", object_id=ada.pk)
    assert (event.actor_type, event.actor_name) == ("user", "Editor")


def test_create_invalid_shows_errors_beside_fields_and_keeps_input(editor: Client, records: Any) -> None:
    count = Contact.objects.count()
    response = editor.post(
        "/contacts/new/",
        {"email": "INGRID@fjordline.example", "first_name": "Second"},
    )
    assert response.status_code == 422
    assert field_errors(response, "id_email") == ["Another contact has this email"]
    assert value_of(response, "email") == "INGRID@fjordline.example"
    assert value_of(response, "first_name") == "Second"
    assert Contact.objects.count() == count

    response = editor.post("/contacts/new/", {"email": "ada@example.com", "country": "1X"})
    assert response.status_code == 422
    assert field_errors(response, "id_country") == ["Must be a two-letter ISO 3166 country code"]
    assert value_of(response, "country") == "1X"

    response = editor.post("/contacts/new/", {"email": "not an email"})
    assert field_errors(response, "id_email") == ["Enter a valid email address."]
    assert 'aria-invalid="true" aria-describedby="id_email_error"' in response.content.decode()
    assert Contact.objects.count() == count


def test_edit(editor: Client, records: Any) -> None:
    url = f"/contacts/{records.contact.pk}/edit/"
    form = editor.get(url)
    assert (value_of(form, "email"), value_of(form, "first_name"), value_of(form, "company_id")) == (
        "ingrid@fjordline.example",
        "Ingrid",
        records.company.pk,
    )
    data = {
        "email": "ingrid@fjordline.example",
        "first_name": "Ingrid",
        "last_name": "Berg",
        "company_id": "",
    }
    response = editor.post(url, data, follow=True)
    assert response.redirect_chain == [(f"/contacts/{records.contact.pk}/", 302)]
    assert messages(response) == ["Contact saved."]
    records.contact.refresh_from_db()
    assert (records.contact.last_name, records.contact.company_id) == ("Berg", None)


def test_delete_asks_first_then_deletes(editor: Client, records: Any) -> None:
    url = f"/contacts/{records.contact.pk}/delete/"
    ask = editor.get(url)
    assert ask.status_code == 200
    assert "Delete the contact Ingrid Hansen (ingrid@fjordline.example)?" in text(ask.content)
    assert Contact.objects.filter(pk=records.contact.pk).exists()
    done = editor.post(url, follow=True)
    assert done.redirect_chain == [("/contacts/", 302)]
    assert messages(done) == ["Contact Ingrid Hansen deleted."]
    assert not Contact.objects.filter(pk=records.contact.pk).exists()
    records.deal.refresh_from_db()
    assert records.deal.contact_id is None


def test_the_team_unsubscribes_a_contact_from_email_to_lists_and_back(editor: Client, records: Any) -> None:
    page = editor.get(f"/contacts/{records.contact.pk}/")
    assert 'data-testid="email-opt-out">Subscribed<' in page.content.decode()
    url = f"/contacts/{records.contact.pk}/edit/"
    form = editor.get(url).content.decode()
    assert 'name="email_opt_out"' in form and "Unsubscribed from email to lists" in form
    data = {
        "email": "ingrid@fjordline.example",
        "first_name": "Ingrid",
        "last_name": "Hansen",
        "company_id": records.company.pk,
    }

    response = editor.post(url, {**data, "email_opt_out": "on"}, follow=True)

    assert 'data-testid="email-opt-out">Unsubscribed<' in response.content.decode()
    records.contact.refresh_from_db()
    assert records.contact.email_opt_out is True
    event = Event.objects.filter(type="contact.updated", object_id=records.contact.pk).get()
    assert (event.actor_name, event.data) == (
        "Editor",
        {"before": {"email_opt_out": False}, "after": {"email_opt_out": True}},
    )
    assert "checked" in editor.get(url).content.decode().split('name="email_opt_out"')[1].split(">")[0]
    editor.post(url, data)  # unticked: subscribed again (the contact asked for it)
    records.contact.refresh_from_db()
    assert records.contact.email_opt_out is False
