"""Prove a backup restores (tracker/backups.py): exit status 1 when it does not."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker import backups


class Command(BaseCommand):
    help = (
        "Restore a backup into a scratch database, compare its row counts and entries "
        "checksum with the manifest written beside it, then drop the scratch database. "
        "Without FILE: the newest backup in CLINIC_BACKUP_DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")

    def handle(self, *args, file=None, **options):
        if file is None:
            found = backups.backups_in(settings.CLINIC_BACKUP_DIR)
            if not found:
                raise CommandError(f"No backup in {settings.CLINIC_BACKUP_DIR}.")
            file = found[-1]
        check = backups.verify(file)
        if not check.ok:
            raise CommandError(
                f"{file} does NOT restore as backed up: " + "; ".join(check.problems)
            )
        rows = sum(check.counts.values())
        self.stdout.write(
            f"{file} restores: {len(check.counts)} tables, {rows:,} rows, entries checksum equal."
        )
