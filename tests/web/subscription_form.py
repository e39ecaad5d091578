"""The Create subscription form as a test posts it: a blank page's fields, then line item rows."""

from __future__ import annotations

from typing import Any

URL = "/subscriptions/new/"
ROW = {"quantity": "1", "billing_terms": "auto_renew"}
INGRID = {"line1": "Strandkaien 3", "city": "Bergen", "postal_code": "5013", "country": "NO"}


def form_data(contact: Any, items: list[dict[str, str]], **fields: Any) -> dict[str, Any]:
    """The POST body: the subscription's fields (as a blank page has them), then each line item row."""
    data = {
        "contact": contact.pk,
        "company": "",
        "name": "",
        "currency": "USD",
        "billing_start_type": "at_purchase",
        "collection_method": "send_invoice",
        "payment_method": "",
        "payment_terms": "net_30",
        "accept_online_payment": "on",
        "allowed_payment_methods": ["card", "ach"],
        "save_payment_method": "on",
        **fields,
    }
    data |= {"items-TOTAL_FORMS": str(len(items)), "items-INITIAL_FORMS": "0"}
    for index, item in enumerate(items):
        data |= {f"items-{index}-{name}": value for name, value in {**ROW, **item}.items()}
    return data


def confirmed(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "confirmed": "1"}
