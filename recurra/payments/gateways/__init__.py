"""Payment gateways behind one port (``base.PaymentGateway``), picked by name.

``settings.RECURRA_GATEWAY`` names the one in use ("sandbox" unless set).
Gateways keep no state in the instance, so a new one per call is fine.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from recurra.payments.gateways.base import PaymentGateway


def _sandbox() -> PaymentGateway:
    from recurra.payments.gateways.sandbox import SandboxGateway

    return SandboxGateway()


def _stripe() -> PaymentGateway:
    from recurra.payments.gateways.stripe import StripeGateway

    return StripeGateway()


GATEWAYS: dict[str, Callable[[], PaymentGateway]] = {"sandbox": _sandbox, "stripe": _stripe}


def get_gateway(name: str | None = None) -> PaymentGateway:
    """The gateway called ``name``, else the configured one; an unknown name is a ValueError."""
    chosen = name or str(getattr(settings, "RECURRA_GATEWAY", "sandbox"))
    try:
        return GATEWAYS[chosen]()
    except KeyError:
        raise ValueError(f"unknown payment gateway {chosen!r}; known: {', '.join(GATEWAYS)}") from None
