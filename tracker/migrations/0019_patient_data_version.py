"""Patient.data_version, changed by the database itself on every write that a worklist
row reads (issue 21): the patient row, and the rows of TOUCHING tables that belong to a
patient, inserted, updated or deleted; and a practitioner's name, which the rows of
the patients they reviewed show.

Triggers, not signals or save() methods: bulk_create, update(), delete() of a queryset,
COPY and raw SQL all bypass those, and a cached row that survives a write would be
a stale row. The version is drawn at random (62 bits) instead of counted up, so a
database put back from a backup, or a test's rolled-back one, never repeats a version
for other data.

PostgreSQL: the patient row's own trigger draws the version BEFORE each INSERT or
UPDATE, whatever the statement wrote (a save() of a stale instance writes its old
version back); the other tables touch their patients' rows once per statement, from
its transition tables, so a COPY of a million entries is one UPDATE per patient.
SQLite has no statement triggers: a row trigger each; its triggers do not fire
themselves again (PRAGMA recursive_triggers is off, as Django leaves it).
"""

from django.db import migrations, models

import tracker.models

# Tables whose rows belong to a patient (patient_id) and that a worklist row reads.
# tests/test_worklist_cache.py checks that rows_for reads no patient table but these.
TOUCHING = ["tracker_symptomentry", "tracker_treatmentsession", "tracker_flagreview",
            "tracker_weeklyanswer"]  # fmt: skip

PG_DRAW = "floor(random() * 4611686018427387904)::bigint"

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION tracker_patient_draw_version() RETURNS trigger AS $$
BEGIN
    NEW.data_version := {PG_DRAW};
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION tracker_touch_patients() RETURNS trigger AS $$
BEGIN
    -- The patient's own trigger draws the new version.
    IF TG_OP = 'INSERT' THEN
        UPDATE tracker_patient SET data_version = 0
        WHERE id IN (SELECT patient_id FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE tracker_patient SET data_version = 0
        WHERE id IN (SELECT patient_id FROM new_rows UNION SELECT patient_id FROM old_rows);
    ELSE
        UPDATE tracker_patient SET data_version = 0
        WHERE id IN (SELECT patient_id FROM old_rows);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION tracker_touch_reviewed_patients() RETURNS trigger AS $$
BEGIN
    UPDATE tracker_patient SET data_version = 0
    WHERE id IN (SELECT patient_id FROM tracker_flagreview WHERE reviewer_id = NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tracker_patient_data_version
    BEFORE INSERT OR UPDATE ON tracker_patient
    FOR EACH ROW EXECUTE FUNCTION tracker_patient_draw_version();

CREATE TRIGGER tracker_practitioner_touch_reviewed
    AFTER UPDATE OF display_name ON tracker_practitioner
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION tracker_touch_reviewed_patients();
"""

PG_TABLE = """
CREATE TRIGGER {table}_touch_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tracker_touch_patients();
CREATE TRIGGER {table}_touch_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tracker_touch_patients();
CREATE TRIGGER {table}_touch_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tracker_touch_patients();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS tracker_patient_data_version ON tracker_patient;
DROP TRIGGER IF EXISTS tracker_practitioner_touch_reviewed ON tracker_practitioner;
{tables}
DROP FUNCTION IF EXISTS tracker_patient_draw_version();
DROP FUNCTION IF EXISTS tracker_touch_patients();
DROP FUNCTION IF EXISTS tracker_touch_reviewed_patients();
"""

PG_DROP_TABLE = """
DROP TRIGGER IF EXISTS {table}_touch_insert ON {table};
DROP TRIGGER IF EXISTS {table}_touch_update ON {table};
DROP TRIGGER IF EXISTS {table}_touch_delete ON {table};
"""

SQLITE_DRAW = "UPDATE tracker_patient SET data_version = random() WHERE id"

SQLITE_PATIENT = [
    f"""CREATE TRIGGER tracker_patient_data_version_insert AFTER INSERT ON tracker_patient
    BEGIN {SQLITE_DRAW} = NEW.id; END""",
    f"""CREATE TRIGGER tracker_patient_data_version_update AFTER UPDATE ON tracker_patient
    BEGIN {SQLITE_DRAW} = NEW.id; END""",
    f"""CREATE TRIGGER tracker_practitioner_touch_reviewed
    AFTER UPDATE OF display_name ON tracker_practitioner
    WHEN OLD.display_name IS NOT NEW.display_name
    BEGIN {SQLITE_DRAW} IN
        (SELECT patient_id FROM tracker_flagreview WHERE reviewer_id = NEW.id); END""",
]

SQLITE_TABLE = [
    f"""CREATE TRIGGER {{table}}_touch_insert AFTER INSERT ON {{table}}
    BEGIN {SQLITE_DRAW} = NEW.patient_id; END""",
    f"""CREATE TRIGGER {{table}}_touch_update AFTER UPDATE ON {{table}}
    BEGIN {SQLITE_DRAW} IN (OLD.patient_id, NEW.patient_id); END""",
    f"""CREATE TRIGGER {{table}}_touch_delete AFTER DELETE ON {{table}}
    BEGIN {SQLITE_DRAW} = OLD.patient_id; END""",
]

SQLITE_TRIGGER_NAMES = [
    "tracker_patient_data_version_insert",
    "tracker_patient_data_version_update",
    "tracker_practitioner_touch_reviewed",
] + [f"{table}_touch_{op}" for table in TOUCHING for op in ("insert", "update", "delete")]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        tables = "".join(PG_TABLE.format(table=table) for table in TOUCHING)
        schema_editor.execute(PG_FUNCTIONS + tables, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_PATIENT:
            schema_editor.execute(statement, params=None)
        for table in TOUCHING:
            for statement in SQLITE_TABLE:
                schema_editor.execute(statement.format(table=table), params=None)
    else:
        raise NotImplementedError(f"No data_version triggers for {vendor}.")
    # AddField gave every existing patient the same version: draw one each.
    schema_editor.execute("UPDATE tracker_patient SET data_version = 0", params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        tables = "".join(PG_DROP_TABLE.format(table=table) for table in TOUCHING)
        schema_editor.execute(PG_DROP.format(tables=tables), params=None)
    else:
        for name in SQLITE_TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0018_user_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="data_version",
            field=models.BigIntegerField(default=tracker.models.new_data_version, editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
