"""The practitioner's worklist: one row per patient, flagged patients first.

Figures come from the database in one query (Patient.objects.with_summary);
the rules (baseline choice, bands, flags) are scores.py's. Sparklines for the
page's patients come from one more query of daily means.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Avg
from django.db.models.functions import TruncDate
from django.utils import timezone

from tracker import charts, scores
from tracker.models import SymptomEntry

SPARKLINE_DAYS = 28
FLAG_HELP = {
    "worse": "Worse: the last 7 days' average of a symptom is at least 30% above the baseline.",
    "severe": "Severe: a score of 7 or more in the last 7 days.",
    "missed": "Review missed: no entry for {days} days or more.",
}
SORTS = {"name": "Name", "last": "Last entry", "change": "Change"}


@dataclass
class WorklistRow:
    patient: object
    baseline: scores.Baseline | None
    progress: list
    flags: scores.Flags
    latest: dict
    sparks: list = field(default_factory=list)

    @property
    def worst_change(self):
        """The largest % change of the three symptoms (a rise is positive), or None."""
        changes = [row.percent for row in self.progress if row.percent is not None]
        return max(changes) if changes else None


def rows_for(patients, now, missed_days):
    """Worklist rows for a queryset of patients, figures aggregated in one query."""
    rows = []
    for patient in patients.with_summary(now):
        baseline = patient.summary_baseline()
        recent = patient.summary_means("recent")
        flags = scores.flags_for(
            baseline.values if baseline else None,
            recent,
            patient.recent_max,
            patient.last_entry_at,
            now,
            missed_after_days=missed_days,
            since=patient.created_at,
        )
        rows.append(
            WorklistRow(
                patient=patient,
                baseline=baseline,
                progress=scores.progress(baseline, recent),
                flags=flags,
                latest=patient.summary_means("latest"),
            )
        )
    return rows


def sort_rows(rows, sort):
    """Flagged patients first; within each group by the chosen order."""
    never = timezone.now() - timedelta(days=365 * 100)
    keys = {
        "name": lambda r: r.patient.display_name.casefold(),
        # Longest silence first: it is the one to chase.
        "last": lambda r: r.patient.last_entry_at or never,
        # Biggest rise first; patients with no change figure go last.
        "change": lambda r: -(r.worst_change if r.worst_change is not None else -(10**9)),
    }
    rows = sorted(rows, key=keys.get(sort, keys["name"]))
    return sorted(rows, key=lambda r: not r.flags.any)


def add_sparklines(rows, now):
    """Daily means over the last 4 weeks for the given rows, in one query."""
    by_id = {row.patient.pk: row for row in rows}
    daily = (
        SymptomEntry.objects.filter(
            patient_id__in=by_id, recorded_at__gt=now - timedelta(days=SPARKLINE_DAYS)
        )
        .annotate(day=TruncDate("recorded_at", tzinfo=timezone.get_current_timezone()))
        .values("patient_id", "day")
        .annotate(**{s: Avg(s) for s in scores.SYMPTOMS})
        .order_by("patient_id", "day")
    )
    values = {pk: {s: [] for s in scores.SYMPTOMS} for pk in by_id}
    for row in daily:
        for symptom in scores.SYMPTOMS:
            values[row["patient_id"]][symptom].append(row[symptom])
    for pk, row in by_id.items():
        row.sparks = [
            {
                "symptom": s,
                "spark": charts.sparkline(values[pk][s]),
                "colour": charts.SYMPTOM_STYLES[s].colour,
            }
            for s in scores.SYMPTOMS
        ]


def flag_counts(rows):
    return {name: sum(1 for r in rows if getattr(r.flags, name)) for name in FLAG_HELP}
