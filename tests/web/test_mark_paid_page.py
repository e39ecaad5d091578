"""The invoice page's Mark paid action: editors only, a flash message, the invoice paid."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.invoicing.models import Invoice
from tests.web.html import messages as shown_messages
from tests.web.test_subscription_pages import make_invoice, make_subscription


@pytest.fixture
def invoice(records: Any) -> Invoice:
    sub = make_subscription(
        records.contact, collection_method="send_invoice", payment_terms="net_30", periods_billed=2
    )  # period 0 paid, period 1 invoiced and open
    return make_invoice(sub, number="INV-9", index=1, status="open", amount_paid=0, amount_due=9800)


def test_an_editor_marks_an_open_invoice_paid(editor: Client, invoice: Invoice) -> None:
    page = editor.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f'action="/invoices/{invoice.pk}/mark-paid/"' in page

    done = editor.post(
        f"/invoices/{invoice.pk}/mark-paid/", {"method": "cash", "reference": "R1"}, follow=True
    )

    assert [unescape(m) for m in shown_messages(done)] == ["Invoice INV-9 marked paid."]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("paid", 0)
    assert f'action="/invoices/{invoice.pk}/mark-paid/"' not in done.content.decode()


def test_a_viewer_sees_no_action_and_cannot_post_one(viewer: Client, invoice: Invoice) -> None:
    assert "/mark-paid/" not in viewer.get(f"/invoices/{invoice.pk}/").content.decode()
    assert viewer.post(f"/invoices/{invoice.pk}/mark-paid/", {"method": "cash"}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == "open"
