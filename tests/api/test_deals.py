"""/deals: line items (product defaults, custom items, exact amounts, terms), amount, currency, search.

Amounts (half up, per line):

    Pro plan 1999 × 3 = 5997, 10% off = 599.7 → 600, net 5397, 25% tax = 1349.25 → 1349, total 6746
    Setup    1005 × 1 = 1005, 50% off = 502.5 → 503, net  502, 12.5% tax = 62.75 → 63,    total  565
    deal amount = 5397 + 502 = 5899 (the nets)
"""

from __future__ import annotations

import pytest

from recurra.catalog.models import MAX_AMOUNT
from recurra.crm.models import Deal, DealLineItem
from tests.api.support import T0_TEXT, assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")

AT_PURCHASE = {"type": "at_purchase", "date": None, "days": None, "months": None}
SETUP = {
    "name": "Setup",
    "unit_amount": 1005,
    "currency": "USD",
    "discount_percent": "50",
    "tax_rate_percent": "12.5",
}


def custom(**values):
    return {"name": "Custom", "unit_amount": 100, "currency": "USD", **values}


def test_line_items_copy_the_product_and_compute_exact_amounts(api, product):
    body = ok(
        api.post(
            "/deals",
            {
                "name": "Acme renewal",
                "line_items": [{"product_id": product["id"], "quantity": 3, "discount_percent": "10"}, SETUP],
            },
        ),
        201,
    )

    pro, setup = body["line_items"]
    assert pro["id"].startswith("li_") and setup["id"].startswith("li_")
    assert pro == {
        "id": pro["id"],
        "product_id": product["id"],
        "name": "Pro plan",
        "description": "",
        "unit_amount": 1999,
        "currency": "USD",
        "quantity": 3,
        "discount_percent": "10",
        "tax_rate_percent": "25",
        "billing_frequency": "monthly",
        "billing_terms": "auto_renew",
        "number_of_payments": None,
        "billing_start": AT_PURCHASE,
        "amount_discount": 600,
        "amount_subtotal": 5397,
        "amount_tax": 1349,
        "amount_total": 6746,
    }
    assert setup == {
        "id": setup["id"],
        "product_id": None,
        "name": "Setup",
        "description": "",
        "unit_amount": 1005,
        "currency": "USD",
        "quantity": 1,
        "discount_percent": "50",
        "tax_rate_percent": "12.5",
        "billing_frequency": "one_time",
        "billing_terms": "auto_renew",
        "number_of_payments": None,
        "billing_start": AT_PURCHASE,
        "amount_discount": 503,
        "amount_subtotal": 502,
        "amount_tax": 63,
        "amount_total": 565,
    }
    assert body == {
        "id": body["id"],
        "name": "Acme renewal",
        "stage": "appointment_scheduled",
        "amount": 5899,
        "currency": "USD",
        "close_date": None,
        "contact_id": None,
        "company_id": None,
        "owner_id": None,
        "line_items": [pro, setup],
        "created_at": T0_TEXT,
        "updated_at": T0_TEXT,
    }
    assert ok(api.get(f"/deals/{body['id']}")) == body


def test_values_given_on_the_line_override_the_products(api, product):
    body = ok(
        api.post(
            "/deals",
            {
                "name": "Deal",
                "line_items": [
                    {
                        "product_id": product["id"],
                        "name": "Pro, annual",
                        "description": "Billed yearly",
                        "unit_amount": 19990,
                        "tax_rate_percent": 0,
                        "billing_frequency": "annually",
                    }
                ],
            },
        ),
        201,
    )

    (line,) = body["line_items"]
    assert {
        k: line[k] for k in ("name", "description", "unit_amount", "tax_rate_percent", "billing_frequency")
    } == {
        "name": "Pro, annual",
        "description": "Billed yearly",
        "unit_amount": 19990,
        "tax_rate_percent": "0",
        "billing_frequency": "annually",
    }
    assert (line["amount_total"], body["amount"]) == (19990, 19990)


def test_line_items_are_a_copy_the_product_can_change_under(api, product):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [{"product_id": product["id"]}]}), 201)

    ok(api.patch(f"/products/{product['id']}", {"unit_amount": 2999, "name": "Pro plan v2"}))

    (line,) = ok(api.get(f"/deals/{deal['id']}"))["line_items"]
    assert (line["name"], line["unit_amount"]) == ("Pro plan", 1999)


def test_currency_and_amount_come_from_the_line_items(api):
    body = ok(
        api.post(
            "/deals", {"name": "Tokyo", "line_items": [custom(unit_amount=1000, currency="JPY", quantity=3)]}
        ),
        201,
    )

    assert (body["currency"], body["amount"]) == ("JPY", 3000)


def test_a_deal_without_line_items_has_its_own_amount_and_currency(api):
    plain = ok(api.post("/deals", {"name": "Plain"}), 201)
    euro = ok(api.post("/deals", {"name": "Euro", "amount": 150000, "currency": "eur"}), 201)

    assert (plain["amount"], plain["currency"], plain["line_items"]) == (0, "USD", [])
    assert (euro["amount"], euro["currency"], euro["line_items"]) == (150000, "EUR", [])


