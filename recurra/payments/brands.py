"""Card brands by their proper names: gateways hand out codes (``visa``, ``amex``), people read names.

The codes are Stripe's (``card.brand`` and ``card.display_brand``) and the sandbox's; a brand not
known here is shown as it came, its first letter capitalised (a bank's own name stays as it is).
"""

from __future__ import annotations

BRAND_NAMES = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "american_express": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "diners_club": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "cartes_bancaires": "Cartes Bancaires",
    "eftpos_au": "eftpos Australia",
    "eftpos_australia": "eftpos Australia",
    "interac": "Interac",
    "link": "Link",
    "unknown": "Card",
}


def brand_name(brand: str) -> str:
    """``visa`` → ``Visa``, ``amex`` → ``American Express``; unknown codes with a capital first letter."""
    code = brand.strip()
    name = BRAND_NAMES.get(code.lower())
    if name is not None:
        return name
    return code[:1].upper() + code[1:]


def method_text(*, type_label: str, brand: str, last4: str) -> str:
    """A method as it is shown: ``Visa •••• 4242``; without a brand, its type (``Card •••• 4242``)."""
    shown = brand_name(brand) if brand else type_label
    return f"{shown} •••• {last4}" if last4 else shown
