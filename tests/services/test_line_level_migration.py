"""Existing data moves into the line-level model (invoicing 0008): lines learn their subscription, a
purchase of one subscription names it, and refunds already made count against the money figures.

Before: a renewal invoice of "Solo" (its line names no subscription), a purchase invoice with lines of
"Duo A" and "Duo B" (by their line items) and a one-time line, and a purchase of "Uno" alone; Solo's
payment of 31.00 was refunded 10.00 by staff.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [
    ("invoicing", "0006_invoice_shipping_address"),
    ("payments", "0007_payment_origin_online_checkout"),
    ("subscriptions", "0008_index_keyset_indexes"),
]
AFTER = [("invoicing", "0008_backfill_line_subscriptions")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def latest_schema_afterwards() -> Any:
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_lines_invoices_payments_and_refunds_move_into_the_line_level_model() -> None:
    old = _migrate(BEFORE)
    Contact = old.get_model("crm", "Contact")
    Subscription = old.get_model("subscriptions", "Subscription")
    Item = old.get_model("subscriptions", "SubscriptionLineItem")
    Invoice = old.get_model("invoicing", "Invoice")
    Line = old.get_model("invoicing", "InvoiceLine")
    Payment = old.get_model("payments", "Payment")
    Refund = old.get_model("payments", "Refund")
    ada = Contact.objects.create(id="con_1", email="ada@example.com")

    def sub(pk: str, collected: int) -> Any:
        return Subscription.objects.create(
            id=pk, name=pk, status="active", contact=ada, currency="USD", billing_frequency="monthly",
            billing_terms="auto_renew", start_date=date(2027, 1, 1), collection_method="charge_automatically",
            total_collected=collected, mrr=3100,
        )  # fmt: skip

    def invoice(pk: str, owner: Any, total: int) -> Any:
        return Invoice.objects.create(
            id=pk, subscription=owner, contact=ada, currency="USD", subtotal=total, total=total,
            amount_paid=total, amount_due=0, status="paid", collection_method="charge_automatically",
            payment_terms="due_on_receipt", issued_on=date(2027, 1, 1), due_on=date(2027, 1, 1),
        )  # fmt: skip

    def line(pk: str, inv: Any, amount: int, item: str = "") -> None:
        Line.objects.create(
            id=pk, invoice=inv, line_item_id=item, name=pk, quantity=1, unit_amount=amount,
            discount_percent=0, tax_rate_percent=0, amount_discount=0, amount_subtotal=amount, amount_tax=0,
            amount_total=amount, period_start=date(2027, 1, 1) if item or inv.subscription_id else None,
            period_end=date(2027, 2, 1) if item or inv.subscription_id else None,
        )  # fmt: skip

    def payment(pk: str, inv: Any, refunded: int = 0) -> Any:
        return Payment.objects.create(
            id=pk, invoice=inv, subscription_id=inv.subscription_id, contact=ada, amount=inv.total,
            amount_refunded=refunded, currency="USD", method_type="card", gateway="sandbox",
            idempotency_key=pk, status="partially_refunded" if refunded else "succeeded",
        )  # fmt: skip

    solo, duo_a, duo_b, uno = (
        sub("sub_solo", 3100),
        sub("sub_a", 1000),
        sub("sub_b", 2000),
        sub("sub_uno", 500),
    )
    for owner in (duo_a, duo_b, uno):
        Item.objects.create(id=f"li_{owner.pk}", subscription=owner, name="x", unit_amount=1, currency="USD")
    renewal = invoice("in_renewal", solo, 3100)
    line("il_renewal", renewal, 3100)
    bundle = invoice("in_bundle", None, 3500)
    line("il_a", bundle, 1000, "li_sub_a")
    line("il_b", bundle, 2000, "li_sub_b")
    line("il_setup", bundle, 500)
    single = invoice("in_single", None, 500)
    line("il_uno", single, 500, "li_sub_uno")
    paid = payment("pay_renewal", renewal, refunded=1000)
    Refund.objects.create(id="re_1", payment=paid, amount=1000, status="succeeded", idempotency_key="re_1")
    payment("pay_bundle", bundle)
    payment("pay_single", single)

    new = _migrate(AFTER)
    Line, Invoice = new.get_model("invoicing", "InvoiceLine"), new.get_model("invoicing", "Invoice")
    Payment, Refund = new.get_model("payments", "Payment"), new.get_model("payments", "Refund")
    Subscription = new.get_model("subscriptions", "Subscription")

    owners = dict(Line.objects.values_list("pk", "subscription_id"))
    assert owners == {
        "il_renewal": "sub_solo",
        "il_a": "sub_a",
        "il_b": "sub_b",
        "il_setup": None,
        "il_uno": "sub_uno",
    }
    invoices = dict(Invoice.objects.values_list("pk", "subscription_id"))
    assert invoices == {"in_renewal": "sub_solo", "in_bundle": None, "in_single": "sub_uno"}
    payments = dict(Payment.objects.values_list("pk", "subscription_id"))
    assert payments == {"pay_renewal": "sub_solo", "pay_bundle": None, "pay_single": "sub_uno"}
    assert Refund.objects.get().subscription_id == "sub_solo"
    assert Invoice.objects.get(pk="in_renewal").amount_refunded == 1000
    collected = dict(Subscription.objects.values_list("pk", "total_collected"))
    assert collected == {"sub_solo": 2100, "sub_a": 1000, "sub_b": 2000, "sub_uno": 500}
    assert dict(Subscription.objects.values_list("pk", "line_items_mrr"))["sub_solo"] == 3100
