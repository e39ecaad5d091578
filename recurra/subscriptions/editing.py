"""Editing a subscription (``PATCH /subscriptions/{id}``), with a preview of its money effect.

Rules of :func:`subscription_change`, all checked before anything is written
and reported together:

- Only ``active``, ``scheduled`` and Unpaid (``past_due``) subscriptions can be
  edited (409), and none while one of its payments is ``pending`` or
  ``processing`` (409: the charge on its way must settle first).
- ``line_items`` replaces every line item (the old rows are deleted, the new
  ones created, one event each). Items come from the product library or are
  custom, in the subscription's currency (the default), and are billed at its frequency,
  terms and number of payments: a different ``billing_frequency`` is refused;
  left out, it is the subscription's (a library product's price is taken as the
  price per the subscription's period).
- ``next_payment_date`` re-anchors the schedule like a resume does
  (``pausing``): today or later, after the start of the last billed period;
  period ``periods_billed`` starts on it and a fixed term's end date moves.
- ``contact_id`` moves the subscription to another contact (one at a time),
  who gets every later email; the payment method must then be one of theirs.
  ``payment_method_id`` must be the contact's, not removed, of an allowed type.
  ``billing_address`` changes the given parts only (null or "" clears one).
- ``proration``: ``none`` applies the new price from the next period on.
  ``prorate`` also bills, at once, the new price for the rest of the current
  period (the last billed one, from its invoice) minus the unused part of the
  old one, down to the day in the account's zone (``proration.swap``): one
  invoice with a negative credit line and a charge line, net and tax prorated
  separately. Nothing billed yet, or no days left: no invoice. An upgrade's
  invoice is charged to the saved method after the edit commits (collection
  ``charge_automatically``; ``send_invoice`` emails it instead). A downgrade's
  invoice is a credit: ``paid`` with nothing paid and a negative ``amount_due``
  (what is owed back); it is not refunded or applied to later invoices by
  itself (staff refund it by hand if they choose).
- ``owner_id`` (a user, or None for nobody) changes the owner through
  ``crm.owners.owner_assign`` (its own ``subscription.updated`` event). An edit
  of the owner alone is no edit of the subscription: any status, no charge on
  its way checked, no email to the contact (the owner is the team's business),
  nothing prorated. With other changes it is saved in their transaction, and
  the contact's email does not mention it.
- ``preview=True`` computes the same result and writes nothing: no rows, no
  events, no emails, no charge.
- The saved edit writes one ``subscription.updated`` event (before/after of the
  changed fields, line items included), ``subscriptionlineitem.deleted`` /
  ``.created`` events, ``invoice.created`` for a prorated invoice, and queues a
  ``subscription_changed`` email to the (new) contact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.utils.translation import gettext

from recurra.accounts.selectors import account_settings, account_zone
from recurra.catalog import schedule
from recurra.catalog.line_items import BillingStart, LineItemInput, resolve_line_items
from recurra.catalog.terms import PAYMENT_TERM_DAYS, BillingStartType, CollectionMethod
from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, ValidationFailed
from recurra.core.formats import period_text
from recurra.crm.models import Address, Contact
from recurra.crm.owners import KEEP, OwnerChange, owner_assign, owner_change_error
from recurra.invoicing.charge_requests import invoice_charge_queue
from recurra.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from recurra.invoicing.numbering import take_numbers
from recurra.jobs.runner import job_run_now
from recurra.notifications.services import email_queue
from recurra.payments.models import IN_FLIGHT, Payment, PaymentMethod, PaymentOrigin
from recurra.subscriptions import proration as prorating
from recurra.subscriptions.amounts import recurring_amounts
from recurra.subscriptions.lifecycle import BILLABLE
from recurra.subscriptions.models import (
    Subscription,
    SubscriptionLineItem,
    SubscriptionStatus,
    invoice_fields,
    mrr_in_status,
)
from recurra.subscriptions.notices import invoice_sent, subscription_changed
from recurra.subscriptions.pausing import next_date_errors
from recurra.subscriptions.services import billing_address_columns, checked_text, payment_method_errors

Proration = Literal["none", "prorate"]
# The fields an edit may change on the subscription row (line items aside).
_ROW_FIELDS = (
    "name",
    "contact_id",
    "company_id",
    "payment_method_id",
    "next_payment_date",
    "anchor_date",
    "anchor_period",
    "end_date",
    "next_payment_amount",
    "line_items_mrr",
    *(Address.column(part) for part in Address.ADDRESS_FIELDS),
)


# Row fields reported under their public name: the lines' MRR is the subscription's "mrr".
_REPORTED = {"line_items_mrr": "mrr"}


@dataclass(frozen=True)
class SubscriptionChanges:
    """What to change; None leaves a field as it is (a payment method cannot be removed here)."""

    name: str | None = None
    line_items: list[LineItemInput] | None = None
    next_payment_date: date | None = None
    payment_method: PaymentMethod | None = None
    contact: Contact | None = None
    billing_address: Mapping[str, Any] | None = None
    owner_id: OwnerChange = KEEP  # None: no owner

    def owner_only(self) -> bool:
        """Whether the owner is all this changes (no edit of the subscription itself)."""
        return self.owner_id is not KEEP and dataclasses.replace(self, owner_id=KEEP) == SubscriptionChanges()


@dataclass(frozen=True, slots=True)
class ProratedLine:
    name: str
    description: str
    amount_subtotal: int
    amount_tax: int
    amount_total: int


@dataclass(frozen=True)
class ProrationResult:
    """The prorated invoice of an edit: its lines (credit first, negative) and totals."""

    period_start: date
    period_end: date
    days: int
    period_days: int
    lines: tuple[ProratedLine, ...]
    subtotal: int
    tax: int
    total: int
    invoice: Invoice | None = None  # saved edits only, and only when the total is not 0
    payment_id: str | None = None  # the charge made after the edit (upgrades charged automatically)


@dataclass(frozen=True)
class ChangeResult:
    """The subscription as it is (saved) or would be (preview), its new lines and the proration."""

    subscription: Subscription
    line_items: tuple[SubscriptionLineItem, ...]
    changed: dict[str, tuple[Any, Any]]  # field → (before, after); "line_items" when replaced
    proration: ProrationResult | None
    saved: bool


def _label(subscription: Subscription) -> str:
    return SubscriptionStatus(subscription.status).label.lower()


def _check_editable(sub: Subscription) -> None:
    if sub.status not in BILLABLE:
        raise Conflict(
            gettext("subscription %(id)s is %(status)s: only active, scheduled and Unpaid ones can be edited")
            % {"id": sub.pk, "status": _label(sub)}
        )
    in_flight = Payment.objects.filter(subscription=sub, status__in=IN_FLIGHT).first()
    if in_flight is not None:
        raise Conflict(
            gettext(
                "payment %(payment)s of subscription %(id)s is still %(status)s: "
                "edit it once the payment has settled"
            )
            % {"payment": in_flight.pk, "id": sub.pk, "status": in_flight.status}
        )


def _item_inputs(
    sub: Subscription, items: list[LineItemInput], errors: list[FieldError]
) -> list[LineItemInput]:
    """The items billed at the subscription's frequency, terms and number of payments."""
    inputs = []
    for index, item in enumerate(items):
        if item.billing_frequency is not None and item.billing_frequency != sub.billing_frequency:
            errors.append(
                FieldError(
                    f"line_items[{index}].billing_frequency",
                    f"must be the subscription's frequency ({sub.billing_frequency}); "
                    "another frequency needs another subscription",
                )
            )
        inputs.append(
            dataclasses.replace(
                item,
                currency=item.currency or sub.currency,
                billing_frequency=sub.billing_frequency,
                billing_terms=sub.billing_terms,
                number_of_payments=sub.number_of_payments,
                billing_start=BillingStart(type=BillingStartType.DATE, date=sub.start_date),
            )
        )
    return inputs


