"""Fixtures for the race tests: PostgreSQL, committed data (other processes must see it), a frozen clock.

A test runs on the sandbox unless it parametrizes ``books`` (``tests.books``)
indirectly with ``"stripe"``: then the seeded cards are Stripe's too. Forked
workers inherit the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from bench.seed import FAIL_RENEWALS, Seeded, kind_of, seed_due_subscriptions
from recurra.core.actors import Actor
from recurra.payments.models import PaymentMethod
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from tests.books import Books, StripeBooks
from tests.localstripe import StripeWorld
from tests.races.invariants import index_of

# The Stripe test cards standing for the seed's kinds: every charge of 0341 is declined.
STRIPE_CARDS = {FAIL_RENEWALS: "4000000000000341"}
VISA_CARD = "4242424242424242"


@pytest.fixture
def seed(frozen_clock: datetime, books: Books) -> Callable[[int], Seeded]:
    """``seed(n)``: n monthly renewals due at the frozen clock (T0), committed, on ``books``' processor."""

    def make(n: int) -> Seeded:
        seeded = seed_due_subscriptions(n, at=frozen_clock)
        if isinstance(books, StripeBooks):
            cards_at_stripe(books.world, at=frozen_clock)
        return seeded

    return make


def cards_at_stripe(world: StripeWorld, *, at: datetime) -> None:
    """Each seeded card becomes a Stripe card of the same kind, saved as a buyer page saves one.

    The card is made at localstripe, then saved with ``payment_method_add`` (which attaches it to
    the contact's Stripe Customer); the subscription is charged to it, and the sandbox method goes.
    """
    system = Actor.system()
    subs = Subscription.objects.filter(payment_method__isnull=False).select_related("contact")
    for sub in subs.order_by("pk"):
        kind = kind_of(index_of(sub.contact.email))
        token = world.card(STRIPE_CARDS.get(kind, VISA_CARD))
        method = payment_method_add(contact=sub.contact, token=token, actor=system, at=at)
        sandbox = sub.payment_method_id
        Subscription.objects.filter(pk=sub.pk).update(payment_method=method)
        PaymentMethod.objects.filter(pk=sandbox).delete()
