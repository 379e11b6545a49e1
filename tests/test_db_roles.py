"""The app's own database role cannot erase or rewrite the audit trail (PostgreSQL only).

When one role runs both `manage.py migrate` and the app, it owns every table:
it may TRUNCATE the audit table, disable or drop its append-only trigger, or
drop the table. scripts/db-roles.sql splits that role in two (README, "Running
in production"): a migrations role that owns everything, and an app role that
only reads and writes rows, and on the audit table only reads and adds them.

Each test runs against two scratch databases set up as an operator would:
a new one (the script, then migrate as the migrations role) and one in use
(migrated and served by a single role, then the script). Role and database
names are unique to the run, because several people share the test server, and
are dropped at the end. The roles have no passwords: the server must trust
local connections, as CI's does.
"""

import json
import os
import secrets
import shutil
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
SCRIPT = ROOT / "scripts" / "db-roles.sql"
AUDIT = "tracker_auditevent"
LATER = "tracker_later_migration"
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


def run(command, **env):
    """Run command from the project's folder; its output, or a failure that shows its errors."""
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        pytest.fail(f"{' '.join(command[:3])} ... exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def manage(role, dbname, *args):
    """Run manage.py as production runs it, connected as role."""
    return run(
        [sys.executable, "manage.py", *args],
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=url(role, dbname),
    )


def psql_script(dbname, app_role, migrations_role):
    """The operator's command: scripts/db-roles.sql run by psql as the superuser."""
    # A failure, not a skip: on PostgreSQL this test is the proof of item 6, and a
    # machine with the server has its client (Debian's postgresql-client).
    assert shutil.which("psql"), "psql, which runs scripts/db-roles.sql, is not installed"
    where = server()
    command = ["psql", "-X", "-q", "-v", f"app_role={app_role}"]
    command += ["-v", f"migrations_role={migrations_role}", "-f", str(SCRIPT)]
    command.append(url(where["user"], dbname))
    env = {"PGPASSWORD": where["password"]} if where["password"] else {}
    return command, env


def run_script(dbname, app_role, migrations_role):
    command, env = psql_script(dbname, app_role, migrations_role)
    return run(command, **env)


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


def set_up_new_database(names):
    """An operator's first installation: the script creates the roles, then migrate."""
    with connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{names["db"]}"')
    run_script(names["db"], names["app"], names["migrations"])
    manage(names["migrations"], names["db"], "migrate", "--no-input", "-v0")


def set_up_database_in_use(names):
    """The set-up before the script: one role created the tables and serves the app."""
    with connect("postgres") as admin:
        admin.execute(f'CREATE ROLE "{names["app"]}" LOGIN')
        admin.execute(f'CREATE DATABASE "{names["db"]}" OWNER "{names["app"]}"')
    manage(names["app"], names["db"], "migrate", "--no-input", "-v0")
    run_script(names["db"], names["app"], names["migrations"])
    manage(names["migrations"], names["db"], "migrate", "--no-input", "-v0")


SET_UPS = {"new database": set_up_new_database, "database in use": set_up_database_in_use}


@pytest.fixture(scope="module", params=SET_UPS.values(), ids=SET_UPS.keys())
def deployment(request):
    """A scratch database under the two roles, a later migration's table, the app at work on it."""
    suffix = secrets.token_hex(4)
    names = {
        "db": f"relief_roles_{suffix}",
        "app": f"relief_app_{suffix}",
        "migrations": f"relief_migrations_{suffix}",
    }
    try:
        request.param(names)
        # A table that a later migration adds, created as migrate would create it.
        with connect(names["db"], role=names["migrations"]) as migrations:
            migrations.execute(f"CREATE TABLE {LATER} (id bigint GENERATED BY DEFAULT AS IDENTITY)")
        output = manage(names["app"], names["db"], "shell", "-c", APP_AT_WORK)
        names["app at work"] = json.loads(output.splitlines()[-1])
        yield names
    finally:
        with connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{names["app"]}"')
            admin.execute(f'DROP ROLE IF EXISTS "{names["migrations"]}"')


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


def test_the_app_role_cannot_act_as_the_migrations_role(deployment, as_app):
    error = attempt(as_app, f'SET ROLE "{deployment["migrations"]}"')

    assert isinstance(error, psycopg.errors.InsufficientPrivilege), error


ROWS = {"SELECT", "INSERT", "UPDATE", "DELETE"}
EVERY_TABLE_PRIVILEGE = [*ROWS, "TRUNCATE", "REFERENCES", "TRIGGER"]


def test_the_app_role_may_read_and_write_rows_and_only_add_to_the_audit_trail(deployment, as_app):
    granted = dict(
        as_app.execute(
            """
            SELECT relname, coalesce(array_agg(privilege) FILTER (
                WHERE has_table_privilege(current_user, pg_class.oid, privilege)), '{}')
            FROM pg_class, unnest(%s::text[]) AS privilege
            WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v')
            GROUP BY relname
            """,
            [EVERY_TABLE_PRIVILEGE],
        ).fetchall()
    )

    assert set(granted.pop(AUDIT)) == {"SELECT", "INSERT"}
    # Every other table, the later migration's included, by default privileges.
    assert LATER in granted
    others = {table: set(privileges) for table, privileges in granted.items()}
    assert others == dict.fromkeys(granted, ROWS)
    # Its id sequence needs no grant of its own: identity columns fill on INSERT.
    assert as_app.execute(f"INSERT INTO {LATER} DEFAULT VALUES RETURNING id").fetchone()[0] == 1


def test_the_migrations_role_owns_the_database_and_everything_in_it(deployment, as_app):
    owners = as_app.execute(
        """
        SELECT 'database', datdba::regrole::text FROM pg_database
            WHERE datname = current_database()
        UNION SELECT 'schema', nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'
        UNION SELECT relname, relowner::regrole::text FROM pg_class
            WHERE relnamespace = 'public'::regnamespace
        UNION SELECT proname, proowner::regrole::text FROM pg_proc
            WHERE pronamespace = 'public'::regnamespace
        """
    ).fetchall()

    assert {"database", "schema", AUDIT, TRIGGER} <= {name for name, _ in owners}
    assert {owner for _, owner in owners} == {deployment["migrations"]}


def test_the_script_refuses_a_superuser_as_the_app_role(deployment):
    command, env = psql_script(deployment["db"], server()["user"], deployment["migrations"])

    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)

    assert done.returncode != 0
    assert "is a superuser" in done.stderr


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
