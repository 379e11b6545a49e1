"""Back the database up, with the figures that prove the copy later (tracker/backups.py)."""

from datetime import UTC

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker import backups


class Command(BaseCommand):
    help = (
        "Copy the database into CLINIC_BACKUP_DIR (PostgreSQL: pg_dump --format=custom; "
        "SQLite: the online backup API) with a manifest of row counts and a checksum of the "
        "entries, and keep the newest CLINIC_BACKUP_KEEP copies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--folder", default=settings.CLINIC_BACKUP_DIR)
        parser.add_argument("--keep", type=int, default=settings.CLINIC_BACKUP_KEEP)

    def handle(self, *args, folder, keep, **options):
        copy = backups.backup(folder, keep, timezone.now().astimezone(UTC))
        size = copy.stat().st_size
        self.stdout.write(f"Backed up to {copy} ({size:,} bytes); keeping the newest {keep}.")
