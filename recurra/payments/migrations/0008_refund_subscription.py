from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0007_payment_origin_online_checkout"), ("subscriptions", "0009_mrr_derived_from_status")]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="subscription",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=models.deletion.DO_NOTHING,
                related_name="refunds",
                to="subscriptions.subscription",
            ),
        ),
    ]
