"""The practitioner's worklist: one row per patient, flagged patients first.

Figures come from the database in one query (Patient.objects.with_summary);
the rules (baseline choice, bands, flags) are scores.py's. The daily means that
the page's sparklines are drawn from come from one more query (add_daily_means).

This module returns data only. templates/tracker/worklist.html prints it; the
sparkline, change and latest-scores cells, repeated on every row, are drawn by
the template tags in templatetags/score_cells.py, which keep each distinct
cell once drawn.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from django.db.models import Avg, FloatField
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from tracker import scores
from tracker.models import SymptomEntry
from tracker.symptoms import NAMES

SPARKLINE_DAYS = 28
SORTS = {"name": "Name", "last": "Last entry", "change": "Change"}


@dataclass
class WorklistRow:
    patient: object
    baseline: scores.Baseline | None
    recent: dict
    flags: scores.Flags
    latest: dict
    flag_help: dict = field(default_factory=dict)
    # The last SPARKLINE_DAYS days' daily means: a tuple per symptom, in NAMES order.
    daily_means: tuple = ()

    @cached_property
    def progress(self):
        # Lazy: only the rows on the page (or all of them, to sort by change) need it.
        return scores.progress(self.baseline, self.recent)

    @property
    def worst_change(self):
        """The largest % change of the symptoms (a rise is positive), or None."""
        changes = [row.percent for row in self.progress if row.percent is not None]
        return max(changes) if changes else None

    # --- What the page prints: only rows on the page get here --------------------

    @cached_property
    def url(self):
        return self.patient.get_absolute_url()

    @cached_property
    def flag_list(self):
        """The raised flags, each with its badge label and help text."""
        return [
            {"name": flag.name, "label": flag.label, "help": self.flag_help[flag.name]}
            for flag in scores.FLAGS
            if getattr(self.flags, flag.name)
        ]

    @property
    def latest_scores(self):
        """The last entry's scores in NAMES order, or None without an entry."""
        if self.patient.last_entry_at is None:
            return None
        return tuple(self.latest[s] for s in NAMES)


def flag_help(missed_days):
    """{flag name: help text}, with the clinic's number of days filled in."""
    return {flag.name: flag.help_text(missed_days) for flag in scores.FLAGS}


def flag_counts(rows, missed_days):
    """Each flag with how many of the rows raise it, for the counts at the top."""
    help_texts = flag_help(missed_days)
    return [
        {
            "flag": flag,
            "count": sum(1 for r in rows if getattr(r.flags, flag.name)),
            "help": help_texts[flag.name],
        }
        for flag in scores.FLAGS
    ]


def rows_for(patients, now, missed_days):
    """Worklist rows for a queryset of patients, figures aggregated in one query."""
    help_texts = flag_help(missed_days)
    rows = []
    for patient in patients.with_summary(now):
        baseline = patient.summary_baseline()
        recent = patient.summary_means("recent")
        flags = scores.flags_for(
            baseline.values if baseline else None,
            recent,
            patient.summary_recent_max,
            patient.last_entry_at,
            now,
            missed_after_days=missed_days,
            since=patient.created_at,
        )
        rows.append(
            WorklistRow(
                patient=patient,
                baseline=baseline,
                recent=recent,
                flags=flags,
                latest=patient.summary_means("latest"),
                flag_help=help_texts,
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


def add_daily_means(rows, now):
    """Daily means over the last 4 weeks for the given rows, in one query."""
    by_id = {row.patient.pk: row for row in rows}
    day = TruncDate("recorded_at", tzinfo=timezone.get_current_timezone())
    daily = (
        SymptomEntry.objects.filter(
            patient_id__in=by_id, recorded_at__gt=now - timedelta(days=SPARKLINE_DAYS)
        )
        .values("patient_id", day=day)
        # Means in floating point: a sparkline is drawn to 0.1 px, and PostgreSQL's
        # exact numeric means cost a Decimal each to read.
        .annotate(**{s: Avg(Cast(s, FloatField())) for s in NAMES})
        .order_by("patient_id", "day")
        # The day orders and groups the rows; its value is not needed.
        .values_list("patient_id", *NAMES)
    )
    series = {pk: tuple([] for _ in NAMES) for pk in by_id}
    for patient_id, *means in daily:
        for values, mean in zip(series[patient_id], means, strict=True):
            values.append(mean)
    for pk, row in by_id.items():
        row.daily_means = tuple(map(tuple, series[pk]))
