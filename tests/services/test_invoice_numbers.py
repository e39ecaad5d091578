"""Invoice numbers: consecutive per prefix, given back when their transaction rolls back."""

from __future__ import annotations

import pytest
from django.db import transaction

from recurra.invoicing.numbering import take_numbers

pytestmark = pytest.mark.django_db(transaction=True)


def test_numbers_are_consecutive_per_prefix() -> None:
    with transaction.atomic():
        assert take_numbers("INV-", 3) == ["INV-1", "INV-2", "INV-3"]
        assert take_numbers("INV-", 1) == ["INV-4"]
        assert take_numbers("2027/", 2) == ["2027/1", "2027/2"]


def test_a_rolled_back_batch_leaves_no_gap() -> None:
    with transaction.atomic():
        take_numbers("INV-", 2)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        assert take_numbers("INV-", 5) == ["INV-3", "INV-4", "INV-5", "INV-6", "INV-7"]
        raise Boom
    with transaction.atomic():
        assert take_numbers("INV-", 1) == ["INV-3"]


def test_numbers_outside_a_transaction_are_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        take_numbers("INV-", 1)
    assert take_numbers("INV-", 0) == []
