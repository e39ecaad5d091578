"""core.instances.build and core.bulk.insert_objects / new_row: rows made and written without the ORM's
per-instance work, with the defaults and JSON the ORM would give them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from recurra.core.bulk import insert_objects, new_row
from recurra.core.instances import build
from recurra.crm.models import Contact, Deal
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage

pytestmark = pytest.mark.django_db


def test_build_gives_each_field_its_default_and_each_row_its_own_id_and_dicts() -> None:
    one, two = build(Invoice), build(Invoice, currency="NOK")
    ordinary = Invoice()
    for field in Invoice._meta.concrete_fields:
        if field.attname not in ("id", "created_at", "updated_at"):
            assert getattr(one, field.attname) == getattr(ordinary, field.attname), field.attname
    assert one.pk != two.pk and one.pk.startswith("in_")
    assert one.billing_address == {} and one.billing_address is not two.billing_address  # a dict each
    assert two.currency == "NOK" and one._state.adding


def test_build_takes_a_foreign_key_as_the_related_instance() -> None:
    contact = Contact.objects.create(email="a@example.com")
    deal = build(Deal, name="d", currency="USD", contact=contact)
    assert deal.contact_id == contact.pk and deal.contact is contact


def test_inserted_instances_and_plain_rows_read_back_as_written(frozen_clock: dt.datetime) -> None:
    contact = Contact.objects.create(email="a@example.com")
    deals = [build(Deal, name=f"d{i}", currency="USD", amount=i, contact=contact) for i in range(3)]
    insert_objects(deals)
    assert sorted(Deal.objects.values_list("name", "amount", "contact_id")) == [
        (f"d{i}", i, contact.pk) for i in range(3)
    ]
    data = {"on": dt.date(2027, 2, 28), "at": frozen_clock, "amount": Decimal("1.50"), "lines": [{"n": 1}]}
    row = new_row(EmailMessage, to="b@example.com", kind="receipt", data=data, run_at=frozen_clock)
    insert_objects([row], model=EmailMessage)
    stored = EmailMessage.objects.get()
    assert stored.data == {
        "on": "2027-02-28",
        "at": "2027-01-15T09:30:00Z",
        "amount": "1.50",
        "lines": [{"n": 1}],
    }
    assert (stored.status, stored.language, stored.attempts, stored.sent_at) == ("queued", "en", 0, None)


def test_any_of_selects_what_in_selects() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recurra.core.instances import any_of, fetch_by_pk

    contacts = [Contact.objects.create(email=f"{i}@example.com") for i in range(4)]
    some = {contacts[0].pk, contacts[2].pk, "con_missing"}
    with CaptureQueriesContext(connection) as queries:
        assert set(Contact.objects.filter(any_of("pk", some)).values_list("pk", flat=True)) == some - {
            "con_missing"
        }
    assert Contact.objects.exclude(any_of("pk", some)).count() == 2
    assert not Contact.objects.filter(any_of("email", [])).exists()
    assert set(fetch_by_pk(Contact, [contacts[1].pk, None])) == {contacts[1].pk}
    if connection.vendor == "postgresql":  # one parameter, however many ids
        assert "= ANY(" in queries.captured_queries[0]["sql"]


@pytest.mark.parametrize(
    "emails",
    [
        ["a@example.com", "b@example.com"],  # an array's text form, made by one join
        ["a,b@example.com", 'q"@example.com', "null", "", "sp ace@example.com"],  # elements to quote
    ],
)
def test_any_of_matches_values_that_an_array_must_quote(emails: list[str]) -> None:
    from recurra.core.instances import any_of

    for email in emails:
        Contact.objects.create(email=email)
    Contact.objects.create(email="other@example.com")
    got = set(Contact.objects.filter(any_of("email", [*emails, None])).values_list("email", flat=True))
    assert got == set(emails)
