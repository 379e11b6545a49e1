"""Backups that prove they restore (issue 22): `manage.py backup` and `verify_backup`.

A backup is two files: the copy (PostgreSQL: `pg_dump --format=custom`; SQLite: the
online backup API) and a manifest beside it with the row count of every table and a
checksum of the entries table, both read from the very moment the copy was taken
(PostgreSQL: the dump imports the snapshot the figures were read in; SQLite: the figures
read just before and just after the copy agree). Verifying restores the copy into a
scratch database, reads the same figures there, compares them with the manifest and
drops the scratch database: a
copy that does not restore, or restores something else, fails loudly.
"""

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

ENTRIES = "tracker_symptomentry"
PREFIX = "relief-"
SUFFIXES = {"postgresql": ".dump", "sqlite": ".sqlite3"}
MANIFEST = ".json"


@dataclass
class Check:
    ok: bool
    problems: list
    counts: dict


def fingerprint(cursor, tables):
    """Row counts of `tables` and a SHA-256 of the entries table in id order."""
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    digest = hashlib.sha256()
    cursor.execute(f'SELECT * FROM "{ENTRIES}" ORDER BY id')
    for row in cursor.fetchall():
        digest.update(("\x1f".join(str(value) for value in row) + "\n").encode())
    return {"counts": counts, "entries_sha256": digest.hexdigest()}


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_of(copy):
    return Path(str(copy) + MANIFEST)


def backup(folder, keep, now, alias="default"):
    """Write a copy and its manifest into folder, keep the newest `keep`; the copy's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vendor = connections[alias].vendor
    copy = folder / f"{PREFIX}{now:%Y%m%dT%H%M%SZ}{SUFFIXES[vendor]}"
    partial = copy.with_name(copy.name + ".partial")
    take = _pg_backup if vendor == "postgresql" else _sqlite_backup
    figures = take(alias, partial)
    partial.rename(copy)
    figures.update(
        {"created": now.isoformat(), "database": vendor, "file_sha256": file_sha256(copy)}
    )
    manifest_of(copy).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    rotate(folder, keep)
    return copy


def backups_in(folder):
    """The copies in folder, oldest first (their names sort by time)."""
    return sorted(
        path
        for path in Path(folder).glob(f"{PREFIX}*")
        if path.suffix in SUFFIXES.values() and manifest_of(path).exists()
    )


def rotate(folder, keep):
    for old in backups_in(folder)[:-keep] if keep > 0 else []:
        old.unlink()
        manifest_of(old).unlink()


def verify(copy, alias="default"):
    """Restore `copy` into a scratch database and compare it with its manifest."""
    copy = Path(copy)
    try:
        expected = json.loads(manifest_of(copy).read_text())
    except (OSError, ValueError):
        return Check(False, [f"no readable manifest {manifest_of(copy).name}"], {})
    if file_sha256(copy) != expected["file_sha256"]:
        return Check(False, ["the file has changed since it was written"], {})
    restore = _pg_restored if expected["database"] == "postgresql" else _sqlite_restored
    try:
        with restore(copy, alias) as (cursor, tables):
            found = fingerprint(cursor, tables)
    except subprocess.CalledProcessError as error:
        said = error.stderr.decode(errors="replace").strip()[-500:]
        return Check(False, [f"the copy does not restore: {said}"], {})
    except sqlite3.Error as error:
        return Check(False, [f"the copy does not restore: {error}"], {})
    problems = [
        f"{table}: {expected['counts'].get(table)} rows backed up, {found['counts'].get(table)} "
        "restored"
        for table in sorted(expected["counts"].keys() | found["counts"].keys())
        if expected["counts"].get(table) != found["counts"].get(table)
    ]
    if found["entries_sha256"] != expected["entries_sha256"]:
        problems.append(f"{ENTRIES}: the restored rows differ from those backed up")
    return Check(not problems, problems, found["counts"])


# --- SQLite -----------------------------------------------------------------------------


def _sqlite_tables(cursor):
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [name for (name,) in cursor.fetchall()]


def _sqlite_backup(alias, target, attempts=3):
    """The online backup API copies in one step; the figures are read just before and
    just after it, and the copy is kept only when both agree (no write in between)."""
    connection = connections[alias]
    connection.ensure_connection()
    source = connection.connection
    for _ in range(attempts):
        cursor = source.cursor()
        before = fingerprint(cursor, _sqlite_tables(cursor))
        with closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
        if fingerprint(cursor, _sqlite_tables(cursor)) == before:
            return before
        Path(target).unlink()
    raise sqlite3.OperationalError(f"the database kept changing during {attempts} copies")


@contextmanager
def _sqlite_restored(copy, alias):
    """A scratch copy of the file, opened as the app opens its database (Django registers
    the functions its CHECK constraints call)."""
    with tempfile.TemporaryDirectory() as scratch:
        restored = Path(scratch) / "restored.sqlite3"
        shutil.copyfile(copy, restored)
        with _own_connection(alias, str(restored)) as database, database.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            (result,) = cursor.fetchone()
            if result != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {result}")
            yield cursor, _sqlite_tables(cursor)


# --- PostgreSQL -------------------------------------------------------------------------


def _pg_environment(settings_dict, name=None):
    """libpq's variables for pg_dump and pg_restore, from Django's settings."""
    values = {
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGDATABASE": name or settings_dict["NAME"],
    }
    return {**os.environ, **{key: value for key, value in values.items() if value}}


def _pg_tables(cursor):
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
    return [name for (name,) in cursor.fetchall()]


@contextmanager
def _own_connection(alias, name=None):
    """A connection of its own, in autocommit, outside whatever the caller is doing."""
    connection = connections.create_connection(alias)
    if name:
        connection.settings_dict = {**connection.settings_dict, "NAME": name}
    try:
        connection.ensure_connection()
        if connection.vendor == "postgresql":
            connection.connection.autocommit = True
        yield connection
    finally:
        connection.close()


def _pg_backup(alias, target):
    with _own_connection(alias) as connection, connection.connection.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            figures = fingerprint(cursor, _pg_tables(cursor))
            # pg_dump reads the snapshot the figures were read in, while it is held open.
            subprocess.run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
                env=_pg_environment(connection.settings_dict),
                check=True,
                capture_output=True,
            )
        finally:
            cursor.execute("COMMIT")
    return figures


@contextmanager
def _pg_restored(copy, alias):
    scratch = f"{connections[alias].settings_dict['NAME']}_verify_{secrets.token_hex(4)}"
    with _own_connection(alias) as admin, admin.connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{scratch}"')
        try:
            subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    f"--dbname={scratch}",
                    str(copy),
                ],
                env=_pg_environment(admin.settings_dict, scratch),
                check=True,
                capture_output=True,
            )
            with (
                _own_connection(alias, scratch) as restored,
                restored.connection.cursor() as restored_cursor,
            ):
                yield restored_cursor, _pg_tables(restored_cursor)
        finally:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
