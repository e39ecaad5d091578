"""Quotes on the deal page: a seller makes one, publishes it, and converts it; viewers only read."""

from __future__ import annotations

from typing import Any

from recurra.commerce.models import Quote
from recurra.subscriptions.models import Subscription
from tests.web.html import list_items, messages, text


def test_a_seller_quotes_a_deal_publishes_and_converts_it(client_as: Any, records: Any) -> None:
    seller = client_as("editor")
    deal_url = f"/deals/{records.deal.pk}/"

    made = seller.post(
        f"/deals/{records.deal.pk}/quotes/new/", {"expires_on": "2027-02-15", "language": "nb"}
    )
    assert made.status_code == 302
    quote = Quote.objects.get()
    assert (quote.status, quote.language, str(quote.expires_on)) == ("draft", "nb", "2027-02-15")
    page = text(seller.get(deal_url).content)
    assert "Publish" in page
    assert "Convert quote" not in page  # a draft is not offered for conversion

    seller.post(f"/quotes/{quote.pk}/publish/")
    page = text(seller.get(deal_url).content)
    assert "Quote published" in page and "/q/" in seller.get(deal_url).content.decode()
    assert f'href="/quotes/{quote.pk}/convert/">Convert quote to subscription…</a>' in (
        seller.get(deal_url).content.decode()
    )

    asked = seller.get(f"/quotes/{quote.pk}/convert/")  # the confirmation: nothing is made yet
    assert asked.status_code == 200
    assert text(asked.content).count("Convert to subscription") == 1
    assert list_items(asked.content, "conversion-plan") == [
        "A subscription billed monthly, from 15 Jan 2027: Pro plan"
    ]
    assert "The subscription sends an invoice on every payment date" in text(asked.content)
    assert "The invoice is emailed" not in text(asked.content)  # no one-time items: no invoice
    assert Quote.objects.get().status == "published" and not Subscription.objects.exists()

    done = seller.post(f"/quotes/{quote.pk}/convert/", {"payment_terms": "net_15"}, follow=True)
    quote.refresh_from_db()
    assert quote.status == "converted"
    sub = Subscription.objects.get(quote=quote)
    assert (sub.collection_method, sub.payment_terms) == ("send_invoice", "net_15")
    assert messages(done) == [f"Quote “{quote.name}” converted into subscription {sub.name}."]
    assert "Convert quote" not in text(seller.get(deal_url).content)


def test_a_draft_quote_is_not_converted_even_by_a_forged_post(client_as: Any, records: Any) -> None:
    seller = client_as("editor")
    seller.post(f"/deals/{records.deal.pk}/quotes/new/", {"expires_on": "2027-02-15"}, follow=True)
    quote = Quote.objects.get()
    assert "Convert quote" not in text(seller.get(f"/deals/{records.deal.pk}/").content)

    for method in (seller.get, seller.post):
        refused = method(f"/quotes/{quote.pk}/convert/")
        assert refused.status_code == 302
        assert messages(seller.get(refused["Location"])) == [
            f"Quote “{quote.name}” is a draft: publish it first, and convert it once the buyer has seen it."
        ]
    assert Quote.objects.get().status == "draft" and not Subscription.objects.exists()


def test_an_expired_date_is_refused_and_viewers_cannot_quote(client_as: Any, records: Any) -> None:
    seller = client_as("editor")
    seller.post(f"/deals/{records.deal.pk}/quotes/new/", {"expires_on": "2026-01-01"})
    assert not Quote.objects.exists()
    assert "must be today" in text(seller.get(f"/deals/{records.deal.pk}/").content).lower()
    viewer = client_as("viewer")
    assert viewer.post(f"/deals/{records.deal.pk}/quotes/new/", {}).status_code == 403
    assert "New quote from this deal" not in text(viewer.get(f"/deals/{records.deal.pk}/").content)
