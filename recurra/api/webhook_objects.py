"""Webhook objects as the API shows them: one renderer per public object type, registered with
``automation.webhooks.objects`` when the API app starts (``api/apps.py``). Each renders many
objects at once through the same ``<Resource>Out.of`` and JSON writer as ``GET``, as a super admin
key sees them (buyer links included), so a webhook's ``object`` is exactly ``GET``'s answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from pydantic import BaseModel

from recurra.api.rendering import JSONRenderer
from recurra.api.routers.companies import CompanyOut
from recurra.api.routers.contacts import ContactOut
from recurra.api.routers.deals import DealOut
from recurra.api.routers.exports import ExportOut
from recurra.api.routers.invoices import InvoiceOut
from recurra.api.routers.payment_methods import PaymentMethodOut
from recurra.api.routers.payments import PaymentOut
from recurra.api.routers.quotes import QuoteOut
from recurra.api.routers.subscriptions import SubscriptionOut
from recurra.automation.webhooks.objects import register_renderer
from recurra.commerce.models import Purchase, Quote
from recurra.crm.models import Company, Contact, Deal
from recurra.exports.models import Export
from recurra.invoicing.selectors import invoice_list
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.selectors import with_associations


def as_json(out: BaseModel) -> dict[str, Any]:
    """The object as ``GET`` writes it (the API's JSON writer), read back."""
    return orjson.loads(JSONRenderer.dumps(out.model_dump()))  # type: ignore[no-any-return]


def _each(rows: Iterable[Any], of: Callable[[Any], BaseModel]) -> dict[str, dict[str, Any]]:
    return {row.pk: as_json(of(row)) for row in rows}


def subscriptions(ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    return _each(with_associations(Subscription.objects.filter(pk__in=ids).order_by()), SubscriptionOut.of)


def invoices(ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    return _each(invoice_list().filter(pk__in=ids), InvoiceOut.of)


def checkouts(ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A completed checkout (no ``GET`` of its own): what ``POST /payment-links/{id}/checkout`` names."""
    found = {}
    for purchase in Purchase.objects.filter(pk__in=ids).select_related("payment"):
        found[purchase.pk] = {
            "id": purchase.pk,
            "status": purchase.status,
            "payment_link_id": purchase.payment_link_id,
            "quote_id": purchase.quote_id,
            "contact_id": purchase.contact_id,
            "invoice_id": purchase.invoice_id,
            "payment": as_json(PaymentOut.of(purchase.payment)) if purchase.payment else None,
            "amount": purchase.amount,
            "currency": purchase.currency,
            "completed_at": as_json_value(purchase.completed_at),
        }
    return found


def as_json_value(value: Any) -> Any:
    return orjson.loads(JSONRenderer.dumps(value))


def _simple(model: Any, out: Any) -> Callable[[Sequence[str]], dict[str, dict[str, Any]]]:
    return lambda ids: _each(model.objects.filter(pk__in=ids).order_by(), out.of)


def register() -> None:
    register_renderer("subscription", subscriptions)
    register_renderer("invoice", invoices)
    register_renderer(
        "payment",
        lambda ids: _each(
            Payment.objects.filter(pk__in=ids).select_related("invoice").prefetch_related("invoice__lines"),
            PaymentOut.of,
        ),
    )
    register_renderer("payment_method", _simple(PaymentMethod, PaymentMethodOut))
    register_renderer("contact", _simple(Contact, ContactOut))
    register_renderer("company", _simple(Company, CompanyOut))
    register_renderer("deal", _simple(Deal, DealOut))
    register_renderer(
        "quote",
        lambda ids: _each(Quote.objects.filter(pk__in=ids).prefetch_related("line_items"), QuoteOut.of),
    )
    register_renderer("checkout", checkouts)
    register_renderer("export", _simple(Export, ExportOut))
