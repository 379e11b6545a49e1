-- Split Relief Tracker's PostgreSQL database between two roles, so that the app
-- cannot erase or rewrite its own audit trail.
--
--   migrations role  owns the database, the public schema and everything in it;
--                    runs `manage.py migrate`. The app never connects as it.
--   app role         the app's DATABASE_URL. Reads and writes rows: SELECT,
--                    INSERT, UPDATE, DELETE on every table, but only SELECT and
--                    INSERT on tracker_auditevent. It owns nothing, so it can run
--                    no DDL: no TRUNCATE, ALTER TABLE, DISABLE TRIGGER or DROP.
--
-- Run it as a superuser (or the admin user of a managed database), connected
-- to the app's database, before the first `migrate` of a new database or on a
-- database that is already in use:
--
--   psql "postgres://postgres@HOST:5432/relief" -v app_role=relief_app \
--        -v migrations_role=relief_migrations -f scripts/db-roles.sql
--
-- Both names are optional (those are the defaults). Missing roles are created
-- with LOGIN and no password; set one with `\password relief_app` in psql. It
-- may be run again at any time: every step leaves things as described above.
-- On a database in use it makes the migrations role the owner of every table,
-- so the role the app used so far (pass its name as app_role) loses ownership.
--
-- Tables that later migrations create: they are created by the migrations
-- role, and the default privileges below grant the app role SELECT, INSERT,
-- UPDATE and DELETE on them. The audit table is the one exception; migration
-- 0007 takes UPDATE and DELETE on it back from every role but its owner.
--
-- Sequences: Django makes its id columns identity columns, which PostgreSQL
-- fills on the table's INSERT privilege alone, so the app role gets nothing on
-- the sequences (it cannot call nextval or setval to leave gaps in the ids).

\set ON_ERROR_STOP on

\if :{?app_role}
\else
    \set app_role relief_app
\endif
\if :{?migrations_role}
\else
    \set migrations_role relief_migrations
\endif

-- Refuse an app role that could get round the grants: a superuser ignores
-- them, and a role that may create roles or databases, bypass row security or
-- act as the migrations role could give itself the owner's rights.
SELECT format(
    'DO $refuse$ BEGIN RAISE EXCEPTION %L; END $refuse$',
    format(
        'The app role %s is a superuser, may create roles or databases, bypasses '
        'row security or is a member of %s: choose another app role.',
        rolname, :'migrations_role'
    )
)
FROM pg_roles
WHERE rolname = :'app_role'
  AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication
       OR :'app_role' = :'migrations_role'
       OR CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = :'migrations_role')
               THEN pg_has_role(:'app_role', :'migrations_role', 'MEMBER') END)
\gexec

BEGIN;

-- 1. The two roles, if they do not exist yet.
SELECT format('CREATE ROLE %I LOGIN', :'migrations_role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'migrations_role')
\gexec
SELECT format('CREATE ROLE %I LOGIN', :'app_role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_role')
\gexec

-- 2. The migrations role owns the database and the public schema. Whoever owns
-- a schema may drop it with every table in it, so that must not be the app.
ALTER DATABASE :"DBNAME" OWNER TO :"migrations_role";
ALTER SCHEMA public OWNER TO :"migrations_role";
-- Before PostgreSQL 15 every role could create tables in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";

-- 3. ... and everything in the schema: tables (with their id sequences), other
-- sequences, and functions such as the audit table's trigger function, which
-- its owner could rewrite to let every change through.
SELECT format('ALTER TABLE %s OWNER TO %I', oid::regclass, :'migrations_role')
FROM pg_class
WHERE relnamespace = 'public'::regnamespace
  AND relkind IN ('r', 'p')
  AND relowner <> :'migrations_role'::regrole
\gexec
SELECT format('ALTER SEQUENCE %s OWNER TO %I', oid::regclass, :'migrations_role')
FROM pg_class
WHERE relnamespace = 'public'::regnamespace
  AND relkind = 'S'
  AND relowner <> :'migrations_role'::regrole
  -- Sequences that belong to a column moved with their table just above.
  AND NOT EXISTS (
      SELECT FROM pg_depend
      WHERE classid = 'pg_class'::regclass AND objid = pg_class.oid AND deptype IN ('a', 'i')
  )
\gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', oid::regprocedure, :'migrations_role')
FROM pg_proc
WHERE pronamespace = 'public'::regnamespace
  AND proowner <> :'migrations_role'::regrole
\gexec

-- 4. The app role reads and writes rows of every table, nothing more (no
-- TRUNCATE; no TRIGGER, which would let it add a trigger that drops new rows),
-- and nothing on sequences (see the top). REVOKE first, so that rights given
-- by hand earlier do not survive a rerun.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"app_role";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";

-- 5. The same for every table the migrations role creates from now on.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrations_role" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";

-- 6. The audit trail: the app role may only read it and add to it. (On a new
-- database the table does not exist yet: migration 0007 does this there.)
SELECT format('REVOKE UPDATE, DELETE ON tracker_auditevent FROM %I', :'app_role')
WHERE to_regclass('public.tracker_auditevent') IS NOT NULL
\gexec

COMMIT;

\echo 'Done. The app connects as' :"app_role" 'and manage.py migrate runs as' :"migrations_role"
\echo 'Give each a password (\\password ROLE) unless they authenticate otherwise.'