def _new_items(
    sub: Subscription, items: list[LineItemInput], errors: list[FieldError]
) -> list[SubscriptionLineItem] | None:
    if not items:
        errors.append(
            FieldError("line_items", gettext("a subscription needs at least one recurring line item"))
        )
        return None
    inputs = _item_inputs(sub, items, errors)
    in_use = [pk for pk in sub.line_items.values_list("product_id", flat=True) if pk]
    try:
        resolved = resolve_line_items(inputs, currency=sub.currency, products_in_use=in_use)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None
    return [SubscriptionLineItem(subscription=sub, **values) for values in resolved]


def _schedule_changes(sub: Subscription, day: date, today: date, errors: list[FieldError]) -> dict[str, Any]:
    """Re-anchor on ``day`` as resuming does: period ``periods_billed`` starts on it."""
    problems = next_date_errors(sub, day, today)
    if problems:
        errors.extend(problems)
        return {}
    changes: dict[str, Any] = {
        "next_payment_date": day,
        "anchor_date": day,
        "anchor_period": sub.periods_billed,
    }
    if sub.number_of_payments is not None:
        step = schedule.step_for(sub.billing_frequency)
        changes["end_date"] = schedule.period_start(day, step, sub.number_of_payments - sub.periods_billed)
    return changes


