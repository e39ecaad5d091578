"""Demo data for the sandbox: an admin, an API key, products, companies, contacts, deals, subscriptions.

Idempotent: records are found by natural keys (email, SKU, name) and only
missing ones are created; the admin password and API key are generated once
and kept in ``<data dir>/demo-credentials.json`` (mode 0600), so every run
prints the same login.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from recurra.accounts.models import ApiKey, User
from recurra.accounts.roles import Role
from recurra.accounts.services import api_key_create, hash_secret, user_create
from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.catalog.models import Product
from recurra.catalog.services import product_create
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.crm.models import Company, Contact, Deal
from recurra.crm.services import company_create, contact_create, deal_create
from recurra.payments.services import payment_method_add
from recurra.subscriptions.services import subscription_create

ACTOR = Actor("system", "", "demo seed")
ADMIN = "admin"

PRODUCTS = [
    # sku, name, unit_amount, currency, frequency, tax
    ("PRO-M", "Recurra Pro, monthly", 4900, "USD", "monthly", "0"),
    ("PRO-Y", "Recurra Pro, annual", 49000, "USD", "annually", "0"),
    ("SEAT-M", "Extra seat", 900, "USD", "monthly", "0"),
    ("ONBOARD", "Onboarding workshop", 150000, "USD", "one_time", "0"),
    ("SUPPORT-Q", "Priority support, quarterly", 29900, "USD", "quarterly", "0"),
]
COMPANIES = [
    ("Fjordline Logistics", "fjordline.example", "NO", "Bergen"),
    ("Acme Analytics", "acme-analytics.example", "US", "Austin"),
    ("Nordlys Design", "nordlys.example", "NO", "Tromsø"),
]
CONTACTS = [
    ("ingrid.hansen@fjordline.example", "Ingrid", "Hansen", "Fjordline Logistics"),
    ("ola.nordmann@fjordline.example", "Ola", "Nordmann", "Fjordline Logistics"),
    ("maya.patel@acme-analytics.example", "Maya", "Patel", "Acme Analytics"),
    ("leo.garcia@acme-analytics.example", "Leo", "García", "Acme Analytics"),
    ("sofie.berg@nordlys.example", "Sofie", "Berg", "Nordlys Design"),
    ("tom.baker@example.com", "Tom", "Baker", None),
]
DEALS = [
    # name, contact email, stage, [(sku, quantity, discount)]
    (
        "Fjordline: Pro + 10 seats",
        "ingrid.hansen@fjordline.example",
        "contract_sent",
        [("PRO-M", 1, "0"), ("SEAT-M", 10, "10"), ("ONBOARD", 1, "0")],
    ),
    ("Acme annual plan", "maya.patel@acme-analytics.example", "closed_won", [("PRO-Y", 1, "15")]),
    ("Nordlys support", "sofie.berg@nordlys.example", "qualified_to_buy", [("SUPPORT-Q", 1, "0")]),
]


@dataclass
class Credentials:
    username: str
    password: str
    api_key: str


SUBSCRIPTIONS = [
    # contact email, token (None: send invoices, net 30), [(sku, quantity)], fixed number of payments,
    # days until it starts (None: at once)
    ("ingrid.hansen@fjordline.example", "tok_visa", [("PRO-M", 1), ("SEAT-M", 10)], None, None),
    ("maya.patel@acme-analytics.example", None, [("PRO-Y", 1)], None, None),
    ("sofie.berg@nordlys.example", "tok_ach", [("SUPPORT-Q", 1)], 4, None),
    ("tom.baker@example.com", "tok_fail_renewals", [("PRO-M", 1)], None, None),
    (
        "leo.garcia@acme-analytics.example",
        "tok_insufficient_funds",
        [("PRO-M", 1), ("SEAT-M", 3)],
        None,
        None,
    ),
    ("ola.nordmann@fjordline.example", "tok_mastercard", [("PRO-Y", 1)], None, 14),
]

# On Stripe (test keys: the demo runs only in sandbox mode), Stripe's own test PaymentMethods stand
# for the sandbox's cards: a card that pays, and one that attaches but declines every charge.
# A bank debit has no such test method: that buyer is sent invoices instead.
STRIPE_TEST_METHODS = {
    "tok_visa": "pm_card_visa",
    "tok_mastercard": "pm_card_visa",
    "tok_fail_renewals": "pm_card_chargeCustomerFail",
    "tok_insufficient_funds": "pm_card_chargeCustomerFail",
}


def _credentials_file() -> Path:
    return Path(settings.RECURRA_DATA_DIR) / "demo-credentials.json"


def _load() -> Credentials | None:
    path = _credentials_file()
    if not path.exists():
        return None
    try:
        return Credentials(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def _save(credentials: Credentials) -> None:
    path = _credentials_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(asdict(credentials), fh)


def _admin_and_key(saved: Credentials | None) -> Credentials:
    admin = User.objects.filter(username=ADMIN).first()
    password = saved.password if saved and admin and admin.check_password(saved.password) else None
    if admin is None:
        password = secrets.token_urlsafe(12)
        admin = user_create(
            username=ADMIN,
            email="admin@recurra.example",
            password=password,
            role=Role.SUPER_ADMIN,
            actor=ACTOR,
            first_name="Demo",
            last_name="Admin",
        )
    elif password is None:
        password = secrets.token_urlsafe(12)
        admin.set_password(password)
        admin.save(update_fields=["password"])
    key_ok = (
        saved
        and ApiKey.objects.filter(secret_hash=hash_secret(saved.api_key), revoked_at__isnull=True).exists()
    )
    secret = (
        saved.api_key
        if saved and key_ok
        else api_key_create(name="Demo key", role=Role.SUPER_ADMIN, actor=ACTOR, created_by=admin).secret
    )
    return Credentials(username=ADMIN, password=password, api_key=secret)


def seed_demo() -> Credentials:
    if settings.RECURRA_MODE != "sandbox":
        raise ImproperlyConfigured("demo data goes only into a sandbox (RECURRA_MODE=sandbox)")
    with transaction.atomic():
        credentials = _admin_and_key(_load())
        for sku, name, amount, currency, frequency, tax in PRODUCTS:
            if not Product.objects.filter(sku=sku).exists():
                product_create(
                    actor=ACTOR,
                    sku=sku,
                    name=name,
                    unit_amount=amount,
                    currency=currency,
                    billing_frequency=frequency,
                    tax_rate_percent=Decimal(tax),
                )
        companies = {}
        for name, domain, country, city in COMPANIES:
            companies[name] = Company.objects.filter(name=name).first() or company_create(
                actor=ACTOR, name=name, domain=domain, address={"country": country, "city": city}
            )
        for email, first, last, company in CONTACTS:
            if not Contact.objects.filter(email__iexact=email).exists():
                contact_create(
                    actor=ACTOR,
                    email=email,
                    first_name=first,
                    last_name=last,
                    company_id=companies[company].pk if company else None,
                )
        for name, email, stage, items in DEALS:
            if Deal.objects.filter(name=name).exists():
                continue
            contact = Contact.objects.get(email__iexact=email)
            products = {p.sku: p for p in Product.objects.filter(sku__in=[i[0] for i in items])}
            deal_create(
                actor=ACTOR,
                name=name,
                stage=stage,
                currency="USD",
                contact_id=contact.pk,
                company_id=contact.company_id,
                line_items=[
                    LineItemInput(
                        product_id=products[sku].pk, quantity=qty, discount_percent=Decimal(discount)
                    )
                    for sku, qty, discount in items
                ],
            )
    _seed_subscriptions()
    _save(credentials)
    return credentials


def _token_for(sandbox_token: str | None) -> str | None:
    """The method token of the configured gateway for a sandbox token of the seed."""
    if settings.RECURRA_GATEWAY != "stripe" or sandbox_token is None:
        return sandbox_token
    return STRIPE_TEST_METHODS.get(sandbox_token)


def _seed_subscriptions() -> None:
    """Outside the seed's transaction: saving a card calls the gateway, which runs on its own.

    The worker bills them as soon as it runs (their first payment is due today).
    """
    at = clock.now()
    for email, sandbox_token, items, payments, delay in SUBSCRIPTIONS:
        token = _token_for(sandbox_token)
        contact = Contact.objects.get(email__iexact=email)
        if contact.subscriptions.exists():
            continue
        method = payment_method_add(contact=contact, token=token, actor=ACTOR, at=at) if token else None
        products = {p.sku: p for p in Product.objects.filter(sku__in=[sku for sku, _ in items])}
        terms = "fixed" if payments else "auto_renew"
        subscription_create(
            contact=contact,
            company=contact.company,
            line_items=[
                LineItemInput(
                    product_id=products[sku].pk,
                    quantity=qty,
                    billing_terms=terms,
                    number_of_payments=payments,
                    billing_start=BillingStart(type="delay_days", days=delay) if delay else BillingStart(),
                )
                for sku, qty in items
            ],
            collection_method="charge_automatically" if method else "send_invoice",
            payment_method=method,
            payment_terms=None if method else "net_30",
            actor=ACTOR,
            at=at,
        )
