"""On PostgreSQL, make the audit table append-only below the ORM.

A trigger refuses every UPDATE and DELETE of tracker_auditevent, whoever sends
it (raw SQL, a shell, a bug). SQLite has no such guard; there the model and its
queryset refuse instead. TRUNCATE is left alone so that `manage.py flush` and
transactional tests still work; against the table's owner the real defence is
a database role that may only INSERT and SELECT this table.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tracker_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tracker_auditevent is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tracker_auditevent_append_only
    BEFORE UPDATE OR DELETE ON tracker_auditevent
    FOR EACH ROW EXECUTE FUNCTION tracker_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS tracker_auditevent_append_only ON tracker_auditevent;
DROP FUNCTION IF EXISTS tracker_auditevent_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0002_auditevent"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
    ]
