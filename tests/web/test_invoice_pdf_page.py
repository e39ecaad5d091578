"""The invoice page's Download PDF link: signed-in viewers get the same PDF as the API."""

from __future__ import annotations

from typing import Any

from django.test import Client

from recurra.invoicing.pdf import invoice_pdf
from tests.services.test_invoice_pdf import make_invoice


def test_a_viewer_downloads_the_pdf_from_the_invoice_page(viewer: Client, frozen_clock: Any) -> None:
    invoice = make_invoice()
    page = viewer.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f'href="/invoices/{invoice.pk}/pdf/"' in page

    response = viewer.get(f"/invoices/{invoice.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="INV-42.pdf"'
    assert response.content == invoice_pdf(invoice)


def test_signed_out_visitors_are_sent_to_sign_in_and_unknown_invoices_are_404(
    viewer: Client, frozen_clock: Any
) -> None:
    invoice = make_invoice()
    assert Client().get(f"/invoices/{invoice.pk}/pdf/").status_code == 302
    assert viewer.get("/invoices/in_missing/pdf/").status_code == 404
