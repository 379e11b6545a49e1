"""The app's own database role cannot erase or rewrite the audit trail (PostgreSQL only).

Today one role runs both `manage.py migrate` and the app, so it owns every
table: it may TRUNCATE the audit table, disable its append-only trigger or
drop it. These tests build a scratch database of their own on the test
server, with role and database names unique to the run (several people share
the server), migrate it as the production steps say, and attack the audit
table as the role the app connects with.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tracker.models import AuditAction

psycopg = pytest.importorskip("psycopg")

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="database roles and privileges exist on PostgreSQL only; SQLite has neither",
)

ROOT = Path(__file__).resolve().parent.parent
AUDIT = "tracker_auditevent"
TRIGGER = "tracker_auditevent_append_only"


def server():
    """Host, port and superuser of the PostgreSQL server the suite runs on."""
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or "5432",
        "user": settings["USER"] or "postgres",
        "password": settings["PASSWORD"] or None,
    }


def url(role, dbname):
    """A DATABASE_URL for role on the scratch database (trust or ~/.pgpass supplies passwords)."""
    where = server()
    return f"postgres://{role}@{where['host']}:{where['port']}/{dbname}"


def connect(dbname, role=None):
    where = server()
    user = role or where["user"]
    password = None if role else where["password"]
    return psycopg.connect(
        host=where["host"],
        port=where["port"],
        user=user,
        password=password,
        dbname=dbname,
        autocommit=True,
    )


def manage(role, dbname, *args):
    """Run manage.py as the app would be run in production, connected as role."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url(role, dbname),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


# The app at work, connected as the app role: a patient signs in, opens the
# check-in form, saves a check-in, reads their history and signs out; someone
# else fails a sign-in. That writes the session, django-axes, user-session,
# entry and audit tables, and deletes rows from some of them.
APP_AT_WORK = """
import json, uuid
import django
django.setup()
from django.contrib.auth.models import User
from django.test import Client
from tracker.models import AuditEvent, Patient, Practitioner, SymptomEntry

password = "correct horse battery staple"
practitioner = Practitioner.objects.create(
    user=User.objects.create_user("xavier", password=password), display_name="Dr Xavier"
)
Patient.objects.create(
    user=User.objects.create_user("alice", password=password),
    display_name="Alice Archer",
    practitioner=practitioner,
)
client = Client()
steps = {
    "sign in": client.post("/accounts/login/", {"username": "alice", "password": password}),
    "form": client.get("/log/"),
    "check-in": client.post("/log/", {
        "pain": "5", "numbness": "4", "tingling": "3", "when": "now", "recorded_at": "",
        "locations": ["feet_left"], "note": "Burning at night", "token": str(uuid.uuid4()),
    }),
    "history": client.get("/history/"),
    "sign out": client.post("/accounts/logout/"),
    "wrong password": Client().post("/accounts/login/", {"username": "xavier", "password": "no"}),
}
print(json.dumps({
    "status": {step: response.status_code for step, response in steps.items()},
    "entries": SymptomEntry.objects.count(),
    "audit": sorted(AuditEvent.objects.values_list("action", flat=True)),
}))
"""


@pytest.fixture(scope="module")
def deployment():
    """Today's production set-up: one role creates the tables (migrate) and runs the app."""
    suffix = secrets.token_hex(4)
    names = {"db": f"relief_roles_{suffix}", "app": f"relief_app_{suffix}"}
    with connect("postgres") as admin:
        admin.execute(f'CREATE ROLE "{names["app"]}" LOGIN')
        admin.execute(f'CREATE DATABASE "{names["db"]}" OWNER "{names["app"]}"')
    try:
        manage(names["app"], names["db"], "migrate", "--no-input", "-v0")
        result = manage(names["app"], names["db"], "shell", "-c", APP_AT_WORK)
        names["app at work"] = json.loads(result.stdout.splitlines()[-1])
        yield names
    finally:
        with connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{names["app"]}"')


@pytest.fixture
def as_app(deployment):
    with connect(deployment["db"], role=deployment["app"]) as conn:
        yield conn


def attempt(conn, statement):
    """Run statement in a transaction that is always rolled back; the error it raised, or None."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(statement)
    except psycopg.Error as error:
        return error
    return None


def audit_owner(conn):
    return conn.execute(
        f"SELECT relowner::regrole::text FROM pg_class WHERE oid = '{AUDIT}'::regclass"
    ).fetchone()[0]


ATTACKS = {
    "update": f"UPDATE {AUDIT} SET detail = 'rewritten'",
    "delete": f"DELETE FROM {AUDIT}",
    "truncate": f"TRUNCATE {AUDIT}",
    "disable the trigger": f"ALTER TABLE {AUDIT} DISABLE TRIGGER {TRIGGER}",
    "drop the trigger": f"DROP TRIGGER {TRIGGER} ON {AUDIT}",
    "replace the trigger's function": (
        f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger"
        " AS 'BEGIN RETURN OLD; END' LANGUAGE plpgsql"
    ),
    # A BEFORE INSERT trigger that returns NULL would silently drop every new row.
    "add a trigger": (
        f"CREATE TRIGGER drop_new_rows BEFORE INSERT ON {AUDIT}"
        f" FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"
    ),
    "alter the table": f"ALTER TABLE {AUDIT} ADD COLUMN forged text",
    "rename the table": f"ALTER TABLE {AUDIT} RENAME TO old_audit",
    "drop the table": f"DROP TABLE {AUDIT}",
    # The owner of a schema may drop it with everything in it, whoever owns the tables.
    "drop the schema": "DROP SCHEMA public CASCADE",
    # Turns off every ordinary trigger for the session.
    "replica mode": "SET session_replication_role = replica",
    "create a table": "CREATE TABLE public.scratch (id int)",
    "alter another table": "ALTER TABLE tracker_symptomentry ADD COLUMN extra int",
}


@pytest.mark.parametrize("statement", ATTACKS.values(), ids=ATTACKS.keys())
def test_the_app_role_cannot_erase_or_rewrite_the_audit_trail(as_app, statement):
    rows = as_app.execute(f"SELECT count(*) FROM {AUDIT}").fetchone()[0]

    error = attempt(as_app, statement)

    assert error is not None, f"the app role was allowed to run: {statement}"
    assert isinstance(error, psycopg.errors.InsufficientPrivilege), error
    assert as_app.execute(f"SELECT count(*) FROM {AUDIT}").fetchone()[0] == rows


def test_the_app_role_cannot_become_the_tables_owner(as_app):
    owner = audit_owner(as_app)

    error = attempt(as_app, f'SET ROLE "{owner}"')

    assert isinstance(error, psycopg.errors.InsufficientPrivilege), (
        f"the app role may act as the audit table's owner {owner}"
    )


def test_the_app_works_under_its_role(deployment):
    at_work = deployment["app at work"]

    assert at_work["status"] == {
        "sign in": 302,
        "form": 200,
        "check-in": 302,
        "history": 200,
        "sign out": 302,
        "wrong password": 200,
    }
    assert at_work["entries"] == 1
    recorded = {AuditAction.LOGIN, AuditAction.CREATE, AuditAction.LOGOUT, AuditAction.LOGIN_FAILED}
    assert recorded <= set(at_work["audit"])
