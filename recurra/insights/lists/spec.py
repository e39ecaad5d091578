"""A list's filters: the saved-view filter language on the record's own properties, and conditions
on its subscriptions (pure: no database).

In JSON::

    {"groups": [                                       # OR between groups, AND within one
        {"conditions": [
            {"property": "email", "operator": "contains", "value": "@acme.example"},
            {"subscriptions": {"match": "any",         # any | all | none of its subscriptions
                               "filters": {"status": ["active"],        # a subscription filter
                                           "groups": [{"conditions": [
                                               {"property": "end_date", "operator": "is_not_empty"}]}]}}}]}]}

Rules and surprises:
- ``any``: at least one subscription matches; ``none``: none does (a record without subscriptions
  is in); ``all``: it has subscriptions and every one matches (without any, it is not in).
- The subscription filter is the whole subscriptions' language (quick filters too); its relative
  dates resolve against the day the list is looked at, in the account's zone.
- No groups: every contact (or company). Every error names its place, all at once (a 422).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recurra.core.errors import FieldError, ValidationFailed
from recurra.insights.lists.properties import COMPANY_PROPERTIES, CONTACT_PROPERTIES
from recurra.saved_views.spec import (
    MAX_CONDITIONS,
    MAX_GROUPS,
    Condition,
    Filters,
    condition_json,
    filters_json,
    parse_condition,
    parse_filters,
)
from recurra.subscriptions.properties import Property

OBJECTS = ("contacts", "companies")
MATCHES = ("any", "all", "none")
PROPERTY_TABLES: dict[str, dict[str, Property]] = {
    "contacts": CONTACT_PROPERTIES,
    "companies": COMPANY_PROPERTIES,
}


@dataclass(frozen=True)
class SubscriptionsCondition:
    match: str  # any | all | none
    filters: Filters


Clause = Condition | SubscriptionsCondition


@dataclass(frozen=True)
class ListFilters:
    groups: tuple[tuple[Clause, ...], ...] = field(default_factory=tuple)


def parse_list_filters(data: Any, *, object: str, where: str = "filters") -> ListFilters:
    """The filters of a list of ``object`` (contacts or companies); every problem at once."""
    if data is None:
        return ListFilters()
    errors: list[FieldError] = []
    if not isinstance(data, Mapping):
        raise ValidationFailed.field(where, "must be an object")
    for unknown in sorted(set(data) - {"groups"}):
        errors.append(FieldError(f"{where}.{unknown}", "is not a list filter; use groups"))
    groups: list[tuple[Clause, ...]] = []
    raw = data.get("groups")
    if raw is not None and (not isinstance(raw, list) or len(raw) > MAX_GROUPS):
        errors.append(FieldError(f"{where}.groups", f"must be a list of at most {MAX_GROUPS} groups"))
        raw = []
    for g, group in enumerate(raw or []):
        at = f"{where}.groups[{g}].conditions"
        conditions = group.get("conditions") if isinstance(group, Mapping) else None
        if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
            errors.append(FieldError(at, f"must be a list of 1 to {MAX_CONDITIONS} conditions"))
            continue
        clauses: list[Clause] = []
        for i, one in enumerate(conditions):
            try:
                clauses.append(_clause(one, where=f"{at}[{i}]", object=object))
            except ValidationFailed as failed:
                errors.extend(failed.errors)
        groups.append(tuple(clauses))
    if errors:
        raise ValidationFailed(f"invalid {where}", errors=errors)
    return ListFilters(tuple(groups))


def _clause(data: Any, *, where: str, object: str) -> Clause:
    if isinstance(data, Mapping) and "subscriptions" in data:
        if set(data) != {"subscriptions"}:
            raise ValidationFailed.field(where, "a subscriptions condition has only the key subscriptions")
        inner = data["subscriptions"]
        if not isinstance(inner, Mapping):
            raise ValidationFailed.field(f"{where}.subscriptions", "must be an object with match and filters")
        errors: list[FieldError] = []
        match = inner.get("match", "any")
        if match not in MATCHES:
            errors.append(FieldError(f"{where}.subscriptions.match", f"must be one of {', '.join(MATCHES)}"))
        for unknown in sorted(set(inner) - {"match", "filters"}):
            errors.append(FieldError(f"{where}.subscriptions.{unknown}", "use match and filters"))
        filters = Filters()
        try:
            filters = parse_filters(inner.get("filters"), where=f"{where}.subscriptions.filters")
        except ValidationFailed as failed:
            errors.extend(failed.errors)
        if errors:
            raise ValidationFailed("invalid condition", errors=errors)
        return SubscriptionsCondition(match, filters)
    return parse_condition(data, where=where, properties=PROPERTY_TABLES[object])


def list_filters_json(filters: ListFilters, *, object: str) -> dict[str, Any]:
    """The canonical JSON of ``filters`` (``parse_list_filters`` reads it back equal)."""
    if not filters.groups:
        return {}
    table = PROPERTY_TABLES[object]
    return {"groups": [{"conditions": [_clause_json(c, table) for c in group]} for group in filters.groups]}


def _clause_json(clause: Clause, table: Mapping[str, Property]) -> dict[str, Any]:
    if isinstance(clause, SubscriptionsCondition):
        return {"subscriptions": {"match": clause.match, "filters": filters_json(clause.filters)}}
    return condition_json(clause, table)
