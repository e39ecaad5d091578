"""Fixtures for the web app: signed-in test clients per role, and Chromium for browser tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.models import User
from recurra.accounts.roles import Role
from recurra.accounts.services import user_create
from recurra.catalog.line_items import LineItemInput
from recurra.catalog.services import product_create
from recurra.core import clock
from recurra.crm.models import Contact
from recurra.crm.services import company_create, contact_create, deal_create
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from recurra.worker.steps import run_due_work
from tests.conftest import SYSTEM, T0
from tests.web import chromium

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Web tests create many users; a slow password hash would dominate their run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(role: str, username: str | None = None) -> User:
    return user_create(
        username=username or role,
        email=f"{username or role}@recurra.example",
        password=PASSWORD,
        role=role,
        actor=SYSTEM,
        first_name=(username or role).title(),
    )


@pytest.fixture
def client_as(frozen_clock: Any) -> Callable[[str], Client]:
    """``client_as("viewer")``: a test client signed in as a new user with that role."""

    def make(role: str) -> Client:
        client = Client()
        taken = User.objects.filter(username=role).exists()
        client.force_login(make_user(role, f"{role}-{User.objects.count()}" if taken else role))
        return client

    return make


@pytest.fixture
def admin(client_as: Callable[[str], Client]) -> Client:
    return client_as(Role.SUPER_ADMIN)


@pytest.fixture
def editor(client_as: Callable[[str], Client]) -> Client:
    return client_as(Role.EDITOR)


@pytest.fixture
def viewer(client_as: Callable[[str], Client]) -> Client:
    return client_as(Role.VIEWER)


@pytest.fixture
def records(frozen_clock: Any) -> SimpleNamespace:
    """One of each: a company, its contact, a product and a deal with that product on a line item."""
    company = company_create(actor=SYSTEM, name="Fjordline", domain="fjordline.example")
    contact = contact_create(
        actor=SYSTEM,
        email="ingrid@fjordline.example",
        first_name="Ingrid",
        last_name="Hansen",
        company_id=company.pk,
    )
    product = product_create(
        actor=SYSTEM,
        name="Pro plan",
        sku="PRO-M",
        unit_amount=4900,
        currency="USD",
        billing_frequency="monthly",
    )
    deal = deal_create(
        actor=SYSTEM,
        name="Fjordline Pro",
        currency="USD",
        contact_id=contact.pk,
        company_id=company.pk,
        line_items=[LineItemInput(product_id=product.pk, quantity=2)],
    )
    return SimpleNamespace(company=company, contact=contact, product=product, deal=deal)


# Browser tests -------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright's sync API (one per test session)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls
    # in fixtures and assertions are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = chromium.launch(pw)
        try:
            yield browser
        finally:
            browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=chromium.VIEWPORT)
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def signed_in_page(page: Any, live_server: Any) -> Any:
    """A page signed in through the login form as a super admin (at ``live_server.url``)."""
    clock.freeze(T0)
    make_user(Role.SUPER_ADMIN, "admin")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/contacts/")
    return page


def billed_team_plan(*, last_name: str, plan: str = "Team plan") -> tuple[Contact, Subscription]:
    """Carla (of Fjordline Logistics) and her Team plan (or ``plan``), $31.00 a month on a Visa, billed
    and paid on 5 Jan 2027 through the sandbox gateway; the clock is left frozen at T0 (15 Jan)."""
    clock.freeze(datetime(2027, 1, 5, 9, 30, tzinfo=UTC))
    fjordline = company_create(actor=SYSTEM, name="Fjordline Logistics")
    carla = contact_create(
        actor=SYSTEM,
        email="carla@example.com",
        first_name="Carla",
        last_name=last_name,
        company_id=fjordline.pk,
    )
    visa = payment_method_add(contact=carla, token="tok_visa", actor=SYSTEM, at=clock.now())
    team = subscription_create(
        contact=carla,
        line_items=[LineItemInput(name=plan, unit_amount=3100, currency="USD", billing_frequency="monthly")],
        collection_method="charge_automatically",
        payment_method=visa,
        actor=SYSTEM,
        at=clock.now(),
    )
    run_due_work(at=clock.now())  # period 0 invoiced and charged
    clock.freeze(T0)
    return carla, team
