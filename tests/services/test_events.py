"""The audit trail: one event per change, append-only, with actor and before/after."""

import pytest

from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.crm.models import Company
from recurra.crm.services import company_create, company_delete, company_update

pytestmark = pytest.mark.django_db
ALICE = Actor("user", "7", "Alice")


def test_create_update_delete_each_write_one_event(frozen_clock):
    company = company_create(actor=ALICE, name="Acme", domain="https://www.Acme.example/")
    company_update(company=company, actor=ALICE, name="Acme AS", phone="")
    company_update(company=company, actor=ALICE, name="Acme AS")  # no change: no event
    pk = company.pk
    company_delete(company=company, actor=ALICE)
    found = list(Event.objects.filter(object_id=pk).order_by("created_at", "id"))
    assert [e.type for e in found] == ["company.created", "company.updated", "company.deleted"]
    created, updated, deleted = found
    assert created.data["after"]["domain"] == "acme.example"
    assert "before" not in created.data
    assert updated.data == {"before": {"name": "Acme"}, "after": {"name": "Acme AS"}}
    assert deleted.data["before"]["name"] == "Acme AS" and "after" not in deleted.data
    assert {(e.actor_type, e.actor_id, e.actor_name) for e in found} == {("user", "7", "Alice")}
    assert created.created_at == frozen_clock
    assert not Company.objects.filter(pk=pk).exists()


def test_events_cannot_be_changed_or_deleted(frozen_clock):
    company = company_create(actor=ALICE, name="Acme")
    event = Event.objects.get(object_id=company.pk)
    event.type = "forged"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).update(type="forged")
    with pytest.raises(TypeError):
        Event.objects.all().delete()
    assert Event.objects.get(pk=event.pk).type == "company.created"


def test_jsonable_handles_dates_decimals_and_nesting():
    import datetime as dt
    from decimal import Decimal

    value = {"d": dt.date(2027, 2, 28), "t": dt.datetime(2027, 1, 1, tzinfo=dt.UTC), "p": [Decimal("12.50")]}
    assert events.jsonable(value) == {"d": "2027-02-28", "t": "2027-01-01T00:00:00Z", "p": ["12.50"]}


def test_deleting_a_company_records_the_links_it_clears(frozen_clock):
    from recurra.crm.services import contact_create, deal_create

    company = company_create(actor=ALICE, name="Acme")
    contact = contact_create(actor=ALICE, email="a@acme.example", company_id=company.pk)
    deal = deal_create(
        actor=ALICE, name="Big one", currency="USD", company_id=company.pk, contact_id=contact.pk
    )
    company_pk = company.pk
    company_delete(company=company, actor=ALICE)
    for obj, kind in ((contact, "contact"), (deal, "deal")):
        event = Event.objects.get(object_id=obj.pk, type=f"{kind}.updated")
        assert event.data == {"before": {"company_id": company_pk}, "after": {"company_id": None}}
        assert (event.actor_type, event.actor_name) == ("user", "Alice")
    deal.refresh_from_db()
    assert deal.company_id is None and deal.contact_id == contact.pk
    assert not Event.objects.filter(object_id=deal.pk, data__after__contact_id=None).exists()


def test_dumps_writes_the_text_json_dumps_writes_of_jsonable():
    """The bulk writers' one-pass encoder: the same text as ``json.dumps(jsonable(value))``."""
    import datetime as dt
    import json
    import uuid
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    at = dt.datetime(2027, 1, 15, 9, 30, tzinfo=dt.UTC)
    values = [
        {"after": {"on": dt.date(2027, 2, 28), "at": at, "again": at, "same_day": dt.date(2027, 2, 28)}},
        {
            "oslo": dt.datetime(2027, 7, 1, 12, tzinfo=ZoneInfo("Europe/Oslo")),
            "naive": dt.datetime(2027, 1, 1),
        },
        {"money": [Decimal("12.50"), Decimal(3)], "id": uuid.UUID(int=7), "nested": {"t": (1, None, True)}},
        {"name": 'Bjørn "Q" \\ ☃\n', 1: "an int key", "float": 2.5, "empty": {}, "list": []},
        [dt.date(2020, 1, 1)],
        "plain",
    ]
    for value in values:
        assert events.dumps(value) == json.dumps(events.jsonable(value))
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        events.dumps({"x": {1, 2}})


def test_snapshot_and_values_of_read_every_concrete_field(frozen_clock):
    import datetime as dt

    company = company_create(actor=ALICE, name="Acme")
    fields = Company._meta.concrete_fields
    assert events.values_of(company) == {f.attname: getattr(company, f.attname) for f in fields}
    assert events.snapshot(company) == {
        f.attname: events.jsonable(getattr(company, f.attname)) for f in fields
    }
    assert events.snapshot(company)["created_at"] == "2027-01-15T09:30:00Z"
    assert isinstance(events.values_of(company)["created_at"], dt.datetime)  # JSON once dumped
    assert "name" not in events.snapshot(company, exclude=("name",))
    deferred = Company.objects.only("pk").get(pk=company.pk)  # read field by field, as attributes load
    assert events.snapshot(deferred) == events.snapshot(Company.objects.get(pk=company.pk))
