"""Gapless invoice numbers that do not serialise the billing run.

Numbers come from one counter row per prefix, advanced by ``k`` in a single
UPDATE in the same transaction as the ``k`` invoices they number: a rolled
back batch gives its numbers back, so there are no gaps. The row lock is
held from that UPDATE to the commit, so callers take numbers late: the
billing run takes them after every other write of its batch, and only the
invoices themselves (with their events and emails) are written while it
holds the lock. Concurrent workers prepare their batches in parallel and
queue only for that last stretch.
"""

from __future__ import annotations

from django.db import connection, transaction

from recurra.invoicing.models import InvoiceSequence


def take_numbers(prefix: str, count: int) -> list[str]:
    """``count`` consecutive numbers ``<prefix><n>``; call inside the transaction that uses them."""
    if count <= 0:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("invoice numbers must be taken inside the transaction that uses them")
    last = _advance(prefix, count)
    if last is None:  # first number of this prefix: create its row (a racing twin may win), then advance
        with transaction.atomic():
            InvoiceSequence.objects.get_or_create(prefix=prefix)
        last = _advance(prefix, count)
        assert last is not None
    return [f"{prefix}{n}" for n in range(last - count + 1, last + 1)]


def _advance(prefix: str, count: int) -> int | None:
    table = connection.ops.quote_name(InvoiceSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + %s WHERE prefix = %s RETURNING last_number",  # noqa: S608
            [count, prefix],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])
