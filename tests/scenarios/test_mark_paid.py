"""Marking an invoice paid by another method: a net-30 invoice goes unpaid, then a bank transfer arrives.

2027-01-15 09:30 UTC  subscribed, 40.00 a month, send_invoice, net_30: INV-1 emailed, due Feb 14
Feb 15   INV-1 overdue → Unpaid (and INV-2 emailed, due Mar 17)
Feb 16   staff mark INV-1 paid by bank transfer, reference "BT-0042" → paid; active; one payment made
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.billing.offline import invoice_mark_paid
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.payments.models import Payment
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
STAFF = Actor.system()


def test_a_bank_transfer_marked_paid_settles_the_overdue_invoice(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    contact = scenario.contact("tara@example.com", "Tara", "Transfer")
    sub = scenario.subscribe(
        contact, item(name="Support", amount=4000), collection="send_invoice", payment_terms="net_30"
    )
    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    scenario.advance(date(2027, 2, 15))
    invoice = scenario.invoices(sub)[0]  # INV-1 (INV-2, billed today, is not due yet)
    assert (invoice.status, scenario.fresh(sub).status) == ("open", "past_due")
    scenario.advance(date(2027, 2, 16))

    with pytest.raises(ValidationFailed):
        invoice_mark_paid(invoice=invoice, method="barter", reference="", actor=STAFF, at=clock.now())
    payment = invoice_mark_paid(
        invoice=invoice, method="bank_transfer", reference=" BT-0042 ", actor=STAFF, at=clock.now()
    )

    assert (
        payment.status,
        payment.amount,
        payment.method_type,
        payment.offline_method,
        payment.reference,
    ) == (
        "succeeded",
        4000,
        "offline",
        "bank_transfer",
        "BT-0042",
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", 4000, 0)
    now = scenario.fresh(sub)
    assert (now.status, now.payments_made, now.total_collected) == ("active", 1, 4000)
    assert [e.kind for e in scenario.emails(sub=sub) if e.kind == "receipt"] == ["receipt"]
    assert Event.objects.filter(object_id=invoice.pk, type="invoice.paid").count() == 1
    with pytest.raises(Conflict, match="nothing left to pay"):
        invoice_mark_paid(invoice=invoice, method="cash", reference="", actor=STAFF, at=clock.now())
    assert Payment.objects.filter(invoice=invoice).count() == 1
    scenario.advance(date(2027, 2, 17))  # the receipt goes out; nothing else happens
    scenario.assert_rerun_is_noop()
    scenario.check_invariants()
