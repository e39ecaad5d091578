"""Prepared reads: the ORM's SQL compiled once, values converted as the ORM converts them.

Ada and Grace are contacts; Ada's row is read through a Prepared read and compared with the ORM's.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recurra.core import clock
from recurra.core.prepared import SHAPES, Prepared
from recurra.crm.models import Contact
from recurra.subscriptions.models import Subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")

BY_EMAIL = Prepared(Contact, lambda email: Contact.objects.filter(email=email).order_by())
BY_IDS = Prepared(
    Contact, lambda ids: Contact.objects.filter(pk__in=ids).order_by("email"), columns=("email",)
)


@pytest.fixture
def ada() -> Contact:
    Contact.objects.create(email="grace@example.com", first_name="Grace")
    return Contact.objects.create(email="ada@example.com", first_name="Ada", country="NO")


def test_a_row_reads_as_the_orm_reads_it(ada):
    (found,) = BY_EMAIL.objects("ada@example.com")
    stored = Contact.objects.get(pk=ada.pk)
    assert {f.attname: getattr(found, f.attname) for f in Contact._meta.concrete_fields} == {
        f.attname: getattr(stored, f.attname) for f in Contact._meta.concrete_fields
    }
    assert isinstance(found.created_at, datetime) and found.created_at.tzinfo is not None
    assert not found._state.adding
    found.first_name = "Augusta"
    found.save()  # an ordinary stored instance
    assert Contact.objects.get(pk=ada.pk).first_name == "Augusta"


def test_nothing_found_is_an_empty_list(ada):
    assert BY_EMAIL.objects("nobody@example.com") == []


def test_a_list_argument_binds_each_item_and_each_length_compiles_once(ada):
    grace = Contact.objects.get(email="grace@example.com")
    assert BY_IDS.rows([ada.pk, grace.pk]) == [("ada@example.com",), ("grace@example.com",)]
    assert BY_IDS.rows([grace.pk]) == [("grace@example.com",)]
    assert len(BY_IDS._compiled) == 2
    assert BY_IDS.rows([ada.pk]) == [("ada@example.com",)]
    assert len(BY_IDS._compiled) == 2  # the length of one is compiled already


def test_a_call_is_one_query(ada):
    BY_EMAIL.objects("ada@example.com")
    with CaptureQueriesContext(connection) as captured:
        BY_EMAIL.objects("grace@example.com")
    assert len(captured) == 1


def test_an_argument_the_orm_changes_is_refused_at_compile_time(db):
    lowered = Prepared(Contact, lambda email: Contact.objects.filter(email__iexact=email.upper()))
    with pytest.raises(ValueError, match="did not reach the SQL unchanged"):
        lowered.objects("ada@example.com")


def test_at_most_so_many_shapes_are_kept(ada):
    many = Prepared(Subscription, lambda ids: Subscription.objects.filter(pk__in=ids), columns=("id",))
    for n in range(1, SHAPES + 6):
        assert many.rows([f"sub_{i}" for i in range(n)]) == []
    assert len(many._compiled) == SHAPES


def test_the_clock_is_read_once_in_a_scope_and_afresh_after_a_move(frozen_clock):
    with CaptureQueriesContext(connection) as captured, clock.read_once():
        assert clock.now() == frozen_clock
        assert clock.now() == frozen_clock
        reads = len(captured)
        later = datetime(2027, 6, 1, tzinfo=UTC)
        clock.freeze(later)
        assert clock.now() == later  # moved within the scope: read again
    assert reads == 1
    assert clock.now() == later