def _address_changes(
    sub: Subscription, address: Mapping[str, Any], contact: Contact, errors: list[FieldError]
) -> dict[str, Any]:
    merged = {**sub.address, **address}  # parts left out stay; null or "" clears one
    return billing_address_columns(merged, contact, errors)


def _current_period(sub: Subscription) -> schedule.Period | None:
    """The last billed period, from its invoice, else from the anchor; None before any is billed."""
    if sub.periods_billed == 0:
        return None
    index = sub.periods_billed - 1
    invoice = (
        Invoice.objects.filter(subscription=sub, period_index=index)
        .exclude(period_start__isnull=True)
        .exclude(period_end__isnull=True)
        .first()
    )
    if invoice is not None and invoice.period_start is not None and invoice.period_end is not None:
        return schedule.Period(index, invoice.period_start, invoice.period_end)
    anchor, anchor_period = sub.anchor
    if index < anchor_period:
        return None  # billed before a re-anchoring: no invoice to tell its dates
    return schedule.period(anchor, schedule.step_for(sub.billing_frequency), index - anchor_period)


def _names(items: list[SubscriptionLineItem]) -> str:
    return ", ".join(f"{item.name} × {item.quantity}" if item.quantity > 1 else item.name for item in items)


def _prorate(
    old: list[SubscriptionLineItem], new: list[SubscriptionLineItem], period: schedule.Period, today: date
) -> ProrationResult | None:
    """The credit and charge lines for the rest of ``period`` (None: no days left in it)."""
    old_amounts = [item.amounts for item in old]
    new_amounts = [item.amounts for item in new]
    net = prorating.swap(sum(a.net for a in old_amounts), sum(a.net for a in new_amounts), period, today)
    tax = prorating.swap(sum(a.tax for a in old_amounts), sum(a.tax for a in new_amounts), period, today)
    if net.days == 0:
        return None
    last_day = period.end - timedelta(days=1)
    span = period_text(max(today, period.start), last_day, "en")  # the lines' words are English
    lines = (
        ProratedLine(
            name=f"Unused time on {_names(old)}"[:200],
            description=f"Credit for {net.days} of {(period.end - period.start).days} days ({span})",
            amount_subtotal=net.credit,
            amount_tax=tax.credit,
            amount_total=net.credit + tax.credit,
        ),
        ProratedLine(
            name=f"Remaining time on {_names(new)}"[:200],
            description=f"{net.days} of {(period.end - period.start).days} days ({span})",
            amount_subtotal=net.charge,
            amount_tax=tax.charge,
            amount_total=net.charge + tax.charge,
        ),
    )
    return ProrationResult(
        period_start=max(today, period.start),
        period_end=period.end,
        days=net.days,
        period_days=(period.end - period.start).days,
        lines=lines,
        subtotal=net.difference,
        tax=tax.difference,
        total=net.difference + tax.difference,
    )


@dataclass
class _Plan:
    row: dict[str, Any]
    items: list[SubscriptionLineItem] | None
    proration: ProrationResult | None
    owner_id: OwnerChange = KEEP


def _plan(sub: Subscription, changes: SubscriptionChanges, proration: str, today: date) -> _Plan:
    """Every new value, checked; ValidationFailed naming every bad field."""
    errors: list[FieldError] = []
    if proration not in ("none", "prorate"):
        errors.append(FieldError("proration", "must be none or prorate"))
    row: dict[str, Any] = {}
    if changes.name is not None:
        name = checked_text("name", "name", changes.name, errors)
        if not name:
            errors.append(FieldError("name", gettext("must not be blank")))
        row["name"] = name
    contact = changes.contact or sub.contact
    if changes.contact is not None and changes.contact.pk != sub.contact_id:
        row["contact_id"] = contact.pk
        row["company_id"] = contact.company_id
    method = changes.payment_method or sub.payment_method
    if method is not None and (changes.payment_method is not None or "contact_id" in row):
        errors.extend(payment_method_errors(method, contact, list(sub.allowed_payment_methods)))
        row["payment_method_id"] = method.pk
    if changes.billing_address is not None:
        row.update(_address_changes(sub, changes.billing_address, contact, errors))
    if changes.next_payment_date is not None:
        row.update(_schedule_changes(sub, changes.next_payment_date, today, errors))
    items = _new_items(sub, changes.line_items, errors) if changes.line_items is not None else None
    owner_problem = owner_change_error(changes.owner_id, sub.owner_id)
    if owner_problem is not None:
        errors.append(owner_problem)
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
    prorated = None
    if items is not None:
        amounts = recurring_amounts((item.amounts for item in items), sub.billing_frequency)
        row["next_payment_amount"] = amounts.next_payment_amount
        row["line_items_mrr"] = amounts.mrr
        period = _current_period(sub) if proration == "prorate" else None
        if period is not None:
            prorated = _prorate(list(sub.line_items.all()), items, period, today)
    return _Plan(row=row, items=items, proration=prorated, owner_id=changes.owner_id)


