"""Cursor pagination on every list: newest first, every row exactly once, honest has_more/next_cursor."""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")

MAKERS = {
    "contacts": lambda i: {"email": f"person{i}@example.com", "first_name": f"Person {i}"},
    "companies": lambda i: {"name": f"Company {i}"},
    "deals": lambda i: {"name": f"Deal {i}"},
    "products": lambda i: {"name": f"Product {i}", "unit_amount": i, "currency": "USD"},
}


def walk(api, path, limit, **params):
    """Every page of ``path``: (pages, rows in the order the pages gave them)."""
    pages, rows, cursor = [], [], None
    while True:
        page = ok(api.get(path, limit=limit, **({"cursor": cursor} if cursor else {}), **params))
        pages.append(page)
        rows.extend(page["data"])
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return pages, rows
        assert isinstance(page["next_cursor"], str) and page["next_cursor"]
        assert len(page["data"]) == limit
        cursor = page["next_cursor"]
        assert len(pages) < 50, "the walk does not end"


@pytest.mark.parametrize("resource", sorted(MAKERS))
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
def test_walking_every_page_gives_every_row_once_newest_first(api, make, resource, limit):
    made = [make(resource, **MAKERS[resource](i)) for i in range(7)]

    pages, rows = walk(api, f"/{resource}", limit)

    assert [r["id"] for r in rows] == [m["id"] for m in reversed(made)]
    assert rows == list(reversed(made))
    assert len(pages) == -(-7 // limit)  # ceil(7 / limit): no empty last page
    assert [p["has_more"] for p in pages] == [True] * (len(pages) - 1) + [False]


def test_the_events_list_pages_too(api, make):
    for i in range(5):
        make("companies", name=f"Company {i}")

    _, rows = walk(api, "/events", 2, type="company.created")

    assert [r["data"]["after"]["name"] for r in rows] == [f"Company {i}" for i in reversed(range(5))]


def test_an_empty_list(api):
    assert ok(api.get("/contacts")) == {"data": [], "has_more": False, "next_cursor": None}


def test_default_limit_is_50(api, make):
    for i in range(51):
        make("companies", name=f"C{i}")

    page = ok(api.get("/companies"))

    assert (len(page["data"]), page["has_more"]) == (50, True)
    assert len(ok(api.get("/companies", limit=1000))["data"]) == 51


def test_search_pages_through_matches_only(api, make):
    for i in range(6):
        make("contacts", email=f"{'ada' if i % 2 else 'bob'}{i}@example.com")

    _, rows = walk(api, "/contacts", 2, q="ada")

    assert [r["email"] for r in rows] == ["ada5@example.com", "ada3@example.com", "ada1@example.com"]


def test_rows_added_while_walking_do_not_shift_the_pages(api, make):
    made = [make("companies", name=f"C{i}") for i in range(4)]
    first = ok(api.get("/companies", limit=2))

    newer = make("companies", name="Newer")
    rest = ok(api.get("/companies", limit=2, cursor=first["next_cursor"]))

    assert [c["id"] for c in first["data"] + rest["data"]] == [m["id"] for m in reversed(made)]
    assert newer["id"] not in {c["id"] for c in rest["data"]}
    assert rest["has_more"] is False


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", "1.5"])
def test_limit_out_of_range_is_a_422(api, limit):
    assert_problem(api.get("/contacts", limit=limit), 422, "limit")


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        "abc",
        _cursor({"id": "con_x"}),
        _cursor([]),
        _cursor(["con_x", "extra"]),
        _cursor([None]),
        _cursor([True]),
        _cursor([{"a": 1}]),
        _cursor(["a\x00b"]),
        base64.urlsafe_b64encode(b'["\\ud800"]').decode(),
        _cursor([[[[[[["deep"]]]]]]]),
        "x" * 501,
    ],
)
def test_a_tampered_cursor_is_a_422(api, make, cursor):
    make("contacts", email="ada@example.com")

    assert_problem(api.get("/contacts", cursor=cursor), 422, "cursor")


def test_a_cursor_from_another_list_does_not_break_it(api, make):
    for i in range(3):
        make("contacts", email=f"p{i}@example.com")
        make("companies", name=f"C{i}")
    contacts_cursor = ok(api.get("/contacts", limit=1))["next_cursor"]

    page = ok(api.get("/companies", cursor=contacts_cursor))

    assert (len(page["data"]), page["has_more"]) == (3, False)  # "com_…" ids all sort before "con_…"
