"""Unsubscribe links: one per contact, in every email to a list (``list_email``).

The token is the contact's id signed with ``SECRET_KEY`` under a salt of its own
(``recurra.notifications.unsubscribe``): it names that contact and no other, and
it is good for one thing only, unsubscribing them from email to lists (a pay
link's or a quote's token is signed under another salt, and this one opens
neither). A tampered or unknown token finds nothing (None), never a hint which;
the page answers it with a plain 404.

It never expires. An unsubscribe link must keep working for as long as the
message that carries it may be read: mailbox providers (Gmail's and Yahoo's
rules for bulk senders, RFC 8058's one-click POST) and the law (CAN-SPAM: at
least 30 days; the GDPR: withdrawing consent as easily as giving it) expect it
to work whenever it is clicked, months later included. What a token can do is
small and undoable by the team (the contact is unsubscribed, nothing else; the
page shows the address it was sent to, which whoever holds the message has
anyway). Rotating ``SECRET_KEY`` ends every link at once.

Like a buyer's token it travels only in the email that carries it: the message
log keeps that email with the token replaced (``core.redaction`` lists
``/unsubscribe/``), and no log line holds it.

A test message (``bulk.bulk_email_test``) carries :data:`TEST_TOKEN` instead: its
page shows what a contact would see, and unsubscribes nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from recurra.core.actors import Actor
from recurra.crm.models import Contact
from recurra.crm.services import contact_email_opt_out

SALT = "recurra.notifications.unsubscribe"
TEST_TOKEN = "test"  # noqa: S105 (not a secret: the sample link's word)
# Who unsubscribed a contact through their link (the audit trail's actor): the page's button,
# or the one-click POST a mailbox provider sends for its own unsubscribe button (RFC 8058).
PAGE_ACTOR = Actor("system", "unsubscribe_link", "Unsubscribe link")
ONE_CLICK_ACTOR = Actor("system", "unsubscribe_link", "Unsubscribe link (one-click)")


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def unsubscribe_token(contact_id: str) -> str:
    return _signer().sign(contact_id)


def unsubscribe_url(contact_id: str) -> str:
    """The absolute URL of the contact's unsubscribe page (also the one-click POST's target)."""
    return settings.RECURRA_BASE_URL + reverse("web:unsubscribe", args=[unsubscribe_token(contact_id)])


def unsubscribe_urls(contact_ids: Iterable[str]) -> dict[str, str]:
    """:func:`unsubscribe_url` of each contact: a batch's, with the page's address looked up once."""
    path = reverse("web:unsubscribe", args=["TOKEN"])
    base = settings.RECURRA_BASE_URL
    signer = _signer()
    return {pk: base + path.replace("TOKEN", signer.sign(pk)) for pk in contact_ids}


def sample_unsubscribe_url() -> str:
    """The link a test message (and a preview) carries: the page as a contact sees it, unsubscribing
    nobody."""
    return settings.RECURRA_BASE_URL + reverse("web:unsubscribe", args=[TEST_TOKEN])


def contact_for_token(token: str) -> Contact | None:
    """The contact an unsubscribe token names; None when it is tampered, unknown or deleted."""
    try:
        pk = _signer().unsign(token)
    except signing.BadSignature:
        return None
    return Contact.objects.filter(pk=pk).first()


def unsubscribe(*, contact: Contact, one_click: bool, at: datetime) -> bool:
    """Unsubscribe the contact from email to lists, audited as done by their link; True when that
    changed anything (a second click changes nothing and writes nothing)."""
    actor = ONE_CLICK_ACTOR if one_click else PAGE_ACTOR
    return contact_email_opt_out(contact=contact, opted_out=True, actor=actor, at=at)
