"""A seller whose language is bokmål, in Debian's Chromium: no English word on the pages they walk.

Kari Berg, a super admin (to see every Settings page), chose "Norsk bokmål" in her profile. Her browser
asks for bokmål too, so even the sign-in page is Norwegian. She walks: the subscriptions
index filtered to Active, a subscription's page, its cancel dialog (opened, not confirmed), the
create-subscription form, Settings → Account and → Profile, then Contacts, Invoices and Payments.

What counts as English is taken from the English UI itself (``stop_words``): every word of the web
catalogue's English messages that is not also a word of its bokmål translations (so "Status",
"Test", "Stripe" or "Recurra", which bokmål writes the same, are not counted), plus a short hand
list of the labels a seller meets first. The seller's own data (names, products) is Norwegian, so
nothing on a page is English unless the UI put it there.

The screenshots are ``nb-<page>.png`` (``tests.web.chromium.shoot``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from recurra.accounts.models import AccountSettings
from recurra.accounts.roles import Role
from recurra.accounts.services import user_set_language
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
from tests.web import chromium
from tests.web.conftest import PASSWORD, billed_team_plan, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEB_CATALOGUE = Path(__file__).resolve().parents[2] / "recurra/web/locale/nb/LC_MESSAGES/django.po"
# Labels a seller meets first, whether or not the catalogue has them yet.
HAND = {
    "subscriptions", "subscription", "unpaid", "scheduled", "active", "canceled", "cancel", "save",
    "next", "previous", "settings", "contacts", "invoices", "payments", "search", "sign", "edit",
    "delete", "create", "back", "actions", "owner", "created", "amount", "paid", "overdue", "draft",
    "profile", "language", "account", "email", "name", "total", "monthly", "none", "yes",
}  # fmt: skip
# English words that are bokmål words too but that no bokmål message happens to use yet.
ALSO_BOKMAL = {"for", "under", "over", "her", "man", "fin", "rest", "sent"}


def words(message: str) -> set[str]:
    """The English words of a message (placeholders, tags and entities left out), lower case."""
    return {word.lower() for word in re.findall(r"[A-Za-z]{3,}", _without_code(message))}


def _without_code(message: str) -> str:
    """A message without its placeholders, tags, entities and variables (``%(invoice)s`` is no word)."""
    return re.sub(r"%\(\w+\)[sd]|<[^>]+>|&\w+;|\{\{.*?\}\}", " ", message)


@cache
def stop_words() -> frozenset[str]:
    """The English UI's own words (see the module's doc)."""
    with WEB_CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    english: set[str] = set()
    bokmal: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings if any(strings) else ():
            bokmal |= {word.lower() for word in re.findall(r"[A-Za-zÆØÅæøåÉé]+", _without_code(text))}
        if ids != strings:  # else a name or code, or a word bokmål writes the same ("Status")
            for text in ids:
                english |= words(text)
    return frozenset((english - bokmal - ALSO_BOKMAL) | HAND)


# The text a person reads in an element: a select shows its chosen option only (not the hundreds of
# places of the time zone list), and codes (<code>: Stripe's event types, API paths) are not words.
# It prunes the page, so it is read after its screenshot.
READ = """(root) => {
  root.querySelectorAll('select').forEach(s => [...s.options].forEach(o => { if (!o.selected) o.remove(); }));
  root.querySelectorAll('code').forEach(c => c.remove());
  return root.innerText;
}"""


def read(locator: Any) -> str:
    return str(locator.evaluate(READ))


def english_in(text: str) -> list[str]:
    """The stop words in ``text`` (whole words, any case), each once, sorted."""
    shown = {word.lower() for word in re.findall(r"[A-Za-zÆØÅæøåÉé]+", text)}
    return sorted(shown & stop_words())


def test_the_stop_list_is_the_english_ui() -> None:
    stop = stop_words()
    assert {"subscriptions", "settings", "save", "invoice", "unpaid"} <= stop
    assert not {"status", "stripe", "recurra", "test", "api"} & stop  # bokmål writes them the same
    assert english_in("Abonnementer · Innstillinger · Lagre") == []
    assert english_in("Lagre · Save · Cancel subscription") == ["cancel", "save", "subscription"]


@pytest.fixture
def kari(frozen_clock: Any) -> Subscription:
    """Carla Nordmann and her Grunnpakke (``billed_team_plan``), written to in bokmål; Kari Berg, a
    super admin whose language is bokmål, signs in through the sign-in page (``sign_in``)."""
    AccountSettings.objects.update_or_create(
        pk=AccountSettings.SINGLETON,
        defaults={
            "business_name": "Nordlys Programvare AS",
            "default_currency": "NOK",
            "timezone": "Europe/Oslo",
            "default_language": "nb",  # so her buyers' emails (their subjects on the pages) are bokmål
        },
    )
    _buyer, sub = billed_team_plan(last_name="Nordmann", plan="Grunnpakke")
    seller = make_user(Role.SUPER_ADMIN, "kari.berg")
    user_set_language(user=seller, language="nb", actor=SYSTEM)
    return Subscription.objects.get(pk=sub.pk)


def sign_in(page: Any, live_server: Any) -> str:
    """Sign in as Kari Berg; the sign-in page's own text."""
    page.goto(f"{live_server.url}/login/")
    shown = read(page.locator("main"))
    page.locator("#id_username").fill("kari.berg")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/contacts/")
    return str(shown)