def test_an_amount_that_disagrees_with_the_line_items_is_a_422(api):
    assert_problem(api.post("/deals", {"name": "Deal", "amount": 1, "line_items": [custom()]}), 422, "amount")
    ok(api.post("/deals", {"name": "Deal", "amount": 100, "line_items": [custom()]}), 201)


def test_line_items_in_another_currency_than_the_deal_are_a_422(api, product):
    assert_problem(
        api.post(
            "/deals", {"name": "Deal", "currency": "EUR", "line_items": [{"product_id": product["id"]}]}
        ),
        422,
        "line_items[0].currency",
    )
    assert_problem(
        api.post("/deals", {"name": "Deal", "line_items": [custom(), custom(currency="EUR")]}),
        422,
        "line_items[1].currency",
    )
    assert not Deal.objects.exists()


def test_a_custom_line_item_needs_a_name_a_price_and_a_currency(api):
    assert_problem(
        api.post("/deals", {"name": "Deal", "line_items": [{"quantity": 2}]}),
        422,
        "line_items[0].name",
        "line_items[0].unit_amount",
        "line_items[0].currency",
    )
    assert not Deal.objects.exists()


def test_fixed_terms_need_a_number_of_payments(api):
    recurring = custom(billing_frequency="monthly", billing_terms="fixed")

    assert_problem(
        api.post("/deals", {"name": "Deal", "line_items": [recurring]}),
        422,
        "line_items[0].number_of_payments",
    )
    (line,) = ok(
        api.post("/deals", {"name": "Deal", "line_items": [{**recurring, "number_of_payments": 6}]}), 201
    )["line_items"]
    assert (line["billing_terms"], line["number_of_payments"]) == ("fixed", 6)


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (custom(billing_terms="fixed", number_of_payments=3), "line_items[0].billing_terms"),
        (custom(billing_frequency="monthly", number_of_payments=3), "line_items[0].number_of_payments"),
        (custom(billing_start={"type": "date"}), "line_items[0].billing_start.date"),
        (custom(billing_start={"type": "delay_days"}), "line_items[0].billing_start.days"),
        (custom(billing_start={"type": "delay_months"}), "line_items[0].billing_start.months"),
        (
            custom(billing_frequency="monthly", billing_terms="fixed", number_of_payments=0),
            "line_items[0].number_of_payments",
        ),
        (custom(quantity=0), "line_items[0].quantity"),
        (custom(discount_percent="100.5"), "line_items[0].discount_percent"),
        (custom(tax_rate_percent=12.5), "line_items[0].tax_rate_percent"),
        (custom(unit_amount=-1), "line_items[0].unit_amount"),
        (custom(unit_amount=MAX_AMOUNT, quantity=2), "line_items[0].quantity"),
    ],
)
def test_invalid_line_items_are_a_422_naming_the_field(api, item, field):
    assert_problem(api.post("/deals", {"name": "Deal", "line_items": [item]}), 422, field)
    assert not Deal.objects.exists()


def test_line_items_that_come_to_more_than_the_maximum_are_a_422(api):
    half = custom(unit_amount=MAX_AMOUNT // 2 + 1)

    assert_problem(api.post("/deals", {"name": "Deal", "line_items": [half, half]}), 422, "line_items")


def test_billing_starts_are_kept(api):
    starts = [
        {"type": "date", "date": "2027-03-01"},
        {"type": "delay_days", "days": 30},
        {"type": "delay_months", "months": 2},
    ]
    body = ok(
        api.post(
            "/deals",
            {
                "name": "Deal",
                "line_items": [custom(billing_frequency="monthly", billing_start=s) for s in starts],
            },
        ),
        201,
    )

    assert [line["billing_start"] for line in body["line_items"]] == [
        {"type": "date", "date": "2027-03-01", "days": None, "months": None},
        {"type": "delay_days", "date": None, "days": 30, "months": None},
        {"type": "delay_months", "date": None, "days": None, "months": 2},
    ]


def test_unknown_or_archived_products_are_a_422(api, product):
    ok(api.post(f"/products/{product['id']}/archive"))

    assert_problem(
        api.post(
            "/deals",
            {"name": "Deal", "line_items": [{"product_id": "prod_nope"}, {"product_id": product["id"]}]},
        ),
        422,
        "line_items[0].product_id",
        "line_items[1].product_id",
    )
    assert not Deal.objects.exists()


def test_unknown_contact_or_company_is_a_422(api):
    assert_problem(
        api.post("/deals", {"name": "Deal", "contact_id": "con_nope"}),
        422,
        "contact_id",
    )
    assert_problem(api.post("/deals", {"name": "Deal", "company_id": "com_nope"}), 422, "company_id")
    assert not Deal.objects.exists()


def test_patch_replaces_the_line_items_and_recomputes_the_amount(api, product):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [SETUP]}), 201)

    body = ok(
        api.patch(f"/deals/{deal['id']}", {"line_items": [{"product_id": product["id"], "quantity": 2}]})
    )

    (line,) = body["line_items"]
    assert (line["name"], line["amount_subtotal"], body["amount"]) == ("Pro plan", 3998, 3998)
    assert DealLineItem.objects.count() == 1


