"""/products: the product library. SKUs are unique whatever their case; used products are archived."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recurra.catalog.models import Product
from recurra.core import clock
from recurra.core.models import Event
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")


def test_create_returns_the_product(api):
    body = ok(
        api.post(
            "/products",
            {
                "name": "Pro plan",
                "sku": " PRO-1 ",
                "description": "Everything",
                "unit_amount": 1999,
                "currency": "usd",
                "tax_rate_percent": "12.50",
                "billing_frequency": "monthly",
            },
        ),
        201,
    )

    assert body["id"].startswith("prod_")
    assert body == {
        "id": body["id"],
        "name": "Pro plan",
        "sku": "PRO-1",
        "description": "Everything",
        "unit_amount": 1999,
        "currency": "USD",
        "tax_rate_percent": "12.5",
        "billing_frequency": "monthly",
        "archived": False,
        "archived_at": None,
        "created_at": T0_TEXT,
        "updated_at": T0_TEXT,
    }
    assert ok(api.get(f"/products/{body['id']}")) == body


def test_defaults(api):
    body = ok(api.post("/products", {"name": "Setup", "unit_amount": 0, "currency": "JPY"}), 201)

    assert {k: body[k] for k in ("sku", "description", "tax_rate_percent", "billing_frequency")} == {
        "sku": None,
        "description": "",
        "tax_rate_percent": "0",
        "billing_frequency": "one_time",
    }


@pytest.mark.parametrize("other", ["pro-1", "Pro-1", " PRO-1"])
def test_sku_is_unique_whatever_its_case(api, product, other):
    assert_problem(
        api.post("/products", {"name": "Other", "sku": other, "unit_amount": 1, "currency": "USD"}),
        422,
        "sku",
    )
    assert Product.objects.count() == 1


def test_patch_to_another_products_sku_is_a_422(api, product, make):
    other = make("products", name="Other", sku="OTHER", unit_amount=1, currency="USD")

    assert_problem(api.patch(f"/products/{other['id']}", {"sku": "pro-1"}), 422, "sku")
    assert Product.objects.get(pk=other["id"]).sku == "OTHER"


def test_many_products_may_have_no_sku(api, make):
    make("products", name="A", unit_amount=1, currency="USD")
    make("products", name="B", unit_amount=1, currency="USD", sku="")

    assert list(Product.objects.values_list("sku", flat=True)) == [None, None]


def test_patch_clears_the_sku_and_tax_with_null(api, product):
    body = ok(api.patch(f"/products/{product['id']}", {"sku": None, "tax_rate_percent": None}))

    assert (body["sku"], body["tax_rate_percent"]) == (None, "0")


@pytest.mark.parametrize(
    "field", ["name", "unit_amount", "currency", "billing_frequency", "description", "archived"]
)
def test_patch_refuses_null_for_a_field_that_cannot_be_empty(api, product, field):
    assert_problem(api.patch(f"/products/{product['id']}", {field: None}), 422, field)
    assert ok(api.get(f"/products/{product['id']}")) == product


def test_archive_and_restore(api, product):
    clock.freeze(T0 + timedelta(days=1))

    archived = ok(api.post(f"/products/{product['id']}/archive"))

    assert archived == {
        **product,
        "archived": True,
        "archived_at": "2027-01-16T09:30:00Z",
        "updated_at": "2027-01-16T09:30:00Z",
    }
    assert_problem(api.post(f"/products/{product['id']}/archive"), 409)
    restored = ok(api.patch(f"/products/{product['id']}", {"archived": False}))
    assert (restored["archived"], restored["archived_at"]) == (False, None)


def test_patch_archived_true_archives_and_is_idempotent(api, product):
    first = ok(api.patch(f"/products/{product['id']}", {"archived": True}))
    again = ok(api.patch(f"/products/{product['id']}", {"archived": True}))

    assert (first["archived"], first["archived_at"]) == (True, T0_TEXT)
    assert again == first
    assert Event.objects.filter(object_id=product["id"], type="product.archived").count() == 1


def test_patch_archived_must_be_a_boolean(api, product):
    assert_problem(api.patch(f"/products/{product['id']}", {"archived": "yes"}), 422, "archived")
    assert not Product.objects.get(pk=product["id"]).is_archived


def test_list_hides_archived_products_unless_asked(api, product, make):
    other = make("products", name="Other", unit_amount=1, currency="USD")
    ok(api.post(f"/products/{product['id']}/archive"))

    def ids(**params):
        return [p["id"] for p in ok(api.get("/products", **params))["data"]]

    assert ids() == [other["id"]]
    assert ids(archived="false") == [other["id"]]
    assert ids(archived="true") == [product["id"]]
    assert ids(archived="all") == [other["id"], product["id"]]
    assert_problem(api.get("/products", archived="maybe"), 422, "archived")


@pytest.mark.parametrize(
    ("q", "expected"), [("pro", ["pro"]), ("PLAN", ["basic", "pro"]), ("bas-", ["basic"])]
)
def test_search_by_name_or_sku(api, make, q, expected):
    made = {
        "pro": make("products", name="Pro plan", sku="PRO-1", unit_amount=1, currency="USD"),
        "basic": make("products", name="Basic plan", sku="BAS-1", unit_amount=1, currency="USD"),
    }

    assert [p["id"] for p in ok(api.get("/products", q=q))["data"]] == [made[name]["id"] for name in expected]


def test_delete_an_unused_product(api, product):
    response = api.delete(f"/products/{product['id']}")

    assert (response.status_code, response.content) == (204, b"")
    assert not Product.objects.exists()
    assert_problem(api.get(f"/products/{product['id']}"), 404)


def test_a_product_used_on_a_line_item_is_archived_not_deleted(api, product):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [{"product_id": product["id"]}]}), 201)

    body = assert_problem(api.delete(f"/products/{product['id']}"), 409)

    assert "archive" in body["detail"]
    assert ok(api.get(f"/products/{product['id']}")) == product
    assert not Event.objects.filter(type="product.deleted").exists()
    ok(api.post(f"/products/{product['id']}/archive"))
    (line,) = ok(api.get(f"/deals/{deal['id']}"))["line_items"]
    assert line["product_id"] == product["id"]
    assert_problem(api.delete(f"/products/{product['id']}"), 409)


def test_deleting_the_deal_frees_the_product(api, product):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [{"product_id": product["id"]}]}), 201)
    assert api.delete(f"/deals/{deal['id']}").status_code == 204

    assert api.delete(f"/products/{product['id']}").status_code == 204
