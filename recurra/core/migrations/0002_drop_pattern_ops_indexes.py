"""Drop the ``varchar_pattern_ops`` indexes Django made before ``core.backends.postgresql``.

Databases created since never get them; this clears those created before.
PostgreSQL only; nothing to undo (the indexes were never used).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


RECURRA_APPS = {
    "core",
    "accounts",
    "crm",
    "catalog",
    "jobs",
    "notifications",
    "payments",
    "gateways",
    "subscriptions",
    "invoicing",
    "api",
}


def drop_pattern_ops_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in apps.get_models() if m._meta.app_label in RECURRA_APPS]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = ANY(%s) AND indexdef LIKE '%%\\_pattern\\_ops%%'",
            [sorted(set(tables))],
        )
        for (name,) in cursor.fetchall():
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("accounts", "0002_accountsettings"),
        ("api", "0001_initial"),
        ("crm", "0001_initial"),
        ("catalog", "0001_initial"),
        ("jobs", "0001_initial"),
        ("notifications", "0001_initial"),
        ("payments", "0002_initial"),
        ("gateways", "0001_initial"),
        ("subscriptions", "0003_fk_index_led_by_composite"),
        ("invoicing", "0003_fk_index_led_by_composite"),
    ]
    operations = [migrations.RunPython(drop_pattern_ops_indexes, migrations.RunPython.noop)]
