"""The practitioner's worklist: one row per patient, flagged patients first.

Figures come from the database in one query (Patient.objects.with_summary);
the rules (baseline choice, bands, flags) are scores.py's. Sparklines for the
page's patients come from one more query of daily means.

What a row shows (dates, "3 days ago", flags with their help) is worked out
here, for the rows on the page only, and the template just prints it: with 50
rows of 3 sparklines and 3 changes each, template includes, filters and nested
loops per row cost more than the queries did. The sparkline and change cells
are partials rendered once per distinct set of figures and kept (see kept()).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, lru_cache, wraps

from django.conf import settings
from django.db.models import Avg, FloatField
from django.db.models.functions import Cast, TruncDate
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tracker import charts, scores
from tracker.models import SymptomEntry
from tracker.templatetags.tracker_extras import ago

SPARKLINE_DAYS = 28
FLAG_HELP = {
    "worse": "Worse: the last 7 days' average of a symptom is at least 30% above the baseline.",
    "severe": "Severe: a score of 7 or more in the last 7 days.",
    "missed": "Review missed: no entry for {days} days or more.",
}
FLAG_NAMES = {"worse": "Worse", "severe": "Severe", "missed": "Review missed"}


def flag_help(missed_days):
    """FLAG_HELP with the clinic's number of days filled in."""
    return {name: text.format(days=missed_days) for name, text in FLAG_HELP.items()}


SORTS = {"name": "Name", "last": "Last entry", "change": "Change"}


@dataclass
class WorklistRow:
    patient: object
    baseline: scores.Baseline | None
    recent: dict
    flags: scores.Flags
    latest: dict
    now: object = None
    flag_help: dict = field(default_factory=dict)
    sparks: list = field(default_factory=list)
    sparks_html: str = ""

    @cached_property
    def progress(self):
        # Lazy: only the rows on the page (or all of them, to sort by change) need it.
        return scores.progress(self.baseline, self.recent)

    @property
    def worst_change(self):
        """The largest % change of the three symptoms (a rise is positive), or None."""
        changes = [row.percent for row in self.progress if row.percent is not None]
        return max(changes) if changes else None

    # --- What the page prints: only rows on the page get here --------------------

    @cached_property
    def url(self):
        return self.patient.get_absolute_url()

    @cached_property
    def flag_list(self):
        return [
            {"name": name, "label": FLAG_NAMES[name], "help": self.flag_help.get(name, "")}
            for name in self.flags.names()
        ]

    @cached_property
    def last_entry(self):
        """Date, time since, and the three scores of the last entry; None without one."""
        at = self.patient.last_entry_at
        if at is None:
            return None
        local = timezone.localtime(at)
        return {
            "day": f"{local.day} {local:%b}",
            "ago": ago(at, self.now),
            **{s: "" if self.latest[s] is None else str(self.latest[s]) for s in scores.SYMPTOMS},
        }

    @cached_property
    def changes_html(self):
        """The change column's list items (tracker/worklist_changes.html)."""
        return changes_cell(tuple(self.progress), translation.get_language())

    @cached_property
    def next_session(self):
        at = self.patient.next_session_at
        if at is None:
            return None
        local = timezone.localtime(at)
        return {"day": f"{local:%a} {local.day} {local:%b}", "time": f"{local:%H:%M}"}


def kept(function):
    """Memoize a function of hashable, immutable arguments, for the life of the process.

    For the worklist's partials: a practitioner looks at the same figures again
    and again (they change with a new entry or a new day), so each distinct cell
    is rendered once and then costs a dictionary lookup. The arguments are all a
    cell is drawn from, so a kept copy is never out of date. A patient's two cells
    take about 8 KB, so the most kept is about 17 MB per process. Not in DEBUG,
    where an edited template should show at once.
    """
    cached = lru_cache(maxsize=2048)(function)

    @wraps(function)
    def call(*args):
        return function(*args) if settings.DEBUG else cached(*args)

    call.cache_clear = cached.cache_clear
    return call


@kept
def sparks_cell(series):
    """Sparklines for one patient's daily means (a tuple per symptom), and their cell."""
    sparks = [
        {
            "symptom": symptom,
            "label": symptom.capitalize(),
            "initial": symptom[0].upper(),
            "spark": charts.sparkline(daily_means),
            "colour": charts.SYMPTOM_STYLES[symptom].colour,
        }
        for symptom, daily_means in zip(scores.SYMPTOMS, series, strict=True)
    ]
    html = render_to_string("tracker/worklist_sparks.html", {"sparks": sparks})
    return tuple(item["spark"] for item in sparks), html


@kept
def changes_cell(progress, language):
    # The language is in the key because change.html formats numbers.
    return render_to_string("tracker/worklist_changes.html", {"progress": progress})


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
                now=now,
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


def add_sparklines(rows, now):
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
        .annotate(**{s: Avg(Cast(s, FloatField())) for s in scores.SYMPTOMS})
        .order_by("patient_id", "day")
        # The day orders and groups the rows; its value is not needed.
        .values_list("patient_id", *scores.SYMPTOMS)
    )
    series = {pk: tuple([] for _ in scores.SYMPTOMS) for pk in by_id}
    for patient_id, *means in daily:
        for values, mean in zip(series[patient_id], means, strict=True):
            values.append(mean)
    for pk, row in by_id.items():
        sparklines, row.sparks_html = sparks_cell(tuple(map(tuple, series[pk])))
        row.sparks = [
            {"symptom": symptom, "spark": spark}
            for symptom, spark in zip(scores.SYMPTOMS, sparklines, strict=True)
        ]


def flag_counts(rows):
    return {name: sum(1 for r in rows if getattr(r.flags, name)) for name in FLAG_HELP}
