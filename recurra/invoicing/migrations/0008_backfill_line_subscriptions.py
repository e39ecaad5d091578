"""Existing data in the line-level model.

- Every line of an invoice of one subscription is that subscription's; a
  purchase invoice's line that bills a subscription's line item (``line_item_id``)
  is that subscription's. A purchase invoice with lines of exactly one
  subscription, and its payments, now name it.
- Refunds made so far count against their payment's subscription; each
  invoice's ``amount_refunded`` and each subscription's ``total_collected``
  become net of them.
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Sum


def forwards(apps, schema_editor):
    Invoice = apps.get_model("invoicing", "Invoice")
    InvoiceLine = apps.get_model("invoicing", "InvoiceLine")
    Item = apps.get_model("subscriptions", "SubscriptionLineItem")
    Subscription = apps.get_model("subscriptions", "Subscription")
    Payment = apps.get_model("payments", "Payment")
    Refund = apps.get_model("payments", "Refund")

    for invoice_id, sub_id in Invoice.objects.exclude(subscription_id=None).values_list("pk", "subscription_id"):
        InvoiceLine.objects.filter(invoice_id=invoice_id).update(subscription_id=sub_id)
    owner = dict(Item.objects.values_list("pk", "subscription_id"))
    subs_of = defaultdict(set)
    for line in InvoiceLine.objects.filter(subscription_id=None).exclude(line_item_id=""):
        if line.line_item_id in owner:
            line.subscription_id = owner[line.line_item_id]
            line.save(update_fields=["subscription_id"])
            subs_of[line.invoice_id].add(line.subscription_id)
    for invoice_id, subs in subs_of.items():
        if len(subs) == 1 and not Invoice.objects.filter(pk=invoice_id).exclude(subscription_id=None).exists():
            (sub_id,) = subs
            Invoice.objects.filter(pk=invoice_id).update(subscription_id=sub_id)
            Payment.objects.filter(invoice_id=invoice_id, subscription_id=None).update(subscription_id=sub_id)

    for refund in Refund.objects.filter(subscription_id=None).select_related("payment"):
        if refund.payment.subscription_id:
            refund.subscription_id = refund.payment.subscription_id
            refund.save(update_fields=["subscription_id"])
    refunded = Payment.objects.filter(amount_refunded__gt=0)
    for invoice_id, total in refunded.values_list("invoice_id").annotate(total=Sum("amount_refunded")):
        Invoice.objects.filter(pk=invoice_id).update(amount_refunded=total)
    done = Refund.objects.filter(status="succeeded").exclude(subscription_id=None)
    for sub_id, total in done.values_list("subscription_id").annotate(total=Sum("amount")):
        sub = Subscription.objects.filter(pk=sub_id).first()
        if sub is not None:
            sub.total_collected = max(sub.total_collected - total, 0)
            sub.save(update_fields=["total_collected"])


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0007_lines_carry_subscription"),
        ("payments", "0008_refund_subscription"),
        ("subscriptions", "0009_mrr_derived_from_status"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
