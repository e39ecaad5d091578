"""Read-only shapes for templates: a deal's line items with their amounts and totals."""

from __future__ import annotations

from dataclasses import dataclass

from recurra.catalog.pricing import LineAmounts
from recurra.core.money import Money, total
from recurra.crm.models import Deal, DealLineItem


@dataclass(frozen=True)
class LineRow:
    item: DealLineItem
    amounts: LineAmounts


@dataclass(frozen=True)
class LineTable:
    rows: list[LineRow]
    currency: str

    def _sum(self, part: str) -> Money:
        return total([Money(getattr(r.amounts, part), r.item.currency) for r in self.rows], self.currency)

    @property
    def net(self) -> Money:
        return self._sum("net")

    @property
    def tax(self) -> Money:
        return self._sum("tax")

    @property
    def total(self) -> Money:
        return self._sum("total")


def line_table(deal: Deal) -> LineTable:
    """The deal's line items in order, each with its amounts (the service's own arithmetic)."""
    return LineTable([LineRow(i, i.amounts) for i in deal.line_items.all()], deal.currency)