@pytest.fixture
def nb_page(browser: Any) -> Any:
    """A Chromium tab whose browser asks for bokmål (``Accept-Language: nb-NO``)."""
    context = browser.new_context(viewport=chromium.VIEWPORT, locale="nb-NO")
    context.set_default_timeout(5000)
    try:
        yield context.new_page()
    finally:
        context.close()


def report(found: dict[str, list[str]]) -> str:
    return "English words on a bokmål seller's pages:\n" + "\n".join(
        f"  {name}: {', '.join(english)}" for name, english in found.items() if english
    )


def walk(page: Any, live_server: Any, sub: Subscription, tmp_path: Path) -> Iterable[tuple[str, str]]:
    """(page name, its visible text) for each page of the walk, a screenshot of each."""
    stops = [
        ("subscriptions, filtered to Active", "/subscriptions/?status=active"),
        ("a subscription", f"/subscriptions/{sub.pk}/"),
        ("create subscription", "/subscriptions/new/"),
        ("settings: account", "/settings/account/"),
        ("settings: profile", "/settings/profile/"),
        ("contacts", "/contacts/"),
        ("invoices", "/invoices/"),
        ("payments", "/payments/"),
    ]
    for name, path in stops:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == "nb", name
        slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
        chromium.shoot(page, f"nb-{slug}.png", tmp_path)
        yield name, read(page.locator("body"))
        if name == "a subscription":  # its cancel dialog: opened, never confirmed
            page.get_by_test_id("actions-menu").click()
            page.locator('a[href*="/cancel/"]').first.click()
            dialog = page.locator("dialog[open]")
            expect(dialog).to_be_visible()
            chromium.shoot(page, "nb-cancel-dialog.png", tmp_path, full_page=False)
            yield "the cancel dialog", read(dialog)
            page.keyboard.press("Escape")


def test_a_bokmal_seller_meets_no_english_word(
    nb_page: Any, live_server: Any, kari: Subscription, tmp_path: Path
) -> None:
    """Every page of the walk, whoever owns it; the failure lists each page with its English words."""
    found = {"sign in": english_in(sign_in(nb_page, live_server))}
    found.update((name, english_in(text)) for name, text in walk(nb_page, live_server, kari, tmp_path))
    assert Subscription.objects.get(pk=kari.pk).status == kari.status  # the dialog canceled nothing
    assert not any(found.values()), report(found)


OWN_CONTENT = [
    "/settings/account/",
    "/settings/profile/",
    "/settings/notifications/",
    "/settings/dunning/",
    "/settings/payments/",
    "/settings/api-keys/",
    "/settings/api-keys/new/",
    "/settings/users/",
    "/settings/users/new/",
    "/settings/webhooks/",
    "/settings/webhooks/new/",
]


def test_the_sign_in_and_settings_pages_say_no_english_word(
    nb_page: Any, live_server: Any, kari: Subscription, tmp_path: Path
) -> None:
    """The pages' own content (``<main>``: the frame around it is ``base.html``'s, walked above)."""
    found = {"sign in": english_in(sign_in(nb_page, live_server))}
    for path in OWN_CONTENT:
        nb_page.goto(f"{live_server.url}{path}")
        found[path] = english_in(read(nb_page.locator("main")))
    nb_page.goto(f"{live_server.url}/settings/dunning/")
    nb_page.get_by_label("Dager for nye forsøk etter første feil").fill("7, 3")
    nb_page.get_by_role("button", name="Lagre").click()  # the service's error, beside the field
    expect(nb_page.locator("#id_retry_schedule_days_error")).to_have_text(
        "Må være opptil 10 dager fra 1 til 90, hver senere enn den før"
    )
    chromium.shoot(nb_page, "nb-settings-dunning-error.png", tmp_path)
    found["dunning, refused"] = english_in(read(nb_page.locator("main")))
    assert not any(found.values()), report(found)
