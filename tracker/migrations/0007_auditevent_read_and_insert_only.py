"""On PostgreSQL, no role but the audit table's owner may change or remove its rows.

scripts/db-roles.sql sets default privileges so that the app's role may read
and write every table the migrations role creates. On a new database the
script runs before the first migrate, so migration 0002 creates
tracker_auditevent with UPDATE and DELETE for the app role as well. This
migration takes back from every role other than the owner whatever goes beyond
SELECT and INSERT. It names no role, so it works whatever the operator called
them, and it changes nothing where no such grant exists (a single-role set-up,
the test databases, SQLite). A later migration that recreates the table must
run NARROW again, as it must recreate 0003's trigger; tests/test_db_roles.py
fails if it does not.
"""

from django.db import migrations

NARROW = """
DO $$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN
        SELECT DISTINCT
            CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END
        FROM pg_class, aclexplode(pg_class.relacl) AS acl
        WHERE pg_class.oid = 'tracker_auditevent'::regclass
          AND acl.grantee <> pg_class.relowner
          AND acl.privilege_type NOT IN ('SELECT', 'INSERT')
    LOOP
        EXECUTE format(
            'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON tracker_auditevent FROM %s',
            grantee
        );
    END LOOP;
END
$$;
"""


def narrow_grants(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NARROW, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0006_score_and_note_validators"),
    ]

    operations = [
        # Nothing to undo: putting UPDATE and DELETE back would be the attack.
        migrations.RunPython(narrow_grants, migrations.RunPython.noop),
    ]
