from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0009_mrr_derived_from_status")]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="cancel_refund",
            field=models.CharField(
                blank=True,
                help_text="canceled now: what its refund choice was (none or prorated); a charge still on its "
                "way then is refunded by the same choice once it succeeds",
                max_length=10,
            ),
        ),
    ]
