"""The list spec read from JSON and written back: filters, columns, sort (pure: no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recurra.core.errors import ValidationFailed
from recurra.saved_views.spec import (
    DEFAULT_SORT,
    OPERATORS,
    Condition,
    Due,
    Filters,
    Sort,
    filters_json,
    operators_for,
    parse_columns,
    parse_filters,
    parse_sort,
    stored_filters,
)
from recurra.subscriptions.properties import DEFAULT_COLUMNS, PROPERTIES, Kind


def errors(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_filters(data)
    return [(e.field, e.message) for e in caught.value.errors]


def test_a_full_spec_is_read_typed() -> None:
    filters = parse_filters(
        {
            "q": "  acme ",
            "status": ["active", "past_due"],
            "next_payment_date": {"preset": "custom", "from": "2027-01-01", "to": "2027-01-31"},
            "groups": [
                {
                    "conditions": [
                        {"property": "mrr", "operator": "greater_than", "value": 5000},
                        {"property": "company", "operator": "is_empty"},
                    ]
                },
                {"conditions": [{"property": "billing_frequency", "operator": "is", "value": "annually"}]},
            ],
        }
    )
    assert filters == Filters(
        q="acme",
        statuses=("active", "past_due"),
        due=Due("custom", date(2027, 1, 1), date(2027, 1, 31)),
        groups=(
            (Condition("mrr", "greater_than", (5000,)), Condition("company", "is_empty", ())),
            (Condition("billing_frequency", "is", ("annually",)),),
        ),
    )


def test_nothing_is_no_filter() -> None:
    assert parse_filters(None) == Filters()
    assert parse_filters({}) == Filters()
    assert Filters().is_empty


def test_every_problem_is_reported_at_once_with_its_place() -> None:
    found = errors(
        {
            "colour": "red",
            "status": ["active", "unpaid"],
            "next_payment_date": {"preset": "someday"},
            "groups": [
                {
                    "conditions": [
                        {"property": "shoe_size", "operator": "is", "value": 42},
                        {"property": "mrr", "operator": "contains", "value": "1"},
                        {"property": "start_date", "operator": "before", "value": "15/01/2027"},
                        {"property": "name", "operator": "is_empty", "value": "x"},
                    ]
                }
            ],
        }
    )
    assert [field for field, _ in found] == [
        "filters.colour",
        "filters.status",
        "filters.next_payment_date.preset",
        "filters.groups[0].conditions[0].property",
        "filters.groups[0].conditions[1].operator",
        "filters.groups[0].conditions[2].value",
        "filters.groups[0].conditions[3].value",
    ]
    assert found[4][1] == "for mrr must be one of is, is_not, less_than, greater_than, between"
    assert found[6][1] == "is empty takes no value"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"property": "mrr", "operator": "between", "value": [5000]}, "is between takes 2 to 2 values"),
        ({"property": "mrr", "operator": "between", "value": [9, 1]}, "between needs the lower bound first"),
        ({"property": "mrr", "operator": "is", "value": 10.5}, "must be a whole number of minor units"),
        ({"property": "mrr", "operator": "is", "value": True}, "must be a whole number of minor units"),
        ({"property": "payments_made", "operator": "is", "value": "3"}, "must be a whole number"),
        (
            {"property": "status", "operator": "is", "value": ["unpaid"]},
            "must be one of scheduled, active, past_due, paused, canceled, expired",
        ),
        ({"property": "cancel_at_period_end", "operator": "is", "value": "yes"}, "must be true or false"),
        ({"property": "name", "operator": "contains", "value": "   "}, "must be text of 1 to 200 characters"),
        (
            {"property": "name", "operator": "contains", "value": "a\x00b"},
            "must be text of 1 to 200 characters",
        ),
        (
            {"property": "name", "operator": "contains", "value": "\ud800"},
            "must be text of 1 to 200 characters",
        ),
    ],
)
def test_values_are_checked_against_the_kind(condition: dict[str, Any], message: str) -> None:
    assert errors({"groups": [{"conditions": [condition]}]}) == [
        ("filters.groups[0].conditions[0].value", message)
    ]


def test_a_choice_is_any_of_several_values() -> None:
    filters = parse_filters(
        {
            "groups": [
                {
                    "conditions": [
                        {"property": "status", "operator": "is_not", "value": ["canceled", "expired"]}
                    ]
                }
            ]
        }
    )
    assert filters.groups[0][0].values == ("canceled", "expired")


def test_empty_operators_only_where_a_property_can_be_empty() -> None:
    assert "is_empty" in operators_for(PROPERTIES["next_payment_date"])
    assert "is_empty" in operators_for(PROPERTIES["name"])  # text can be blank
    assert "is_empty" not in operators_for(PROPERTIES["start_date"])
    assert "is_empty" not in operators_for(PROPERTIES["status"])
    assert set(OPERATORS) == set(Kind)


def test_a_custom_range_needs_an_end_in_order() -> None:
    assert errors({"next_payment_date": {"preset": "custom"}}) == [
        ("filters.next_payment_date", "a custom range needs from, to or both")
    ]
    assert errors({"next_payment_date": {"preset": "custom", "from": "2027-02-01", "to": "2027-01-01"}}) == [
        ("filters.next_payment_date.to", "must not be before from")
    ]
    assert parse_filters({"next_payment_date": {"preset": "custom", "to": "2027-01-01"}}).due == Due(
        "custom", None, date(2027, 1, 1)
    )


def test_dates_outside_the_supported_range_are_refused_where_they_are() -> None:
    far = "must be a date from 1900-01-01 to 2200-12-31"
    assert errors(
        {
            "next_payment_date": {"preset": "custom", "from": "1899-12-31", "to": "9999-12-31"},
            "groups": [
                {
                    "conditions": [
                        {
                            "property": "created_at",
                            "operator": "between",
                            "value": ["2027-01-01", "2201-01-01"],
                        }
                    ]
                }
            ],
        }
    ) == [
        ("filters.next_payment_date.from", far),
        ("filters.next_payment_date.to", far),
        ("filters.groups[0].conditions[0].value", far),
    ]
    assert errors({"next_payment_date": {"preset": "custom", "from": "someday"}}) == [
        ("filters.next_payment_date.from", "must be a date, YYYY-MM-DD")  # once: not "needs from or to" too
    ]
    ends = {"property": "end_date", "operator": "between", "value": ["1900-01-01", "2200-12-31"]}
    assert parse_filters({"groups": [{"conditions": [ends]}]}).groups[0][0].values == (
        date(1900, 1, 1),
        date(2200, 12, 31),
    )


def test_stored_filters_keep_far_dates_and_leave_out_what_no_longer_reads() -> None:
    """A view saved before the range (or another rule) existed still opens: stored filters never fail."""
    far = {"property": "created_at", "operator": "after", "value": "9999-12-31"}
    gone = {"property": "shoe_size", "operator": "is", "value": 42}
    filters = stored_filters({"status": ["active", "retired"], "groups": [{"conditions": [far, gone]}]})
    assert filters == Filters(groups=((Condition("created_at", "after", (date(9999, 12, 31),)),),))
    assert stored_filters("not an object") == Filters()
    with pytest.raises(ValidationFailed):
        parse_filters(filters_json(filters))  # sent again, it is checked as new


def test_groups_need_conditions() -> None:
    assert errors({"groups": [{"conditions": []}]}) == [
        ("filters.groups[0].conditions", "must be a list of 1 to 20 conditions")
    ]
    assert errors({"groups": "mrr > 1"}) == [("filters.groups", "must be a list of at most 10 groups")]


_condition = st.sampled_from(
    [
        {"property": "mrr", "operator": "between", "value": [100, 200]},
        {"property": "status", "operator": "is", "value": ["active"]},
        {"property": "next_payment_date", "operator": "after", "value": "2027-03-01"},
        {"property": "created_at", "operator": "is", "value": "2027-01-15"},
        {"property": "company", "operator": "contains", "value": "fjord"},
        {"property": "end_date", "operator": "is_not_empty"},
        {"property": "cancel_at_period_end", "operator": "is", "value": False},
    ]
)


@given(
    q=st.sampled_from(["", "acme", "ingrid hansen"]),
    statuses=st.lists(st.sampled_from(["active", "past_due", "paused"]), unique=True),
    preset=st.sampled_from([None, "today", "next_7_days", "overdue"]),
    groups=st.lists(st.lists(_condition, min_size=1, max_size=3), max_size=3),
)
def test_what_is_written_reads_back_the_same(
    q: str, statuses: list[str], preset: str | None, groups: list[list[dict[str, Any]]]
) -> None:
    data: dict[str, Any] = {"q": q, "status": statuses, "groups": [{"conditions": g} for g in groups]}
    if preset:
        data["next_payment_date"] = {"preset": preset}
    filters = parse_filters(data)
    assert parse_filters(filters_json(filters)) == filters


def test_columns_default_keep_order_and_drop_repeats() -> None:
    assert parse_columns(None) == DEFAULT_COLUMNS
    assert parse_columns([]) == DEFAULT_COLUMNS
    assert parse_columns(["mrr", "name", "mrr"]) == ("mrr", "name")
    with pytest.raises(ValidationFailed) as caught:
        parse_columns(["name", "shoe_size"])
    assert caught.value.errors[0].message == "'shoe_size' is not a property of a subscription"


def test_sort_names_a_sortable_property_and_a_direction() -> None:
    assert parse_sort(None) == DEFAULT_SORT == Sort("next_payment_date")
    assert parse_sort("-mrr") == Sort("mrr", descending=True)
    assert str(parse_sort("-mrr")) == "-mrr"
    for bad in ("shoe_size", "--mrr", 7):
        with pytest.raises(ValidationFailed) as caught:
            parse_sort(bad)
        assert caught.value.errors[0].field == "sort"
