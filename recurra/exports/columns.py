"""An export's columns: which, in what order, and their headers in the export's language.

- ``view``: the view's columns, in its order.
- ``all_properties``: every property, Record ID first, then by header in the
  export's language (as a reader of that language would look one up).
- ``all_properties_and_associations``: those, then two columns per associated
  object type (contacts, companies, deals, quotes, invoices, payments, line
  items): "Associated [Object] IDs" and "Associated [Object]" (their names),
  each a semicolon-separated list.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recurra.exports.models import ExportScope
from recurra.subscriptions.properties import PROPERTIES, Kind, Property


@dataclass(frozen=True)
class Association:
    key: str  # the object type: "contacts"
    ids_label: Promise
    names_label: Promise


# In this order, last in an export with associations.
ASSOCIATIONS: tuple[Association, ...] = (
    Association("contacts", _("Associated Contact IDs"), _("Associated Contact")),
    Association("companies", _("Associated Company IDs"), _("Associated Company")),
    Association("deals", _("Associated Deal IDs"), _("Associated Deal")),
    Association("quotes", _("Associated Quote IDs"), _("Associated Quote")),
    Association("invoices", _("Associated Invoice IDs"), _("Associated Invoice")),
    Association("payments", _("Associated Payment IDs"), _("Associated Payment")),
    Association("line_items", _("Associated Line Item IDs"), _("Associated Line Item")),
)


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind
    prop: Property | None = None  # a property's column
    association: str | None = None  # or an association's ("contacts")
    names: bool = False  # the association's names (else its ids)

    @property
    def guarded(self) -> bool:
        """Text someone typed (a name, a reference): a CSV reader could take it for a formula."""
        return self.association is not None or self.kind in (Kind.TEXT, Kind.CHOICE)


def _sort_key(text: str) -> str:
    return unicodedata.normalize("NFKD", text).casefold()


def columns_for(scope: str, view_columns: Sequence[str], language: str) -> list[Column]:
    """The columns of an export of ``scope`` from a view showing ``view_columns``."""
    with translation.override(language):
        if scope == ExportScope.VIEW:
            return [_property(PROPERTIES[key]) for key in view_columns]
        first, *rest = [_property(p) for p in PROPERTIES.values()]  # Record ID first
        columns = [first, *sorted(rest, key=lambda c: _sort_key(c.header))]
        if scope == ExportScope.ALL_WITH_ASSOCIATIONS:
            for association in ASSOCIATIONS:
                columns.append(Column(str(association.ids_label), Kind.TEXT, association=association.key))
                columns.append(
                    Column(str(association.names_label), Kind.TEXT, association=association.key, names=True)
                )
        return columns


def _property(prop: Property) -> Column:
    """A property's column; a user's is their name, text (filters compare their id)."""
    return Column(str(prop.label), Kind.TEXT if prop.kind == Kind.USER else prop.kind, prop=prop)
