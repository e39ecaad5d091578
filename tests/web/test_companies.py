"""Companies pages: list, search, record with contacts and deals, create, edit, delete."""

from __future__ import annotations

from typing import Any

from django.test import Client

from recurra.crm.models import Company, Contact
from recurra.crm.services import company_create
from tests.conftest import SYSTEM
from tests.web.html import field_errors, messages, table_rows, text, value_of


def test_list_and_search(viewer: Client, records: Any) -> None:
    company_create(
        actor=SYSTEM,
        name="Acme Analytics",
        domain="acme.example",
        address={"city": "Austin", "country": "US"},
    )
    rows = table_rows(viewer.get("/companies/").content)
    assert sorted(rows) == [
        ["Acme Analytics", "acme.example", "Austin, US", "15 Jan 2027"],
        ["Fjordline", "fjordline.example", "—", "15 Jan 2027"],
    ]
    assert table_rows(viewer.get("/companies/", {"q": "ACME"}).content) == [
        ["Acme Analytics", "acme.example", "Austin, US", "15 Jan 2027"]
    ]


def test_detail_shows_contacts_and_deals(viewer: Client, records: Any) -> None:
    response = viewer.get(f"/companies/{records.company.pk}/")
    html = response.content.decode()
    assert f'<li><a href="/contacts/{records.contact.pk}/">Ingrid Hansen</a>' in html
    assert table_rows(html, "table-compact") == [["Fjordline Pro", "Appointment scheduled", "$98.00"]]


def test_create_and_invalid_domain(editor: Client, frozen_clock: Any) -> None:
    bad = editor.post("/companies/new/", {"name": "Nordlys", "domain": "not a domain"})
    assert bad.status_code == 422
    assert field_errors(bad, "id_domain") == ["Is not a domain name like example.com"]
    assert (value_of(bad, "name"), value_of(bad, "domain")) == ("Nordlys", "not a domain")
    blank = editor.post("/companies/new/", {"name": ""})
    assert field_errors(blank, "id_name") == ["This field is required."]
    assert Company.objects.count() == 0

    done = editor.post(
        "/companies/new/", {"name": "Nordlys", "domain": "https://www.Nordlys.example/"}, follow=True
    )
    company = Company.objects.get()
    assert done.redirect_chain == [(f"/companies/{company.pk}/", 302)]
    assert messages(done) == ["Company created."]
    assert (company.name, company.domain) == ("Nordlys", "nordlys.example")


def test_edit(editor: Client, records: Any) -> None:
    url = f"/companies/{records.company.pk}/edit/"
    assert value_of(editor.get(url), "domain") == "fjordline.example"
    done = editor.post(
        url, {"name": "Fjordline AS", "domain": "fjordline.example", "city": "Bergen"}, follow=True
    )
    assert messages(done) == ["Company saved."]
    records.company.refresh_from_db()
    assert (records.company.name, records.company.city) == ("Fjordline AS", "Bergen")


def test_delete_keeps_contacts(editor: Client, records: Any) -> None:
    url = f"/companies/{records.company.pk}/delete/"
    assert "Its contacts and deals stay, without a company." in text(editor.get(url).content)
    done = editor.post(url, follow=True)
    assert done.redirect_chain == [("/companies/", 302)]
    assert not Company.objects.exists()
    assert Contact.objects.get().company_id is None
