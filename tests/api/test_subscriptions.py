"""/subscriptions: create (shape, defaults, refusals, roles), read one, list with filters, sorts and pages.

Amounts: Pro plan 1999 × 2 = 3998, 25% tax = 999.5 → 1000, total 4998; monthly MRR 3998 (the net).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.api.test_pagination import walk

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")

NO_ADDRESS = {"line1": "", "line2": "", "city": "", "state": "", "postal_code": "", "country": ""}


def monthly(**values):
    return {
        "name": "Pro plan",
        "unit_amount": 1999,
        "currency": "USD",
        "billing_frequency": "monthly",
        **values,
    }


def starting(day: str, **values):
    return monthly(billing_start={"type": "date", "date": day}, **values)


@pytest.fixture
def contact(make):
    company = make("companies", name="Acme")
    return make(
        "contacts", email="ada@example.com", first_name="Ada", last_name="Lovelace", company_id=company["id"]
    )


@pytest.fixture
def card(contact):
    return PaymentMethod.objects.create(
        contact_id=contact["id"],
        gateway="sandbox",
        gateway_method_id="gw_1",
        type="card",
        brand="Visa",
        last4="4242",
    )


@pytest.fixture
def subscribe(api, contact):
    """POST a send-invoice subscription for ``contact`` (overrides as keywords); returns its JSON."""

    def create(line_items=None, **values):
        body = {
            "contact_id": contact["id"],
            "line_items": line_items or [monthly()],
            "collection_method": "send_invoice",
            "payment_terms": "net_30",
            **values,
        }
        return ok(api.post("/subscriptions", body), 201)

    return create


def test_create_returns_the_whole_subscription(api, contact, card, product):
    body = ok(
        api.post(
            "/subscriptions",
            {
                "contact_id": contact["id"],
                "line_items": [{"product_id": product["id"], "quantity": 2}],
                "collection_method": "charge_automatically",
                "payment_method_id": card.pk,
            },
        ),
        201,
    )

    assert body["id"].startswith("sub_")
    [line] = body["line_items"]
    assert line["id"].startswith("li_")
    made = body.pop("subscriptions")
    assert made == [body]  # one group: one subscription, the one answered
    assert body == {
        "id": body["id"],
        "name": "Pro plan",
        "status": "active",
        "status_label": "Active",
        "contact_id": contact["id"],
        "company_id": contact["company_id"],
        "owner_id": None,
        "currency": "USD",
        "billing_frequency": "monthly",
        "billing_terms": "auto_renew",
        "number_of_payments": None,
        "payments_made": 0,
        "start_date": "2027-01-15",
        "next_payment_date": "2027-01-15",
        "end_date": None,
        "next_payment_amount": 4998,
        "last_payment_amount": None,
        "total_collected": 0,
        "mrr": 3998,
        "collection_method": "charge_automatically",
        "payment_terms": "due_on_receipt",
        "payment_method_id": card.pk,
        "accept_online_payment": True,
        "allowed_payment_methods": ["card", "ach"],
        "billing_address": NO_ADDRESS,
        "invoice_settings": {"comments": "", "footer": "", "po_number": "", "tax_id": "", "language": "en"},
        "line_items": [
            {
                "id": line["id"],
                "product_id": product["id"],
                "name": "Pro plan",
                "description": "",
                "unit_amount": 1999,
                "currency": "USD",
                "quantity": 2,
                "discount_percent": "0",
                "tax_rate_percent": "25",
                "billing_frequency": "monthly",
                "billing_terms": "auto_renew",
                "number_of_payments": None,
                "billing_start": {"type": "at_purchase", "date": None, "days": None, "months": None},
                "amount_discount": 0,
                "amount_subtotal": 3998,
                "amount_tax": 1000,
                "amount_total": 4998,
            }
        ],
        "associations": {"deals": [], "quotes": [], "invoices": [], "payments": [], "payment_links": []},
        "cancel_at_period_end": False,
        "canceled_at": None,
        "paused_at": None,
        "pause_reason": "",
        "resume_on": None,
        "created_at": T0_TEXT,
        "updated_at": T0_TEXT,
    }
    assert ok(api.get(f"/subscriptions/{body['id']}")) == body
    assert [e.type for e in Event.objects.filter(object_id=body["id"])] == ["subscription.created"]


def test_a_fixed_term_from_a_later_date_is_scheduled_with_its_end(subscribe, make, contact):
    deal = make("deals", name="Acme deal", contact_id=contact["id"])
    other = make("companies", name="Globex")
    fixed = {"billing_terms": "fixed", "number_of_payments": 6}
    body = subscribe(
        [starting("2027-03-01", **fixed), starting("2027-03-01", name="Seats", unit_amount=500, **fixed)],
        name="Acme team",
        company_id=other["id"],
        deal_id=deal["id"],
        billing_address={"line1": "1 Main St", "city": "Springfield", "country": "us"},
        payment_terms="net_45",
        accept_online_payment=False,
        allowed_payment_methods=["ach"],
        invoice_settings={"comments": "Thanks", "po_number": "PO-1", "language": "nb"},
    )

    assert (body["status"], body["status_label"], body["name"]) == ("scheduled", "Scheduled", "Acme team")
    assert (body["start_date"], body["next_payment_date"], body["end_date"]) == (
        "2027-03-01",
        "2027-03-01",
        "2027-09-01",
    )
    assert (body["billing_terms"], body["number_of_payments"]) == ("fixed", 6)
    assert (body["next_payment_amount"], body["mrr"]) == (2499, 0)  # no MRR before it starts
    assert (body["company_id"], body["associations"]["deals"]) == (other["id"], [deal["id"]])
    assert (body["collection_method"], body["payment_terms"], body["payment_method_id"]) == (
        "send_invoice",
        "net_45",
        None,
    )
    assert (body["accept_online_payment"], body["allowed_payment_methods"]) == (False, ["ach"])
    assert body["billing_address"] == {
        **NO_ADDRESS,
        "line1": "1 Main St",
        "city": "Springfield",
        "country": "US",
    }
    assert body["invoice_settings"] == {
        "comments": "Thanks",
        "footer": "",
        "po_number": "PO-1",
        "tax_id": "",
        "language": "nb",
    }
    assert [li["name"] for li in body["line_items"]] == ["Pro plan", "Seats"]


def test_items_that_differ_make_one_subscription_each(api, contact):
    body = ok(
        api.post(
            "/subscriptions",
            {
                "contact_id": contact["id"],
                "line_items": [
                    monthly(),
                    monthly(name="Support", unit_amount=12000, billing_frequency="annually"),
                    monthly(name="Seats", unit_amount=500, quantity=3),
                ],
                "collection_method": "send_invoice",
                "payment_terms": "net_30",
            },
        ),
        201,
    )

    first, second = body["subscriptions"]
    assert {k: v for k, v in body.items() if k != "subscriptions"} == first  # the answer is the first
    shown = [
        (s["name"], s["billing_frequency"], [li["name"] for li in s["line_items"]], s["next_payment_amount"])
        for s in (first, second)
    ]
    assert shown == [
        ("Pro plan + 1 more", "monthly", ["Pro plan", "Seats"], 3499),
        ("Support", "annually", ["Support"], 12000),
    ]
    stored = Subscription.objects.order_by("id").values_list("pk", flat=True)
    assert list(stored) == [first["id"], second["id"]]
    assert ok(api.get(f"/subscriptions/{second['id']}"))["mrr"] == 1000


def test_a_refusal_in_one_group_makes_no_subscription_and_names_the_item_by_its_place(api, contact):
    response = api.post(
        "/subscriptions",
        {
            "contact_id": contact["id"],
            "line_items": [
                monthly(),
                monthly(billing_frequency="annually"),
                starting("2027-01-01", billing_frequency="annually"),
            ],
            "collection_method": "send_invoice",
            "payment_terms": "net_30",
        },
    )
    body = assert_problem(response, 422, "line_items[2].billing_start.date")
    assert body["errors"][0]["message"] == "must be today (2027-01-15) or later in the account's time zone"
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"contact_id": "con_nope"}, ["contact_id"]),
        ({"company_id": "com_nope"}, ["company_id"]),
        ({"deal_id": "deal_nope"}, ["deal_id"]),
        ({"payment_method_id": "pm_nope"}, ["payment_method_id"]),
        ({"collection_method": "charge_automatically", "payment_terms": None}, ["payment_method_id"]),
        ({"payment_terms": None}, ["payment_terms"]),
        ({"payment_terms": "net_7"}, ["payment_terms"]),
        ({"collection_method": "barter"}, ["collection_method"]),
        ({"allowed_payment_methods": ["cash"]}, ["allowed_payment_methods[0]"]),
        ({"line_items": [monthly(billing_frequency="one_time")]}, ["line_items[0].billing_frequency"]),
        ({"line_items": []}, ["line_items"]),
        ({"invoice_settings": {"language": "de"}}, ["invoice_settings.language"]),
        ({"accept_online_payment": "yes"}, ["accept_online_payment"]),
        ({"surprise": 1}, ["surprise"]),
    ],
)
def test_bad_input_is_a_422_on_its_field(api, contact, changes, fields):
    body = {
        "contact_id": contact["id"],
        "line_items": [monthly()],
        "collection_method": "send_invoice",
        "payment_terms": "net_30",
    }
    body.update(changes)
    assert_problem(api.post("/subscriptions", {k: v for k, v in body.items() if v is not None}), 422, *fields)
    assert Subscription.objects.count() == 0


def test_another_contacts_payment_method_is_refused(api, contact, card):
    other = Contact.objects.create(email="bob@example.com")
    body = {
        "contact_id": other.pk,
        "line_items": [monthly()],
        "collection_method": "charge_automatically",
        "payment_method_id": card.pk,
    }
    problem = assert_problem(api.post("/subscriptions", body), 422, "payment_method_id")
    assert problem["errors"][0]["message"] == f"payment method {card.pk} belongs to another contact"


def test_roles_viewer_reads_editor_creates(api_as, contact, subscribe):
    made = subscribe()
    body = {
        "contact_id": contact["id"],
        "line_items": [monthly()],
        "collection_method": "send_invoice",
        "payment_terms": "net_30",
    }

    viewer, editor = api_as("viewer"), api_as("editor")
    assert_problem(viewer.post("/subscriptions", body), 403)
    assert Subscription.objects.count() == 1
    assert ok(viewer.get(f"/subscriptions/{made['id']}"))["id"] == made["id"]
    assert [s["id"] for s in ok(viewer.get("/subscriptions"))["data"]] == [made["id"]]
    assert ok(editor.post("/subscriptions", body), 201)["status"] == "active"
    assert_problem(api_as(None).get("/subscriptions"), 401)


def test_an_unknown_subscription_is_a_404(api):
    assert_problem(api.get("/subscriptions/sub_nope"), 404)


def test_associations_list_invoices_and_payments_newest_first(api, subscribe, contact):
    sub = subscribe()
    invoices = [
        Invoice.objects.create(
            subscription_id=sub["id"],
            contact_id=contact["id"],
            currency="USD",
            subtotal=1999,
            total=1999,
            amount_due=1999,
            collection_method="send_invoice",
            payment_terms="net_30",
            issued_on=date(2027, 1, 15),
            due_on=date(2027, 2, 14),
            period_start=date(2027, 1, 15 + n),
        )
        for n in range(2)
    ]
    payment = Payment.objects.create(
        invoice=invoices[0],
        subscription_id=sub["id"],
        contact_id=contact["id"],
        amount=1999,
        currency="USD",
        method_type="card",
        gateway="sandbox",
        idempotency_key="k1",
    )

    associations = ok(api.get(f"/subscriptions/{sub['id']}"))["associations"]
    assert associations == {
        "deals": [],
        "quotes": [],
        "invoices": [invoices[1].pk, invoices[0].pk],
        "payments": [payment.pk],
        "payment_links": [],
    }


def test_past_due_shows_as_unpaid(api, subscribe):
    sub = subscribe()
    Subscription.objects.filter(pk=sub["id"]).update(status="past_due")
    body = ok(api.get(f"/subscriptions/{sub['id']}"))
    assert (body["status"], body["status_label"]) == ("past_due", "Unpaid")


@pytest.fixture
def several(subscribe, make):
    """Five subscriptions, made in this order (names, next payment dates, statuses):

    a  Delta    2027-03-01  scheduled  (of Bob)
    b  alpha    2027-01-15  past_due
    c  Charlie  2027-02-01  scheduled
    d  Bravo    none        canceled
    e  Echo     2027-02-01  scheduled
    """
    bob = make("contacts", email="bob@builder.example", first_name="Bob", last_name="Builder")
    rows = {
        "a": subscribe([starting("2027-03-01")], name="Delta", contact_id=bob["id"]),
        "b": subscribe(name="alpha"),
        "c": subscribe([starting("2027-02-01")], name="Charlie"),
        "d": subscribe(name="Bravo"),
        "e": subscribe([starting("2027-02-01")], name="Echo"),
    }
    Subscription.objects.filter(pk=rows["b"]["id"]).update(status="past_due")
    Subscription.objects.filter(pk=rows["d"]["id"]).update(status="canceled", next_payment_date=None)
    return {key: row["id"] for key, row in rows.items()}


def listed(api, **params):
    return [row["id"] for row in ok(api.get("/subscriptions", **params))["data"]]


def test_filters(api, several, contact):
    s = several
    assert listed(api) == [s["e"], s["d"], s["c"], s["b"], s["a"]]
    assert listed(api, status="scheduled") == [s["e"], s["c"], s["a"]]
    assert listed(api, status="past_due,canceled") == [s["d"], s["b"]]
    assert listed(api, status=["past_due", "canceled"]) == [s["d"], s["b"]]
    assert listed(api, next_payment_date_gte="2027-02-01") == [s["e"], s["c"], s["a"]]
    assert listed(api, next_payment_date_lte="2027-02-01") == [s["e"], s["c"], s["b"]]
    assert listed(api, next_payment_date_gte="2027-01-16", next_payment_date_lte="2027-02-28") == [
        s["e"],
        s["c"],
    ]
    assert listed(api, contact_id=contact["id"]) == [s["e"], s["d"], s["c"], s["b"]]
    assert listed(api, company_id=contact["company_id"]) == [s["e"], s["d"], s["c"], s["b"]]
    assert listed(api, q="bob") == [s["a"]]
    assert listed(api, q="BUILDER.example") == [s["a"]]
    assert listed(api, q="lovelace ALPHA") == [s["b"]]
    assert listed(api, q="nobody") == []


def test_bad_filters_are_422s(api, several):
    assert_problem(api.get("/subscriptions", status="unpaid"), 422, "status")
    assert_problem(api.get("/subscriptions", sort="shoe_size"), 422, "sort")
    assert_problem(api.get("/subscriptions", sort="--mrr"), 422, "sort")
    assert_problem(api.get("/subscriptions", sort="line_items"), 422, "sort")
    assert_problem(api.get("/subscriptions", next_payment_date_gte="soon"), 422, "next_payment_date_gte")


@pytest.mark.parametrize("limit", [1, 2, 50])
def test_any_property_sorts_both_ways_with_missing_values_last(api, several, limit):
    s = several  # Bob's subscription (a) has no company; the others share one
    by = {
        sort: [r["id"] for r in walk(api, "/subscriptions", limit, sort=sort)[1]]
        for sort in ("company", "-company", "name", "-status")
    }
    assert by["company"] == [s["b"], s["c"], s["d"], s["e"], s["a"]]
    assert by["-company"] == [s["e"], s["d"], s["c"], s["b"], s["a"]]
    assert set(by["name"]) == set(s.values())
    assert [s_id for s_id in by["-status"][:3]] == [
        s["e"],
        s["c"],
        s["a"],
    ]  # "scheduled" sorts last of the five


SORTED = {
    "-created_at": "edcba",
    "created_at": "abcde",
    "next_payment_date": "bcead",  # ties by id; no date last
    "-next_payment_date": "aecbd",  # no date last here too
}


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "next_payment_date", "-next_payment_date"])
@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_every_sort_pages_through_every_row_once(api, several, sort, limit):
    _, rows = walk(api, "/subscriptions", limit, sort=sort)
    assert [r["id"] for r in rows] == [several[key] for key in SORTED[sort]]


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_sorting_by_name_pages_in_the_databases_order(api, several, limit):
    expected = list(Subscription.objects.order_by("name", "id").values_list("id", flat=True))
    _, rows = walk(api, "/subscriptions", limit, sort="name")
    assert [r["id"] for r in rows] == expected
    assert {r["name"] for r in rows} == {"alpha", "Bravo", "Charlie", "Delta", "Echo"}


def test_filters_and_sort_combine_across_pages(api, several):
    _, rows = walk(api, "/subscriptions", 1, sort="next_payment_date", status="scheduled,canceled")
    assert [r["id"] for r in rows] == [several[k] for k in "cead"]


def test_the_list_costs_the_same_queries_for_one_row_or_many(api, subscribe):
    subscribe([monthly(), monthly(name="Seats")])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            ok(api.get("/subscriptions"))
        return len(captured)

    one = queries()
    for _ in range(4):
        subscribe([monthly(), monthly(name="Seats")])
    assert queries() == one
