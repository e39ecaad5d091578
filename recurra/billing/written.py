"""Locking the rows an outcome touches, reusing those the worker's own last transaction wrote.

A fresh charge is recorded right after the transaction that wrote its
payment, invoice and subscription, and the worker still holds those rows in
memory. Reading them back is most of the recording's cost, so they are
reused when provably unchanged: on PostgreSQL every row version carries the
id of the transaction that wrote it (``xmin``), so a row still stamped with
the writer's id is byte for byte what the writer left. Any other row (changed
meanwhile by the API, a reconciler, another worker; or any row on SQLite) is
read afresh under the same lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.expressions import RawSQL

from recurra.core.instances import any_of, fetch
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Written:
    """What a committed transaction wrote: its id (None: unknown) and the payments it created,
    each with its invoice and subscription cached, and the invoices' lines."""

    xid: str | None = None
    payments: Mapping[str, Payment] = field(default_factory=dict)
    lines: Mapping[str, list[InvoiceLine]] = field(default_factory=dict)

    def invoices(self) -> dict[str, Invoice]:
        return {p.invoice_id: p.invoice for p in self.payments.values()}

    def subscriptions(self) -> dict[str, Subscription]:
        return {p.subscription_id: p.subscription for p in self.payments.values() if p.subscription_id}  # type: ignore[misc]


def writer_xid(payment: Payment) -> str | None:
    """The id of the current transaction as stamped on ``payment``, a row it wrote (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Payment._meta.db_table)
        cursor.execute(f"SELECT xmin::text FROM {table} WHERE id = %s", [payment.pk])  # noqa: S608
        row = cursor.fetchone()
    return None if row is None else str(row[0])


def lock(qs: models.QuerySet[M], pks: set[Any], known: Mapping[Any, M], xid: str | None) -> dict[Any, M]:
    """The rows of ``qs`` among ``pks``, locked in id order (the same in every worker: no deadlocks);
    those in ``known`` still as transaction ``xid`` wrote them are taken from ``known``."""
    locked = qs.select_for_update(of=("self",)).filter(any_of("pk", pks)).order_by("pk")
    if xid is None or not known:
        return {obj.pk: obj for obj in fetch(locked)}
    column = f"{connection.ops.quote_name(qs.model._meta.db_table)}.xmin::text"
    stamps = dict(locked.annotate(row_xmin=RawSQL(column, [])).values_list("pk", "row_xmin"))  # noqa: S611 (a table name from model metadata)
    stale = [pk for pk, stamp in stamps.items() if stamp != xid or pk not in known]
    fresh = {obj.pk: obj for obj in fetch(qs.filter(any_of("pk", stale)))} if stale else {}
    return {pk: fresh[pk] if pk in fresh else known[pk] for pk in stamps}
