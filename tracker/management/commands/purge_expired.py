"""Erase finished courses past the retention period (README: Deletion requests and retention)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker import erasure


class Command(BaseCommand):
    help = (
        "Erase patients whose course finished (discharged) more than CLINIC_RETENTION_YEARS "
        "ago, with no check-in or session since, as a carried-out deletion request does. "
        "Prints what it would remove, counts only; --apply erases."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply", action="store_true", help="Erase them (without it: a dry run)."
        )

    def handle(self, *args, apply=False, **options):
        today = timezone.localdate()
        patients = list(erasure.expired(today))
        totals = {}
        for patient in patients:
            counts = (
                erasure.erase(patient, detail="course finished and past the retention period")
                if apply
                else erasure.counts_for(patient)
            )
            for what, n in counts.items():
                totals[what] = totals.get(what, 0) + n
        cutoff = erasure.cutoff(today)
        verb = "Erased" if apply else "Would erase (dry run; --apply to erase)"
        self.stdout.write(
            f"{verb}: {len(patients)} patient{'s' if len(patients) != 1 else ''} discharged "
            f"before {cutoff:%Y-%m-%d} ({settings.CLINIC_RETENTION_YEARS} years)."
        )
        for what, n in totals.items():
            if n and what != "accounts":
                self.stdout.write(f"  {what}: {n}")
