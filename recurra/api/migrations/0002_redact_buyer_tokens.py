"""Stored idempotent answers keep no buyer token (``core.redaction``): those kept before lose theirs."""

from django.db import migrations

from recurra.core.redaction import redact_bytes


def forwards(apps, schema_editor):
    IdempotencyRecord = apps.get_model("api", "IdempotencyRecord")
    for record in IdempotencyRecord.objects.exclude(response_body=None).iterator():
        body = bytes(record.response_body)
        kept = redact_bytes(body)
        if kept != body:
            IdempotencyRecord.objects.filter(pk=record.pk).update(response_body=kept)


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
