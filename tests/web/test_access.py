"""Who may see and do what: sign-in everywhere, roles on the server, POST-only changes, the shell."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from recurra.accounts.models import ApiKey, User
from recurra.accounts.roles import Role
from recurra.accounts.services import api_key_create
from recurra.automation.models import Workflow
from recurra.automation.webhooks.services import endpoint_create, endpoint_ping
from recurra.automation.workflows.services import workflow_create
from recurra.catalog.line_items import stored_input
from recurra.catalog.models import Product
from recurra.commerce.links import checkout_url, quote_url
from recurra.commerce.payment_links import payment_link_create
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.core.models import Event
from recurra.crm.models import Company, Contact, Deal
from recurra.exports.models import Export
from recurra.exports.services import Source, export_create
from recurra.insights.lists.services import list_create, list_members_add
from recurra.insights.models import ListMember, RecordList
from recurra.invoicing.links import pay_token
from recurra.notifications.bulk import bulk_email_send
from recurra.notifications.models import EmailMessage
from recurra.notifications.unsubscribe import unsubscribe_token
from recurra.saved_views.defaults import DEFAULT_VIEWS
from recurra.saved_views.models import SavedView
from recurra.saved_views.services import saved_view_create
from recurra.saved_views.spec import DEFAULT_SORT, Filters
from recurra.subscriptions.properties import DEFAULT_COLUMNS
from recurra.web import urls as web_urls
from tests.conftest import SYSTEM
from tests.web.conftest import PASSWORD, make_user
from tests.web.test_subscription_pages import make_invoice, make_payment, make_subscription

PUBLIC = {
    *("login", "logout", "public_invoice", "update_payment_method", "checkout", "public_quote"),
    "stripe_webhook",  # Stripe's events: each delivery's signature is checked instead
    "unsubscribe",  # a contact's unsubscribe page: its signed token is the proof
    # each buyer page's SetupIntent for Stripe.js, under the page's own token
    *("invoice_setup_intent", "update_link_setup_intent", "checkout_setup_intent", "quote_setup_intent"),
}
PATTERNS: list[URLPattern] = [p for p in web_urls.urlpatterns if isinstance(p, URLPattern)]


def _url(pattern: URLPattern, ids: dict[str, Any]) -> str:
    """The pattern's URL with the id of the record its path is about (``x`` when any id will do)."""
    if "<" not in str(pattern.pattern):
        return reverse(f"web:{pattern.name}")
    if "<str:token>" in str(pattern.pattern):
        token = ids.get(f"token:{pattern.name}", ids.get("token", "x"))  # each page's own kind of token
        return reverse(f"web:{pattern.name}", kwargs={"token": token})
    section = str(pattern.pattern).split("/")[0 if not str(pattern.pattern).startswith("settings") else 1]
    return reverse(f"web:{pattern.name}", kwargs={"pk": ids.get(section, "x")})


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", [p for p in PATTERNS if p.name not in PUBLIC], ids=lambda p: p.name)
def test_every_page_needs_a_signed_in_user(pattern: URLPattern) -> None:
    url = _url(pattern, {"users": 1})
    for method in ("get", "post"):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"] == f"/login/?next={url}"


def test_every_view_declares_its_role() -> None:
    needed = {p.name: getattr(p.callback, "required_role", None) for p in PATTERNS if p.name not in PUBLIC}
    assert {name for name, role in needed.items() if role is None} == set()
    assert {name for name, role in needed.items() if role == Role.SUPER_ADMIN} == {
        "settings",
        "settings_account",
        "settings_notifications",
        "settings_dunning",
        "settings_payments",
        "api_keys",
        "api_key_new",
        "api_key_revoke",
        "users",
        "user_new",
        "user_role",
        "webhooks",
        "webhook_new",
        "webhook_endpoint",
        "webhook_reveal",
        "webhook_rotate",
        "webhook_test",
        "webhook_toggle",
        "webhook_delete",
        "webhook_delivery",
        "webhook_delivery_retry",
        "webhook_delivery_resend",
    }


