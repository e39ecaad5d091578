from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0006_invoice_shipping_address"), ("subscriptions", "0009_mrr_derived_from_status")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="amount_refunded",
            field=models.BigIntegerField(
                default=0, help_text="given back from its payments; amount_paid stays what was paid"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(amount_refunded__gte=0, amount_refunded__lte=models.F("amount_paid")),
                name="invoice_refunded_within_paid",
            ),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="subscription",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=models.deletion.DO_NOTHING,
                related_name="invoice_lines",
                to="subscriptions.subscription",
            ),
        ),
        migrations.AddIndex(
            model_name="invoiceline",
            index=models.Index(
                condition=models.Q(subscription__isnull=False),
                fields=["subscription"],
                name="invoice_line_subscription",
            ),
        ),
    ]
