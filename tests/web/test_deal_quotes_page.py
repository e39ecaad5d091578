"""Quotes on the deal page: a seller makes one, publishes it, and converts it; viewers only read."""

from __future__ import annotations

from typing import Any

from recurra.commerce.models import Quote
from recurra.subscriptions.models import Subscription
from tests.web.html import text


def test_a_seller_quotes_a_deal_publishes_and_converts_it(client_as: Any, records: Any) -> None:
    seller = client_as("editor")
    deal_url = f"/deals/{records.deal.pk}/"

    made = seller.post(
        f"/deals/{records.deal.pk}/quotes/new/", {"expires_on": "2027-02-15", "language": "nb"}
    )
    assert made.status_code == 302
    quote = Quote.objects.get()
    assert (quote.status, quote.language, str(quote.expires_on)) == ("draft", "nb", "2027-02-15")
    assert "Publish" in text(seller.get(deal_url).content)

    seller.post(f"/quotes/{quote.pk}/publish/")
    page = text(seller.get(deal_url).content)
    assert "Quote published" in page and "/q/" in seller.get(deal_url).content.decode()

    seller.post(f"/quotes/{quote.pk}/convert/")
    quote.refresh_from_db()
    assert quote.status == "converted"
    assert Subscription.objects.get(quote=quote).collection_method == "send_invoice"
    assert "Convert quote to subscription" not in text(seller.get(deal_url).content)


def test_an_expired_date_is_refused_and_viewers_cannot_quote(client_as: Any, records: Any) -> None:
    seller = client_as("editor")
    seller.post(f"/deals/{records.deal.pk}/quotes/new/", {"expires_on": "2026-01-01"})
    assert not Quote.objects.exists()
    assert "must be today" in text(seller.get(f"/deals/{records.deal.pk}/").content).lower()
    viewer = client_as("viewer")
    assert viewer.post(f"/deals/{records.deal.pk}/quotes/new/", {}).status_code == 403
    assert "New quote from this deal" not in text(viewer.get(f"/deals/{records.deal.pk}/").content)