def _changed(sub: Subscription, plan: _Plan) -> dict[str, tuple[Any, Any]]:
    changed = {
        _REPORTED.get(name, name): (getattr(sub, name), value)
        for name, value in plan.row.items()
        if getattr(sub, name) != value
    }
    if plan.items is not None:
        changed["line_items"] = (None, None)
    if plan.owner_id is not KEEP and plan.owner_id != sub.owner_id:
        changed["owner_id"] = (sub.owner_id, plan.owner_id)
    return changed


def _snapshots(items: list[SubscriptionLineItem]) -> list[dict[str, Any]]:
    return [events.snapshot(item, exclude=("subscription",)) for item in items]


def _replace_items(
    sub: Subscription, items: list[SubscriptionLineItem], actor: Actor
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    old = list(sub.line_items.all())
    for item in old:
        events.record(
            type="subscriptionlineitem.deleted",
            obj=item,
            actor=actor,
            before=events.snapshot(item),
        )
    SubscriptionLineItem.objects.filter(subscription=sub).delete()
    SubscriptionLineItem.objects.bulk_create(items)
    for item in items:
        events.record(type="subscriptionlineitem.created", obj=item, actor=actor, after=events.snapshot(item))
    return _snapshots(old), _snapshots(items)


def _prorated_invoice(
    sub: Subscription, prorated: ProrationResult, today: date, actor: Actor, at: datetime
) -> Invoice:
    """The prorated invoice: open (an upgrade, to collect) or a paid credit (a downgrade)."""
    credit = prorated.total < 0
    invoice = Invoice(
        **invoice_fields(sub),
        status=InvoiceStatus.PAID if credit else InvoiceStatus.OPEN,
        subtotal=prorated.subtotal,
        tax=prorated.tax,
        total=prorated.total,
        amount_due=prorated.total,  # a credit's negative amount due: what is owed back
        issued_on=today,
        due_on=today + timedelta(days=PAYMENT_TERM_DAYS[sub.payment_terms]),
        period_start=prorated.period_start,
        period_end=prorated.period_end,
        period_index=None,
        paid_at=at if credit else None,
    )
    invoice.number = take_numbers(account_settings().invoice_number_prefix, 1)[0]
    invoice.save(force_insert=True)
    lines = [
        InvoiceLine(
            invoice=invoice,
            subscription=sub,
            name=line.name,
            description=line.description,
            quantity=1,
            unit_amount=line.amount_subtotal,
            discount_percent=0,
            tax_rate_percent=0,
            amount_discount=0,
            amount_subtotal=line.amount_subtotal,
            amount_tax=line.amount_tax,
            amount_total=line.amount_total,
            period_start=prorated.period_start,
            period_end=prorated.period_end,
            position=position,
        )
        for position, line in enumerate(prorated.lines)
    ]
    InvoiceLine.objects.bulk_create(lines)
    events.record(
        type="invoice.created",
        obj=invoice,
        actor=actor,
        after={**events.snapshot(invoice), "lines": [events.snapshot(line) for line in lines]},
    )
    if not credit and sub.collection_method == CollectionMethod.SEND_INVOICE:
        email_queue(invoice_sent(sub, invoice, lines, account_settings()), at=at)
    return invoice


def _save(
    sub: Subscription, plan: _Plan, changed: dict[str, tuple[Any, Any]], actor: Actor, at: datetime
) -> tuple[Subscription, Invoice | None]:
    today = schedule.local_date(at, account_zone())
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=sub.pk)
        _check_editable(locked)
        before = events.snapshot(locked)
        for name, value in plan.row.items():
            setattr(locked, name, value)
        locked.updated_at = at
        locked.save()
        old_items: list[dict[str, Any]] = []
        new_items: list[dict[str, Any]] = []
        if plan.items is not None:
            old_items, new_items = _replace_items(locked, plan.items, actor)
        old, new = events.changes(before, events.snapshot(locked))
        if plan.items is not None:
            old["line_items"], new["line_items"] = old_items, new_items
        events.record(type="subscription.updated", obj=locked, actor=actor, before=old, after=new)
        if plan.owner_id is not KEEP:
            owner_assign(obj=locked, owner_id=plan.owner_id, actor=actor)
        invoice = None
        if plan.proration is not None and plan.proration.total != 0:
            invoice = _prorated_invoice(locked, plan.proration, today, actor, at)
            if _charged_now(locked, invoice):
                invoice_charge_queue(
                    invoice_id=invoice.pk, origin=PaymentOrigin.PRORATION, actor=actor, at=at
                )
        locked.contact = Contact.objects.get(pk=locked.contact_id)
        told = {name: values for name, values in changed.items() if name != "owner_id"}  # the team's
        email_queue(subscription_changed(locked, told, plan.proration, account_settings()), at=at)
    return locked, invoice


