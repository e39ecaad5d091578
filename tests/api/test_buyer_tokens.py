"""No buyer token (``core.redaction``) is kept, logged or shown to a viewer once it has been handed out.

One flow sends every kind of buyer link through a real SMTP server, with every log record captured
at DEBUG:

    a declined renewal             payment_failed email, update link 1
    POST .../payment-method-update-link (Idempotency-Key, replayed)   email + answer, update link 2
    a send_invoice subscription    invoice email, pay link of INV-2
    POST /deals/{id}/convert (Idempotency-Key)     one-time invoice INV-3: email + answer's pay_url
    POST /quotes/{id}/publish (Idempotency-Key)    the answer's quote url
    an email to Kari's list                        list_email, Kari's unsubscribe link (body, header)
    the buyer opens each page, a page below it (Django's 404), and posts without a CSRF token

Then every text column of every table, the captured log records and every answer a viewer key
(or a viewer user's page) can get are scanned for a live token: none. The emails themselves carry
them (the control: the scanner finds each one there).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from recurra.accounts.roles import Role
from recurra.automation.models import WebhookDelivery, WebhookEndpoint, Workflow
from recurra.catalog.models import Product
from recurra.commerce.models import PaymentLink, Quote
from recurra.core.redaction import MARK
from recurra.crm.models import Company, Contact, Deal
from recurra.exports.models import Export
from recurra.insights.models import RecordList
from recurra.invoicing.models import Invoice
from recurra.jobs import runner
from recurra.notifications.bulk import bulk_email_send
from recurra.notifications.models import BulkEmail, EmailMessage
from recurra.payments.models import Payment
from recurra.saved_views.models import SavedView
from recurra.subscriptions.models import Subscription
from recurra.web import urls as web_urls
from recurra.worker.steps import run_due_work
from tests import smtp
from tests.api.support import ok
from tests.buyer_tokens import Scanner, database_texts
from tests.conftest import SYSTEM, T0, ApiClient
from tests.services.test_update_links import past_due_subscription
from tests.web.conftest import make_user

pytestmark = pytest.mark.usefixtures("frozen_clock")
smtp_server = smtp.smtp_server  # the fixture, used by name

MONTHLY = {"name": "Pro plan", "unit_amount": 2500, "currency": "USD", "billing_frequency": "monthly"}
SETUP = {"name": "Setup", "unit_amount": 5000, "currency": "USD", "billing_frequency": "one_time"}
URL_TOKEN = re.compile(r"/(update-payment-method|pay/invoices|q|unsubscribe)/([^/\s\"'<>]+)/")


def tokens_in(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for kind, token in URL_TOKEN.findall(text):
        found.setdefault(kind, set()).add(token)
    return found


def body_of(message: Any) -> str:
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


@pytest.fixture
def sent(smtp_server: smtp.SmtpServer, api_as: Any, caplog: pytest.LogCaptureFixture) -> SimpleNamespace:
    editor = api_as(Role.EDITOR)
    with caplog.at_level(logging.DEBUG):
        failed = past_due_subscription("ada@example.com")  # update link 1, in the payment_failed email
        asked = {"Idempotency-Key": "update-link-1"}
        path = f"/subscriptions/{failed.pk}/payment-method-update-link"
        answered = ok(editor.post(path, headers=asked))
        replayed = editor.post(path, headers=asked)

        kari = ok(editor.post("/contacts", {"email": "kari@example.com", "first_name": "Kari"}), 201)
        sub = {"contact_id": kari["id"], "line_items": [MONTHLY], "collection_method": "send_invoice"}
        ok(editor.post("/subscriptions", {**sub, "payment_terms": "net_30"}), 201)
        run_due_work(at=T0)  # bills INV-2 and sends what is queued so far

        deal = ok(
            editor.post("/deals", {"name": "Setup", "contact_id": kari["id"], "line_items": [SETUP]}), 201
        )
        converted = ok(
            editor.post(f"/deals/{deal['id']}/convert", {}, headers={"Idempotency-Key": "c-1"}), 201
        )
        quoted = ok(
            editor.post("/deals", {"name": "Quote", "contact_id": kari["id"], "line_items": [MONTHLY]}), 201
        )
        quote = ok(editor.post("/quotes", {"deal_id": quoted["id"]}), 201)
        published = ok(editor.post(f"/quotes/{quote['id']}/publish", headers={"Idempotency-Key": "q-1"}))
        bulk_email_send(
            contacts=Contact.objects.filter(pk=kari["id"]),
            subject="Renew, {{ contact.first_name }}",
            body="Renew now.",
            source="list:lst_1",
            actor=SYSTEM,
            at=T0,
        )
        runner.run_due(at=T0)

        handed_out = answered["url"] + converted["invoice"]["pay_url"] + published["url"]
        emailed = "\n".join(body_of(m) for m in smtp_server.messages)
        headers = "\n".join(str(m["List-Unsubscribe"]) for m in smtp_server.messages if m["List-Unsubscribe"])
        urls = [f"/{kind}/{t}/" for kind, ts in tokens_in(emailed + handed_out).items() for t in ts]
        buyer = Client(enforce_csrf_checks=True)
        for url in urls:
            assert buyer.get(url).status_code == 200, url
            assert buyer.get(f"{url}x/").status_code == 404  # logged by Django, path and all
            assert buyer.post(url, {}).status_code == 403  # no CSRF token: refused (and logged)
    return SimpleNamespace(
        emailed=emailed,
        headers=headers,
        handed_out=handed_out,
        replayed=replayed,
        messages=smtp_server.messages,
        records=list(caplog.records),
        log=caplog.text,
        scanner=Scanner(T0),
    )


def test_the_emails_and_first_answers_hand_out_every_kind_of_live_token(sent: SimpleNamespace) -> None:
    emailed, answered = tokens_in(sent.emailed), tokens_in(sent.handed_out)
    assert {kind: len(tokens) for kind, tokens in emailed.items()} == {
        "update-payment-method": 2,
        "pay/invoices": 2,
        "unsubscribe": 1,
    }
    assert tokens_in(sent.headers) == {"unsubscribe": emailed["unsubscribe"]}  # its List-Unsubscribe
    assert {kind: len(tokens) for kind, tokens in answered.items()} == {
        "update-payment-method": 1,
        "pay/invoices": 1,
        "q": 1,
    }
    assert answered["update-payment-method"] <= emailed["update-payment-method"]  # the API's link, emailed
    every = set().union(*emailed.values(), *answered.values())
    assert sent.scanner.live([sent.emailed, sent.handed_out]) == every  # the scanner finds each one
    assert sorted(str(m["To"]) for m in sent.messages) == ["ada@example.com"] * 2 + ["kari@example.com"] * 3


def test_the_database_keeps_no_live_token(sent: SimpleNamespace) -> None:
    hits = [(table, column) for table, column, text in database_texts() if sent.scanner.live([text])]
    assert hits == []
    kept = EmailMessage.objects.filter(kind__in=["payment_failed", "payment_method_update", "invoice"])
    assert sorted(e.status for e in kept) == ["sent"] * 4
    for email in kept:  # the message log shows each link, its token redacted
        key = "update_url" if email.kind != "invoice" else "pay_url"
        assert email.data[key].endswith(f"/{MARK}/")
        assert email.data[key] in email.text_body and email.data[key] in email.html_body
    listed = EmailMessage.objects.get(kind="list_email")
    link = listed.data["unsubscribe_url"]
    assert listed.status == "sent" and link.endswith(f"/unsubscribe/{MARK}/")
    assert link in listed.text_body and link in listed.html_body


def test_no_log_record_holds_a_live_token(sent: SimpleNamespace) -> None:
    texts = [r.getMessage() for r in sent.records] + [r.exc_text or "" for r in sent.records] + [sent.log]
    assert sent.scanner.live(texts) == set()
    assert f"Not Found: /update-payment-method/{MARK}/x/" in sent.log  # Django logged each 404, redacted
    assert f"Not Found: /pay/invoices/{MARK}/x/" in sent.log
    assert f"Not Found: /q/{MARK}/x/" in sent.log
    assert f"Not Found: /unsubscribe/{MARK}/x/" in sent.log


def test_a_replayed_answer_hands_out_no_token(sent: SimpleNamespace) -> None:
    assert sent.replayed["Idempotent-Replayed"] == "true"
    assert sent.replayed.json()["url"].endswith(f"/update-payment-method/{MARK}/")


def _api_gets(client: ApiClient) -> Iterator[tuple[str, Any]]:
    """Every GET of the API, with every id its path takes."""
    rows = {
        "contact_id": Contact,
        "company_id": Company,
        "deal_id": Deal,
        "product_id": Product,
        "view_id": SavedView,
        "export_id": Export,
        "subscription_id": Subscription,
        "invoice_id": Invoice,
        "link_id": PaymentLink,
        "quote_id": Quote,
        "payment_id": Payment,
        "email_id": EmailMessage,
        "endpoint_id": WebhookEndpoint,
        "delivery_id": WebhookDelivery,
        "workflow_id": Workflow,
        "list_id": RecordList,
        "bulk_email_id": BulkEmail,
    }
    document = ok(client.get("/openapi.json"))
    for path, operations in document["paths"].items():
        if "get" not in operations or path.endswith(("/openapi.json", "/docs")):
            continue
        names = re.findall(r"\{(\w+)\}", path)
        if not names:
            yield path, client.get(path)
            continue
        [name] = names
        model = rows.get(name, "unknown")
        assert model != "unknown", f"add the ids {path} takes to this test"
        for pk in model.objects.values_list("pk", flat=True):
            yield path, client.get(path.replace(f"{{{name}}}", pk))


def test_a_viewer_key_gets_no_live_token_from_any_endpoint(sent: SimpleNamespace, api_as: Any) -> None:
    viewer, editor = api_as(Role.VIEWER), api_as(Role.EDITOR)
    seen = set()
    for path, response in _api_gets(viewer):
        # super admins' (issue 19); editors' (issue 20)
        editors = ("/api/v1/webhook-", "/api/v1/workflows", "/api/v1/bulk-emails")
        refused = 403 if path.startswith(editors) else None
        assert response.status_code in (200, 404, refused), (path, response.status_code)
        assert sent.scanner.live([response.content.decode("utf-8", "replace")]) == set(), path
        seen.add(path.removeprefix("/api/v1"))
    assert {
        "/emails/{email_id}",
        "/invoices",
        "/invoices/{invoice_id}",
        "/quotes/{quote_id}",
        "/events",
    } <= seen
    invoice = Invoice.objects.get(number="INV-3")
    assert ok(viewer.get(f"/invoices/{invoice.pk}"))["pay_url"] is None
    assert sent.scanner.live([ok(editor.get(f"/invoices/{invoice.pk}"))["pay_url"]])  # the control
    quote = Quote.objects.get()
    assert ok(viewer.get(f"/quotes/{quote.pk}"))["url"] is None
    assert sent.scanner.live([ok(editor.get(f"/quotes/{quote.pk}"))["url"]])


WEB_ROWS = {
    "contacts": Contact,
    "companies": Company,
    "deals": Deal,
    "payment-links": PaymentLink,
    "subscriptions": Subscription,
    "invoices": Invoice,
    "payments": Payment,
    "emails": EmailMessage,
    "products": Product,
    "exports": Export,
    "views": SavedView,
}


def _viewer_pages() -> Iterator[str]:
    """Every page a viewer may open, with every id its path takes (none: the page alone)."""
    for pattern in web_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if getattr(pattern.callback, "required_role", None) != Role.VIEWER:
            continue
        route = str(pattern.pattern)
        if "<" not in route:
            yield reverse(f"web:{pattern.name}")
            continue
        model = WEB_ROWS.get(route.split("/")[0])
        for pk in model.objects.values_list("pk", flat=True) if model else []:
            yield reverse(f"web:{pattern.name}", kwargs={"pk": pk})


def test_a_viewer_user_sees_no_live_token_on_any_page(sent: SimpleNamespace) -> None:
    viewer, editor = Client(), Client()
    viewer.force_login(make_user(Role.VIEWER))
    editor.force_login(make_user(Role.EDITOR))
    seen = set()
    for url in _viewer_pages():
        response = viewer.get(url)
        assert response.status_code in (200, 302, 404, 405), (url, response.status_code)
        content = b"".join(response) if response.streaming else response.content
        texts = [content.decode("utf-8", "replace"), response.get("Location", "")]
        assert sent.scanner.live(texts) == set(), url
        seen.add(re.sub(r"/[a-z]+_[0-9a-z]+/", "/<pk>/", url))
    assert {"/invoices/<pk>/", "/deals/<pk>/", "/subscriptions/<pk>/", "/emails/<pk>/"} <= seen
    invoice = Invoice.objects.get(number="INV-3")
    page = viewer.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Only editors see the pay link: whoever has it can pay as the buyer." in page
    assert sent.scanner.live([editor.get(f"/invoices/{invoice.pk}/").content.decode()])  # the control
    deal = Quote.objects.get().deal_id
    assert sent.scanner.live([editor.get(f"/deals/{deal}/").content.decode()])
    assert not sent.scanner.live([viewer.get(f"/deals/{deal}/").content.decode()])
