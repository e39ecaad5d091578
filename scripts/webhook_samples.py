"""Sample payloads of the public webhook events, for docs/webhooks.md: a scratch SQLite database,
an endpoint for "*", a tour of the API and the test clock; prints the first event of each type.

    python scripts/webhook_samples.py > /tmp/samples.json
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="recurra-samples-") as tmp:
        os.environ.update(
            DATABASE_URL=f"sqlite:///{tmp}/s.sqlite3",
            RECURRA_DATA_DIR=tmp,
            RECURRA_MODE="sandbox",
            RECURRA_LOG_LEVEL="ERROR",
            DJANGO_SETTINGS_MODULE="recurra.settings",
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", verbosity=0)
        from datetime import UTC, datetime

        from recurra.accounts.services import api_key_create
        from recurra.automation.models import PublicEvent
        from recurra.automation.webhooks import sending
        from recurra.core import clock
        from recurra.core.actors import Actor

        sending.use_sender(sending.MemorySender())
        clock.freeze(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
        key = api_key_create(name="samples", role="super_admin", actor=Actor.system()).secret
        client = Client(headers={"Authorization": f"Bearer {key}"})

        def call(method: str, path: str, body: Any = None) -> Any:
            response = getattr(client, method)(
                f"/api/v1{path}",
                data=json.dumps(body) if body is not None else None,
                content_type="application/json",
            )
            if response.status_code >= 400:
                print(f"{method} {path}: {response.status_code} {response.content[:300]!r}", file=sys.stderr)
                return {}
            return response.json() if response.content else {}

        endpoint = call(
            "post", "/webhook-endpoints", {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
        )
        call(
            "post",
            "/workflows",
            {
                "name": "Tell the CRM 3 days before a payment",
                "enabled": True,
                "trigger": {"type": "date", "property": "next_payment_date", "offset_days": -3},
                "actions": [{"type": "webhook", "endpoint_id": endpoint["id"]}],
            },
        )
        item = {"name": "Pro", "unit_amount": 2500, "currency": "USD", "billing_frequency": "monthly"}
        company = call("post", "/companies", {"name": "Acme AS", "domain": "acme.example"})
        call("patch", f"/companies/{company['id']}", {"name": "Acme Norge AS"})
        contact = call(
            "post", "/contacts", {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
        )
        call("patch", f"/contacts/{contact['id']}", {"last_name": "King"})
        method = call("post", f"/contacts/{contact['id']}/payment-methods", {"token": "tok_visa"})
        sub_body = {
            "contact_id": contact["id"],
            "line_items": [item],
            "collection_method": "charge_automatically",
            "payment_method_id": method["id"],
        }
        sub = call("post", "/subscriptions", sub_body)
        fixed = call(
            "post",
            "/subscriptions",
            {**sub_body, "line_items": [{**item, "billing_terms": "fixed", "number_of_payments": 1}]},
        )
        failing = call("post", f"/contacts/{contact['id']}/payment-methods", {"token": "tok_fail_renewals"})
        call("post", "/subscriptions", {**sub_body, "payment_method_id": failing["id"]})
        call(
            "post",
            "/subscriptions",
            {
                "contact_id": contact["id"],
                "line_items": [item],
                "collection_method": "send_invoice",
                "payment_terms": "net_15",
            },
        )
        call(
            "post",
            "/subscriptions",
            {**sub_body, "line_items": [{**item, "billing_start": {"type": "delay_days", "days": 30}}]},
        )
        deal = call(
            "post",
            "/deals",
            {
                "name": "Acme rollout",
                "contact_id": contact["id"],
                "company_id": company["id"],
                "line_items": [item],
            },
        )
        call("patch", f"/deals/{deal['id']}", {"name": "Acme rollout, phase 1"})
        quote = call("post", "/quotes", {"deal_id": deal["id"]})
        call("post", f"/quotes/{quote['id']}/publish")
        call(
            "post",
            f"/quotes/{quote['id']}/accept",
            {"payment_method": {"token": "tok_visa"}, "signed_name": "Ada King"},
        )
        other = call("post", "/deals", {"name": "Scrap", "contact_id": contact["id"]})
        call("delete", f"/deals/{other['id']}")
        link = call("post", "/payment-links", {"name": "Starter", "line_items": [item]})
        call(
            "post",
            f"/payment-links/{link['id']}/checkout",
            {
                "email": "bo@example.com",
                "first_name": "Bo",
                "last_name": "Buyer",
                "payment_method": {"token": "tok_visa"},
            },
        )
        call("post", "/clock/advance", {"to": "2027-03-20T00:00:00Z"})
        payments = call("get", f"/payments?subscription_id={sub['id']}").get("data", [])
        if payments:
            call("post", f"/payments/{payments[0]['id']}/refund", {"amount": 500})
        call("post", f"/subscriptions/{sub['id']}/pause", {"reason": "holiday"})
        call("post", f"/subscriptions/{sub['id']}/resume", {"next_payment_date": "2027-04-15"})
        call("post", f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "now"})
        call("delete", f"/subscriptions/{sub['id']}")
        call("post", "/exports", {"format": "csv"})
        call("post", "/clock/advance", {"to": "2027-03-20T01:00:00Z"})
        throwaway = call("post", "/contacts", {"email": "gone@example.com"})
        call("delete", f"/contacts/{throwaway['id']}")
        spare = call("post", "/companies", {"name": "Spare"})
        call("delete", f"/companies/{spare['id']}")
        del fixed
        samples: dict[str, Any] = {}
        for event in PublicEvent.objects.order_by("id"):
            samples.setdefault(event.type, json.loads(event.body))
        print(json.dumps(samples, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