def test_sign_in_and_out(frozen_clock: Any) -> None:
    make_user(Role.VIEWER, "vera")
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'<label for="id_username" class="required">Username</label>' in page.content

    wrong = client.post("/login/", {"username": "vera", "password": "nope"})
    assert wrong.status_code == 200
    assert b"Please enter a correct username and password." in wrong.content

    signed_in = client.post("/login/", {"username": "vera", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/"
    assert client.get("/")["Location"] == "/contacts/"
    assert client.get("/login/")["Location"] == "/"  # already signed in

    assert client.get("/logout/").status_code == 405  # no sign-out by GET
    assert client.get("/contacts/").status_code == 200
    signed_out = client.post("/logout/")
    assert signed_out["Location"] == "/login/"
    assert client.get("/contacts/")["Location"] == "/login/?next=/contacts/"


def test_shell_shows_user_role_sandbox_clock_and_coming_sections(viewer: Client) -> None:
    html = viewer.get("/contacts/").content.decode()
    assert "<strong>Sandbox mode</strong>" in html
    assert (
        '<time datetime="2027-01-15T09:30:00+00:00" data-testid="test-clock">15 Jan 2027, 09:30 UTC</time>'
        in html
    )
    assert '<span class="badge badge-role" title="Your role">Viewer</span>' in html
    assert '<a href="/contacts/" aria-current="page">Contacts</a>' in html
    assert '<a href="/companies/">Companies</a>' in html
    for name in ("subscriptions", "invoices", "payments"):
        assert f'<a href="/{name}/">{name.title()}</a>' in html
    for label, hint in [
        ("Reports", "Coming later"),
        ("Settings", "For super admins"),
    ]:
        assert f'<span class="nav-soon" aria-disabled="true">{label} <small>{hint}</small></span>' in html
    assert 'action="/logout/"' in html


def test_live_mode_has_no_sandbox_banner(viewer: Client, settings: Any) -> None:
    settings.RECURRA_MODE = "live"
    html = viewer.get("/contacts/").content.decode()
    assert "Sandbox mode" not in html
    assert "test-clock" not in html


def test_super_admin_sees_settings_in_the_nav(admin: Client) -> None:
    assert b'<a href="/settings/">Settings</a>' in admin.get("/contacts/").content


def _action_names(html: str) -> list[str]:
    return [
        name
        for name in ("New contact", "New company", "New deal", "New product", ">Edit<", ">Delete<")
        if name in html
    ]


def test_viewer_sees_no_action_buttons(viewer: Client, editor: Client, records: Any) -> None:
    pages = [
        "/contacts/",
        "/companies/",
        "/deals/",
        "/products/",
        f"/contacts/{records.contact.pk}/",
        f"/companies/{records.company.pk}/",
        f"/deals/{records.deal.pk}/",
        f"/products/{records.product.pk}/",
    ]
    for url in pages:
        assert _action_names(viewer.get(url).content.decode()) == [], url
    assert _action_names(editor.get(f"/companies/{records.company.pk}/").content.decode()) == [
        "New contact",
        "New deal",
        ">Edit<",
        ">Delete<",
    ]
    product_page = viewer.get(f"/products/{records.product.pk}/").content.decode()
    assert "Archive</button>" not in product_page


def _record_ids(records: Any) -> dict[str, Any]:
    key = api_key_create(name="ci", role=Role.VIEWER, actor=SYSTEM).key
    sub = make_subscription(records.contact)
    invoice = make_invoice(sub)
    link = payment_link_create(
        name="Link", line_items=[stored_input(records.deal.line_items.first())], actor=SYSTEM, at=clock.now()
    )
    quote = quote_create(deal=records.deal, actor=SYSTEM, at=clock.now())
    quote_publish(quote=quote, actor=SYSTEM, at=clock.now())
    view = saved_view_create(
        owner=make_user(Role.EDITOR, "view-owner"),
        name="Unpaid annual",
        visibility="team",
        filters=Filters(statuses=("past_due",)),
        columns=DEFAULT_COLUMNS,
        sort=DEFAULT_SORT,
        actor=SYSTEM,
        at=clock.now(),
    )
    export = export_create(
        source=Source("all", "All", DEFAULT_VIEWS["all"].spec, {}),
        format="csv",
        language="en",
        requested_by=None,
        actor=SYSTEM,
        at=clock.now(),
    )
    endpoint = endpoint_create(
        url="http://127.0.0.1:9/recurra", enabled_events=["*"], actor=SYSTEM, at=clock.now()
    )
    static = list_create(name="VIP", object="contacts", kind="static", actor=SYSTEM, at=clock.now())
    list_members_add(record_list=static, ids=[records.contact.pk], actor=SYSTEM, at=clock.now())
    emailed = bulk_email_send(
        contacts=Contact.objects.filter(pk=records.contact.pk),
        subject="Hello",
        body="Hi",
        source=f"list:{static.pk}",
        actor=SYSTEM,
        at=clock.now(),
    )
    return {
        "lists": static.pk,
        "list-emails": emailed.pk,
        "exports": export.pk,
        "views": view.pk,
        "payment-links": link.pk,
        "token:checkout": checkout_url(link).rstrip("/").rsplit("/", 1)[1],
        "token:public_quote": quote_url(quote).rstrip("/").rsplit("/", 1)[1],
        "quotes": quote.pk,
        "subscriptions": sub.pk,
        "invoices": invoice.pk,
        "payments": make_payment(invoice).pk,
        "token": pay_token(invoice),
        "token:unsubscribe": unsubscribe_token(records.contact.pk),
        "contacts": records.contact.pk,
        "companies": records.company.pk,
        "deals": records.deal.pk,
        "products": records.product.pk,
        "api-keys": key.pk,
        "users": make_user(Role.VIEWER, "target").pk,
        "emails": EmailMessage.objects.create(to="x@example.com", kind="receipt", run_at=clock.now()).pk,
        "webhooks": endpoint.endpoint.pk,
        "webhook-deliveries": endpoint_ping(endpoint=endpoint.endpoint, at=clock.now()).pk,
        "workflows": workflow_create(
            name="Notify",
            definition={
                "trigger": {"type": "property_change", "property": "status", "to": ["past_due"]},
                "actions": [{"type": "internal_email", "to": ["owner"], "subject": "s", "body": "b"}],
            },
            enabled=True,
            actor=SYSTEM,
            at=clock.now(),
        ).pk,
    }


def _counts() -> dict[str, int]:
    models = (
        Contact,
        Company,
        Deal,
        Product,
        ApiKey,
        User,
        Event,
        SavedView,
        Export,
        Workflow,
        RecordList,
        ListMember,
    )
    return {m.__name__: m.objects.count() for m in models} | {
        "archived": Product.objects.filter(archived_at__isnull=False).count(),
        "revoked": ApiKey.objects.filter(revoked_at__isnull=False).count(),
        "workflows on": Workflow.objects.filter(enabled=True, deleted_at__isnull=True).count(),
        "unsubscribed": Contact.objects.filter(email_opt_out=True).count(),
    }


def test_viewer_post_is_refused_and_changes_nothing(viewer: Client, records: Any) -> None:
    ids = _record_ids(records)
    before = _counts()
    for pattern in PATTERNS:
        if getattr(pattern.callback, "required_role", Role.VIEWER) == Role.VIEWER:
            continue
        url = _url(pattern, ids)
        assert (
            viewer.post(url, {"name": "x", "email": "x@example.com", "role": "super_admin"}).status_code
            == 403
        ), url
    assert _counts() == before


def test_editor_cannot_open_or_post_settings(editor: Client, records: Any) -> None:
    ids = _record_ids(records)
    before = _counts()
    for pattern in PATTERNS:
        if getattr(pattern.callback, "required_role", None) == Role.SUPER_ADMIN:
            url = _url(pattern, ids)
            assert editor.get(url).status_code == 403, url
            assert editor.post(url, {"name": "x", "role": "super_admin"}).status_code == 403, url
    assert _counts() == before
    assert b"does not allow this" in editor.get("/settings/users/").content


def test_get_never_changes_state(admin: Client, records: Any) -> None:
    ids = _record_ids(records)
    before = _counts()
    for pattern in PATTERNS:
        assert admin.get(_url(pattern, ids)).status_code in (200, 302, 405), pattern.name
    assert admin.get(reverse("web:product_archive", args=[records.product.pk])).status_code == 405
    assert admin.get(reverse("web:user_role", args=[ids["users"]])).status_code == 405
    assert _counts() == before
