"""`recurra demo` is idempotent; `recurra apikey create` prints the key alone on its last line."""

import json

import pytest

from recurra.accounts.models import ApiKey, User
from recurra.accounts.services import api_key_authenticate
from recurra.catalog.models import Product
from recurra.cli import main
from recurra.core import clock
from recurra.crm.models import Company, Contact, Deal, DealLineItem
from recurra.demo import seed_demo
from recurra.payments.models import PaymentMethod
from recurra.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


def _counts():
    return [m.objects.count() for m in (User, ApiKey, Product, Company, Contact, Deal, DealLineItem)]


def test_demo_twice_creates_nothing_new_and_prints_the_same_login(settings, tmp_path):
    settings.RECURRA_DATA_DIR = tmp_path
    first = seed_demo()
    counts = _counts()
    second = seed_demo()
    assert _counts() == counts
    assert counts[0] == 1 and counts[1] == 1 and counts[5] == 3
    assert (first.username, first.password, first.api_key) == (
        second.username,
        second.password,
        second.api_key,
    )
    assert User.objects.get(username="admin").check_password(first.password)
    assert api_key_authenticate(secret=first.api_key, at=clock.now()).role == "super_admin"
    saved = json.loads((tmp_path / "demo-credentials.json").read_text())
    assert saved["api_key"] == first.api_key
    assert (tmp_path / "demo-credentials.json").stat().st_mode & 0o077 == 0


def test_demo_recovers_a_lost_credentials_file(settings, tmp_path):
    settings.RECURRA_DATA_DIR = tmp_path
    first = seed_demo()
    (tmp_path / "demo-credentials.json").unlink()
    second = seed_demo()
    assert second.password != first.password
    assert User.objects.get(username="admin").check_password(second.password)
    assert ApiKey.objects.count() == 2  # the old key's secret is gone with the file: a new one
    assert Deal.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_demo_on_stripe_saves_stripes_test_methods(settings, tmp_path, stripe_gateway):
    settings.RECURRA_DATA_DIR = tmp_path
    seed_demo()
    methods = PaymentMethod.objects.order_by("contact__email")
    assert {(m.contact.email, m.gateway, m.last4) for m in methods} == {
        ("ingrid.hansen@fjordline.example", "stripe", "4242"),
        ("leo.garcia@acme-analytics.example", "stripe", "0341"),
        ("ola.nordmann@fjordline.example", "stripe", "4242"),
        ("tom.baker@example.com", "stripe", "0341"),
    }
    sofie = Subscription.objects.get(contact__email="sofie.berg@nordlys.example")
    assert (sofie.collection_method, sofie.payment_method) == ("send_invoice", None)  # no test bank debit
    customers = {m.gateway_customer_id for m in methods}
    assert len(customers) == 4 and all(c.startswith("cus_") for c in customers)


def test_demo_refuses_live_mode(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.RECURRA_DATA_DIR = tmp_path
    settings.RECURRA_MODE = "live"
    with pytest.raises(ImproperlyConfigured):
        seed_demo()
    assert not User.objects.exists()


def test_apikey_create_prints_key_alone_on_last_line(capsys):
    assert main(["apikey", "create", "--role", "editor", "--name", "Zapier"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    secret = out[-1]
    key = api_key_authenticate(secret=secret, at=clock.now())
    assert key is not None and key.role == "editor" and key.name == "Zapier"


def test_apikey_list_and_revoke(capsys):
    main(["apikey", "create", "--role", "viewer", "--name", "Old"])
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    key = ApiKey.objects.get()
    assert main(["apikey", "list"]) == 0
    listing = capsys.readouterr().out
    assert key.pk in listing and secret not in listing and "active" in listing
    assert main(["apikey", "revoke", key.pk]) == 0
    assert api_key_authenticate(secret=secret, at=clock.now()) is None
    assert main(["apikey", "revoke", key.pk]) == 2
    assert main(["apikey", "revoke", "key_missing"]) == 2


def test_apikey_create_refuses_unknown_role():
    with pytest.raises(SystemExit):
        main(["apikey", "create", "--role", "owner"])
