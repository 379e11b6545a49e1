"""Backups that prove they restore (issue 22, tracker/backups.py), on the database the
suite runs on: SQLite here, PostgreSQL in CI (pg_dump and pg_restore for real)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.conftest import make_entry
from tracker import backups

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)


@pytest.fixture
def records(alice, bob):
    for days in range(5):
        make_entry(alice, NOW - timedelta(days=days), pain=days, note=f"note {days}")
    make_entry(bob, NOW, pain=7)


def test_a_backup_restores_with_the_same_rows(records, tmp_path):
    copy = backups.backup(tmp_path, keep=3, now=NOW)

    manifest = json.loads(backups.manifest_of(copy).read_text())
    assert manifest["counts"]["tracker_symptomentry"] == 6
    assert manifest["counts"]["tracker_patient"] == 2
    assert manifest["database"] == connection.vendor
    check = backups.verify(copy)
    assert check.ok, check.problems
    assert check.counts == manifest["counts"]


def test_a_copy_that_no_longer_matches_its_manifest_fails(records, tmp_path):
    copy = backups.backup(tmp_path, keep=3, now=NOW)
    manifest = json.loads(backups.manifest_of(copy).read_text())
    manifest["counts"]["tracker_symptomentry"] = 7
    manifest["entries_sha256"] = "0" * 64
    backups.manifest_of(copy).write_text(json.dumps(manifest))

    check = backups.verify(copy)

    assert not check.ok
    assert "tracker_symptomentry: 7 rows backed up, 6 restored" in check.problems
    assert "tracker_symptomentry: the restored rows differ from those backed up" in check.problems


def test_a_damaged_file_fails(records, tmp_path):
    copy = backups.backup(tmp_path, keep=3, now=NOW)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))

    check = backups.verify(copy)

    assert not check.ok and check.problems == ["the file has changed since it was written"]


def test_only_the_newest_copies_are_kept(records, tmp_path):
    made = [backups.backup(tmp_path, keep=2, now=NOW + timedelta(hours=h)) for h in range(4)]

    assert backups.backups_in(tmp_path) == made[-2:]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for p in made[-2:]] + [backups.manifest_of(p).name for p in made[-2:]]
    )


def test_the_commands_back_up_and_verify_the_newest(records, tmp_path, settings, capsys):
    settings.CLINIC_BACKUP_DIR = tmp_path

    call_command("backup")
    call_command("verify_backup")

    out = capsys.readouterr().out
    assert "Backed up to" in out and "keeping the newest 14" in out
    assert "restores:" in out and "entries checksum equal" in out


def test_verify_fails_loudly_without_a_backup(tmp_path, settings, db):
    settings.CLINIC_BACKUP_DIR = tmp_path

    with pytest.raises(CommandError, match="No backup"):
        call_command("verify_backup")
