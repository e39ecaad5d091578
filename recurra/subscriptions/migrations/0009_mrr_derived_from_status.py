"""MRR counts only while a subscription recurs: ``line_items_mrr`` keeps the lines' figure, and
``mrr`` is derived by the database from it and the status."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0008_index_keyset_indexes")]

    operations = [
        migrations.RenameField("subscription", "mrr", "line_items_mrr"),
        migrations.AlterField(
            model_name="subscription",
            name="line_items_mrr",
            field=models.BigIntegerField(
                default=0,
                help_text="the line items' net recurring total normalised to a month, whatever the status",
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="mrr",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(status__in=("active", "past_due"), then=models.F("line_items_mrr")),
                    default=models.Value(0),
                    output_field=models.BigIntegerField(),
                ),
                output_field=models.BigIntegerField(),
            ),
        ),
    ]
