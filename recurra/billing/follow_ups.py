"""Charges that a change promises, as jobs written in the change's transaction (house rule 8).

``invoice_charge`` (queued by ``invoicing.charge_requests``) charges what an
open invoice still owes, through the one path that charges an invoice again
(``billing.retries.charge_invoices``: under the invoice's lock, one attempt
at a time, keyed ``<invoice>/<n>``):

- an upgrade's prorated invoice (``subscriptions.editing``), run right after
  the edit commits (``jobs.runner.job_run_now``) so the seller sees the answer;
- a buyer's past-due invoices after they saved a new method through an update
  link (``subscriptions.update_links``), once any attempt already on its way
  for the invoice has been answered: while one is, the job fails and the
  runner tries again with backoff, instead of the buyer's request waiting.

A charge with no answer stays ``pending`` and the reconciler settles it by
its key; a job that runs twice finds the invoice paid, or its attempt on its
way, and charges nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recurra.billing.retries import charge_invoices
from recurra.core.actors import Actor
from recurra.invoicing.charge_requests import INVOICE_CHARGE_JOB
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.jobs.runner import job_handler
from recurra.payments.models import PaymentMethod


@job_handler(INVOICE_CHARGE_JOB)
def invoice_charge(payload: dict[str, Any], *, at: datetime) -> None:
    invoice = Invoice.objects.filter(pk=payload["invoice_id"]).first()
    if invoice is None or invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0:
        return
    method = None
    if payload.get("method_id"):
        method = PaymentMethod.objects.filter(pk=payload["method_id"], detached_at=None).first()
        if method is None:
            return  # the buyer's method was removed meanwhile
    actor = Actor.from_dict(payload["actor"])
    charge_invoices([invoice.pk], origin=payload["origin"], actor=actor, at=at, method=method, waits=True)
