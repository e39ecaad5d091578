"""The rows of an export, read a chunk at a time: plain values, never model instances.

The subscriptions the export's filters select (relative dates as on its
``as_of``), in its sort order, through one keyset range scan per chunk
(:func:`recurra.core.pagination.keyset_chunks`); each chunk's associated
invoices, payments and line items in one query each. A row is the columns'
values (a property's raw value; for an association, its ids or names as a
list) and the subscription's currency, which its money columns are in.

Associations per cell are capped at ``limit`` (the first ones by id; None is
all): the database drops the rest (a window function), so a subscription with
a hundred thousand invoices costs no more than one with a thousand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from recurra.core.money import major_text
from recurra.core.pagination import keyset_chunks
from recurra.exports.columns import Column
from recurra.exports.models import Export
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from recurra.saved_views.listing import matching
from recurra.saved_views.spec import parse_filters, parse_sort
from recurra.subscriptions.models import Subscription, SubscriptionLineItem
from recurra.subscriptions.properties import CONTACT_NAME, person_name
from recurra.subscriptions.selectors import sort_keyset

CHUNK = 2000
Row = tuple[list[Any], str]  # (the columns' values, the currency)


@dataclass(frozen=True)
class One:
    """An association the subscription row holds itself: its id column and its name's columns."""

    id: str
    name: tuple[str, ...]
    combine: Callable[..., str] | None = None


ONE: dict[str, One] = {
    "contacts": One("contact_id", CONTACT_NAME, person_name),
    "companies": One("company_id", ("company__name",)),
    "deals": One("deal_id", ("deal__name",)),
    "quotes": One("quote_id", ("quote__name",)),
}


def _invoice_name(pk: str, number: str | None) -> str:
    return number or pk


def _payment_name(pk: str, amount: int, currency: str, created_at: Any) -> str:
    return f"{major_text(amount, currency)} {currency} ({created_at.date().isoformat()})"


@dataclass(frozen=True)
class Many:
    """An association in its own table: what to read of it, and its name."""

    model: Any
    fields: tuple[str, ...]
    name: Callable[..., str]


MANY: dict[str, Many] = {
    "invoices": Many(Invoice, ("number",), _invoice_name),
    "payments": Many(Payment, ("amount", "currency", "created_at"), _payment_name),
    "line_items": Many(SubscriptionLineItem, ("name",), lambda pk, name: name),
}


def selected(export: Export, zone: ZoneInfo) -> QuerySet[Subscription]:
    return matching(parse_filters(export.filters), at=export.as_of, zone=zone, scope=export.scope_filters)


def export_rows(export: Export, columns: list[Column], *, zone: ZoneInfo) -> Iterator[list[Row]]:
    """The export's rows, a chunk at a time (see the module)."""
    paths = ["id", "currency"]
    for column in columns:
        if column.prop is not None:
            paths += column.prop.reads
        elif column.association in ONE:
            one = ONE[column.association]
            paths += [one.id, *one.name]
    paths = list(dict.fromkeys(paths))
    at = {path: n for n, path in enumerate(paths)}
    many = sorted({c.association for c in columns if c.association in MANY})
    qs = selected(export, zone)
    for chunk in keyset_chunks(qs, sort_keyset(export.sort or str(parse_sort(None))), paths, size=CHUNK):
        found = {kind: _many(kind, [r[0] for r in chunk], export.associations_limit) for kind in many}
        yield [([_value(column, row, at, found) for column in columns], row[1]) for row in chunk]


def _value(column: Column, row: tuple[Any, ...], at: dict[str, int], found: dict[str, Any]) -> Any:
    if column.prop is not None:
        return column.prop.from_values(*(row[at[path]] for path in column.prop.reads))
    kind = column.association
    assert kind is not None
    if kind in ONE:
        one = ONE[kind]
        pk = row[at[one.id]]
        if pk is None:
            return []
        if not column.names:
            return [pk]
        values = [row[at[path]] for path in one.name]
        return [one.combine(*values) if one.combine else values[0]]
    ids, names = found[kind].get(row[0], ([], []))
    return names if column.names else ids


def _many(
    kind: str, subscription_ids: list[str], limit: int | None
) -> dict[str, tuple[list[str], list[str]]]:
    """Each subscription's ``kind`` records (at most ``limit``, the first by id): ids and names."""
    spec = MANY[kind]
    qs = spec.model.objects.filter(subscription_id__in=subscription_ids)
    if limit is not None:
        qs = qs.annotate(
            nth=Window(RowNumber(), partition_by=[F("subscription_id")], order_by=[F("id").asc()])
        ).filter(nth__lte=limit)
    out: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for subscription_id, pk, *values in qs.order_by("subscription_id", "id").values_list(
        "subscription_id", "id", *spec.fields
    ):
        ids, names = out[subscription_id]
        ids.append(pk)
        names.append(spec.name(pk, *values))
    return out