def _charged_now(sub: Subscription, invoice: Invoice) -> bool:
    """An upgrade's invoice is charged to the saved method (a downgrade's credit, or an invoice
    sent to be paid, is not)."""
    return (
        invoice.status == InvoiceStatus.OPEN
        and sub.collection_method == CollectionMethod.CHARGE_AUTOMATICALLY
    )


def _charge(sub: Subscription, invoice: Invoice | None, at: datetime) -> str | None:
    """Run the upgrade's charge right after the edit committed; its payment (None: nothing charged).

    The charge is a job of the edit's transaction: no answer from the gateway leaves the payment
    on its way (the reconciler settles it), a worker runs the job should this process stop first.
    """
    if invoice is None or not _charged_now(sub, invoice):
        return None
    job_run_now(dedupe_key=f"charge:{invoice.pk}:saved", at=at)
    return (
        Payment.objects.filter(invoice=invoice)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )


def _owner_change(
    subscription: Subscription, owner_id: OwnerChange, *, actor: Actor, preview: bool
) -> ChangeResult:
    """An edit of the owner alone: ``owner_assign`` (or, previewed, only checked), whatever the status."""
    current = Subscription.objects.get(pk=subscription.pk)
    assert owner_id is not KEEP
    problem = owner_change_error(owner_id, current.owner_id)
    if problem is not None:
        raise ValidationFailed(f"{problem.field}: {problem.message}", errors=[problem])
    changed = {"owner_id": (current.owner_id, owner_id)} if owner_id != current.owner_id else {}
    saved = False
    if not preview:
        saved = owner_assign(obj=current, owner_id=owner_id, actor=actor)
    current.owner_id = owner_id
    return ChangeResult(current, tuple(current.line_items.all()), changed, None, saved=saved)


def subscription_change(
    *,
    subscription: Subscription,
    changes: SubscriptionChanges,
    proration: str = "none",
    actor: Actor,
    at: datetime,
    preview: bool = False,
) -> ChangeResult:
    """Edit ``subscription`` (or, with ``preview``, only say what the edit would do).

    A saved edit with nothing changed writes nothing and sends no email.
    """
    if changes.owner_only():
        return _owner_change(subscription, changes.owner_id, actor=actor, preview=preview)
    current = Subscription.objects.select_related("contact", "payment_method").get(pk=subscription.pk)
    _check_editable(current)
    today = schedule.local_date(at, account_zone())
    plan = _plan(current, changes, proration, today)
    changed = _changed(current, plan)
    if preview or not changed:
        items = plan.items if plan.items is not None else list(current.line_items.all())
        for name, value in plan.row.items():
            setattr(current, name, value)
        if "owner_id" in changed:
            current.owner_id = changed["owner_id"][1]
        current.mrr = mrr_in_status(current.status, current.line_items_mrr)  # as the database would derive it
        return ChangeResult(current, tuple(items), changed, plan.proration, saved=False)
    if set(changed) == {"owner_id"}:  # the rest sent as it was: the owner alone changes
        return _owner_change(current, plan.owner_id, actor=actor, preview=False)
    saved, invoice = _save(current, plan, changed, actor, at)
    payment_id = _charge(saved, invoice, at)
    prorated = plan.proration
    if prorated is not None:
        if invoice is not None:
            invoice.refresh_from_db()
        prorated = dataclasses.replace(prorated, invoice=invoice, payment_id=payment_id)
    saved.refresh_from_db()
    return ChangeResult(saved, tuple(saved.line_items.all()), changed, prorated, saved=True)
