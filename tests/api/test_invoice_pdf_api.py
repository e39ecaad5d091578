"""GET /invoices/{id}/pdf: the invoice as an inline PDF named by its number; viewers may read it."""

from __future__ import annotations

import pytest

from recurra.invoicing.models import Invoice
from tests.api.support import assert_problem
from tests.services.test_invoice_pdf import make_invoice, pdf_texts

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_a_viewer_gets_the_pdf_inline_named_by_number(api_as):
    invoice = make_invoice()

    response = api_as("viewer").get(f"/invoices/{invoice.pk}/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="INV-42.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert "Faktura INV-42" in pdf_texts(response.content)


def test_a_draft_is_named_by_its_id(api):
    invoice = make_invoice(number=None, status="draft")
    response = api.get(f"/invoices/{invoice.pk}/pdf")
    assert response["Content-Disposition"] == f'inline; filename="{invoice.pk}.pdf"'


def test_an_unknown_invoice_is_404_and_no_key_is_401(api, api_as):
    assert_problem(api.get("/invoices/in_missing/pdf"), 404)
    invoice = make_invoice()
    assert_problem(api_as(None).get(f"/invoices/{invoice.pk}/pdf"), 401)
    assert Invoice.objects.count() == 1


def test_the_document_declares_the_pdf(client):
    op = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/invoices/{invoice_id}/pdf"]["get"]
    pdf = {"schema": {"type": "string", "format": "binary"}}
    assert op["responses"]["200"]["content"] == {"application/pdf": pdf}
    assert {"401", "403", "404", "422"} <= set(op["responses"])
