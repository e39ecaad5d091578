"""Emails that went (or never will) before buyer tokens were redacted: their bodies and data keep
each buyer link with the token replaced (``core.redaction``); queued ones keep theirs to be sent."""

from django.db import migrations
from django.db.models import Q

from recurra.core.redaction import BUYER_PATHS, redact, redact_data


def forwards(apps, schema_editor):
    EmailMessage = apps.get_model("notifications", "EmailMessage")
    mentions = Q()
    for prefix in BUYER_PATHS:
        mentions |= Q(text_body__contains=prefix) | Q(html_body__contains=prefix)
    gone = EmailMessage.objects.filter(status__in=["sent", "logged", "failed"])
    for email in gone.filter(mentions | Q(kind__in=["invoice", "payment_failed", "payment_method_update"])).iterator():
        kept = {
            "text_body": redact(email.text_body),
            "html_body": redact(email.html_body),
            "data": redact_data(email.data),
        }
        changed = {name: value for name, value in kept.items() if value != getattr(email, name)}
        if changed:
            EmailMessage.objects.filter(pk=email.pk).update(**changed)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