def test_patch_without_line_items_keeps_them(api):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [SETUP]}), 201)

    body = ok(
        api.patch(
            f"/deals/{deal['id']}", {"name": "Renamed", "stage": "closed_won", "close_date": "2027-02-01"}
        )
    )

    assert body == {
        **deal,
        "name": "Renamed",
        "stage": "closed_won",
        "close_date": "2027-02-01",
    }


def test_patch_with_no_line_items_removes_them(api):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [SETUP]}), 201)

    body = ok(api.patch(f"/deals/{deal['id']}", {"line_items": []}))

    assert (body["line_items"], body["amount"], body["currency"]) == ([], 0, "USD")
    assert not DealLineItem.objects.exists()


def test_patch_may_not_move_a_deal_off_its_line_items_currency_or_amount(api):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [SETUP]}), 201)

    assert_problem(api.patch(f"/deals/{deal['id']}", {"currency": "EUR"}), 422, "currency")
    assert_problem(api.patch(f"/deals/{deal['id']}", {"amount": 1}), 422, "amount")
    assert ok(api.get(f"/deals/{deal['id']}")) == deal


def test_patch_new_line_items_may_bring_a_new_currency(api):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [SETUP]}), 201)

    body = ok(api.patch(f"/deals/{deal['id']}", {"line_items": [custom(currency="EUR", unit_amount=700)]}))

    assert (body["currency"], body["amount"]) == ("EUR", 700)


@pytest.mark.parametrize("field", ["name", "stage", "currency", "amount", "line_items"])
def test_patch_refuses_null(api, field):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [SETUP]}), 201)

    assert_problem(api.patch(f"/deals/{deal['id']}", {field: None}), 422, field)
    assert ok(api.get(f"/deals/{deal['id']}")) == deal


def test_patch_clears_contact_company_and_close_date_with_null(api, make):
    ada = make("contacts", email="ada@example.com")
    acme = make("companies", name="Acme")
    deal = make("deals", name="Deal", contact_id=ada["id"], company_id=acme["id"], close_date="2027-02-01")

    body = ok(api.patch(f"/deals/{deal['id']}", {"contact_id": None, "company_id": None, "close_date": None}))

    assert (body["contact_id"], body["company_id"], body["close_date"]) == (None, None, None)


def test_delete_removes_the_deal_and_its_line_items(api):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [SETUP, custom()]}), 201)

    response = api.delete(f"/deals/{deal['id']}")

    assert (response.status_code, response.content) == (204, b"")
    assert_problem(api.get(f"/deals/{deal['id']}"), 404)
    assert not DealLineItem.objects.exists()


@pytest.fixture
def deals(make):
    ada = make("contacts", email="ada@acme.test", first_name="Ada", last_name="Lovelace")
    acme = make("companies", name="Acme Corp")
    return {
        "renewal": make("deals", name="Renewal 2027", contact_id=ada["id"], stage="closed_won"),
        "expansion": make("deals", name="Expansion", company_id=acme["id"]),
        "pilot": make("deals", name="Pilot", contact_id=ada["id"], company_id=acme["id"]),
        "ada": ada,
        "acme": acme,
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("renewal", ["renewal"]),
        ("ada@acme", ["pilot", "renewal"]),
        ("lovelace", ["pilot", "renewal"]),
        ("acme corp", ["pilot", "expansion"]),
        ("pilot lovelace", ["pilot"]),
        ("nothing", []),
    ],
)
def test_search_by_name_contact_or_company(api, deals, q, expected):
    found = ok(api.get("/deals", q=q))["data"]

    assert [d["id"] for d in found] == [deals[name]["id"] for name in expected]


def test_filters(api, deals):
    def ids(**params):
        return [d["id"] for d in ok(api.get("/deals", **params))["data"]]

    assert ids(stage="closed_won") == [deals["renewal"]["id"]]
    assert ids(contact_id=deals["ada"]["id"]) == [deals["pilot"]["id"], deals["renewal"]["id"]]
    assert ids(company_id=deals["acme"]["id"], contact_id=deals["ada"]["id"]) == [deals["pilot"]["id"]]
    assert_problem(api.get("/deals", stage="won"), 422, "stage")


def test_a_product_archived_after_it_was_put_on_the_deal_may_stay(api, product):
    deal = ok(api.post("/deals", {"name": "Deal", "line_items": [{"product_id": product["id"]}]}), 201)
    ok(api.post(f"/products/{product['id']}/archive"))

    body = ok(
        api.patch(
            f"/deals/{deal['id']}", {"line_items": [{"product_id": product["id"], "quantity": 2}, SETUP]}
        )
    )

    assert [(line["product_id"], line["quantity"]) for line in body["line_items"]] == [
        (product["id"], 2),
        (None, 1),
    ]
    other = ok(api.post("/deals", {"name": "Other"}), 201)
    assert_problem(
        api.patch(f"/deals/{other['id']}", {"line_items": [{"product_id": product["id"]}]}),
        422,
        "line_items[0].product_id",
    )
