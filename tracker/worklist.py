"""The practitioner's worklist: one row per patient, flagged patients first.

Figures come from the database in two queries (Patient.objects.with_summary, then
days_in_windows for the daily means); the rules (baseline choice, bands, flags,
reliable change) are scores.py's, applied to the same daily means as on every other
page.

This module returns data only. templates/tracker/worklist.html prints it; the
sparkline, change and latest-scores cells, repeated on every row, are drawn by
the template tags in templatetags/score_cells.py, which keep each distinct
cell once drawn.
"""

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from tracker import scores
from tracker.models import FlagReview, days_in_windows, patients_with_summary, undo_allowed
from tracker.symptoms import NAMES

SPARKLINE_DAYS = 28
SORTS = {
    "name": pgettext_lazy("sort by", "Name"),
    "last": gettext_lazy("Last entry"),
    "change": gettext_lazy("Change"),
}
# What the worklist shows (?show=): the first is the default.
ATTENTION, REVIEWED, ALL, FINISHED = "attention", "reviewed", "all", "finished"
SHOWS = {
    ATTENTION: gettext_lazy("Needs attention"),
    REVIEWED: pgettext_lazy("patients", "Reviewed"),
    ALL: gettext_lazy("All current"),
    FINISHED: pgettext_lazy("patients", "Finished"),
}


@dataclass(eq=False)  # compared and hashed by identity: worklist_rows keys rows by it
class Summary:
    """What a worklist row shows of one patient, as of `computed_at`, language-free.

    The same figures until the patient's data_version changes (any write) or the
    clock reaches valid_until (a new day, a session's time, the missed-review
    threshold, an entry dated ahead): the row cache keeps it that long. What is
    worded, and what moves with every minute ("3 days ago", undo), is the
    WorklistRow's, made for each request.
    """

    patient: object
    baseline: scores.Baseline | None
    recent: list  # scores.Day of the last RECENT_DAYS days
    flags: scores.Flags
    latest: dict
    weeks: list = field(default_factory=list)  # Days of the last SPARKLINE_DAYS days
    # The latest review, if any and not undone; reviewed: it still covers the flags.
    review: scores.Review | None = None
    reviewed: bool = False
    reviewer_name: str = ""
    review_note: str = ""
    computed_at: datetime | None = None
    valid_until: datetime | None = None

    @cached_property
    def daily_means(self):
        """The last SPARKLINE_DAYS days' daily means: a tuple per symptom, in NAMES order."""
        return tuple(tuple(day.mean(s) for day in self.weeks) for s in NAMES)

    @cached_property
    def progress(self):
        # Lazy: only the rows on the page (or all of them, to sort by change) need it.
        return scores.progress(self.baseline, self.recent)

    @cached_property
    def reliable_change(self) -> bool:
        """Whether a symptom has changed beyond the patient's usual ups and downs."""
        return any(p.reliable is not None and p.reliable.reliable for p in self.progress)

    @cached_property
    def worst_change(self):
        """The largest % change of the symptoms (a rise is positive), or None."""
        changes = [row.percent for row in self.progress if row.percent is not None]
        return max(changes) if changes else None

    @cached_property
    def url(self):
        return path_for("tracker:patient_detail", self.patient.public_id)

    @property
    def latest_scores(self):
        """The last entry's scores in NAMES order, or None without an entry."""
        if self.patient.last_entry_at is None:
            return None
        return tuple(self.latest[s] for s in NAMES)

    def holds_at(self, now) -> bool:
        """Whether these are still the figures at `now`, the data being unchanged."""
        return self.computed_at <= now < self.valid_until


class WorklistRow:
    """One row of a worklist page: a Summary, worded in the request's language.

    The Summary's attributes are read through (row.patient, row.flags, ...).
    """

    def __init__(self, summary, flag_help, now):
        self.summary = summary
        self.flag_help = flag_help
        review = summary.review
        self.can_undo = review is not None and undo_allowed(review.at, now)

    def __getattr__(self, name):
        # Only for names not set on the row itself: the summary's.
        return getattr(self.summary, name)

    @property
    def needs_attention(self) -> bool:
        """Flags raised and no review covering them: the rows to act on."""
        return self.summary.flags.any and not self.summary.reviewed

    def shown_in(self, show) -> bool:
        """Whether the row belongs to a view of SHOWS."""
        patient = self.summary.patient
        if show == FINISHED:
            return patient.is_discharged
        if patient.is_discharged:
            return False
        if show == REVIEWED:
            return self.summary.reviewed
        if show == ATTENTION:
            return not self.summary.reviewed
        return True

    @cached_property
    def flag_list(self):
        """The raised flags, each with its badge label and help text."""
        return [
            {"name": flag.name, "label": flag.label_in(gettext), "help": self.flag_help[flag.name]}
            for flag in scores.FLAGS
            if getattr(self.summary.flags, flag.name)
        ]


def path_for(name, public_id):
    """reverse(name, args=[public_id]) for a URL whose one argument is a public id.

    reverse() was a tenth of the worklist's time at two or three calls a row; the path
    around the id is the same for every row, so it is looked up once per process.
    """
    before, after = _path_around_id(name, get_script_prefix())
    return f"{before}{public_id}{after}"


@lru_cache(maxsize=32)
def _path_around_id(name, script_prefix):
    placeholder = uuid.UUID(int=0)
    before, after = reverse(name, args=[placeholder]).split(str(placeholder))
    return before, after


def flag_help(missed_days):
    """{flag name: help text}, with the clinic's number of days filled in."""
    return {flag.name: flag.help_text(missed_days, gettext) for flag in scores.FLAGS}


def flag_counts(rows, help_texts):
    """Each flag with how many of the rows raise it, for the counts at the top.

    The rows are those of the view shown (SHOWS): by default, reviewed ones are not there.
    help_texts: flag_help(), worded once for the page and its rows.
    """
    return [
        {
            "flag": flag,
            "count": sum(1 for r in rows if getattr(r.flags, flag.name)),
            "help": help_texts[flag.name],
        }
        for flag in scores.FLAGS
    ]


# Tags of the windows days_in_windows() reads for each patient.
BASELINE, LAST_WEEKS = "baseline", "weeks"


def rows_for(patients, now, missed_days, help_texts=None):
    """Worklist rows for a queryset of patients, worked out afresh (summaries_for)."""
    help_texts = help_texts if help_texts is not None else flag_help(missed_days)
    ids = list(patients.values_list("pk", flat=True))
    return [WorklistRow(s, help_texts, now) for s in summaries_for(ids, now, missed_days)]


def summaries_for(ids, now, missed_days):
    """A Summary for each patient of `ids` (in that order; the caller has checked who may
    see them), in two queries whatever their number (three when any has been reviewed).

    One for the patients and the moments that bound their windows (with_summary and
    with_clock_changes, from SQL built once: patients_with_summary), one for the daily means of
    each patient's baseline window and last SPARKLINE_DAYS days (days_in_windows). The
    recent days are the last of the latter.
    """
    tz = timezone.get_current_timezone()
    by_pk = {p.pk: p for p in patients_with_summary(ids, now)}
    patients = [by_pk[pk] for pk in ids if pk in by_pk]
    # Entries are never in the future, but a report or a test may be as of the past.
    until = now + timedelta(microseconds=1)  # the windows end before `until`: now counts
    weeks_start = scores.days_start(now, tz, SPARKLINE_DAYS)
    recent_start = scores.days_start(now, tz, scores.RECENT_DAYS).date()
    tomorrow = scores.next_day_start(now, tz)
    windows = []
    for patient in patients:
        windows.append((patient.pk, LAST_WEEKS, weeks_start, until))
        window = scores.baseline_window(patient.first_session_at, patient.first_entry_at)
        if window:
            windows.append((patient.pk, BASELINE, window[0], min(window[1], until)))
    found = days_in_windows(windows, tz)
    # The latest reviews in one query, with when a severe score was last saved, only
    # when there are some: as subqueries of the summary they cost more to build than
    # the page's rows, on every worklist (issue 16's 10% budget).
    review_ids = [p.review_id for p in patients if p.review_id is not None]
    reviews = (
        FlagReview.objects.select_related("reviewer").with_last_severe(now).in_bulk(review_ids)
        if review_ids
        else {}
    )
    summaries = []
    for patient in patients:
        weeks = found.get((patient.pk, LAST_WEEKS), [])
        before = found.get((patient.pk, BASELINE), [])
        baseline = scores.choose_baseline(before, session_held=patient.first_session_at is not None)
        recent = [day for day in weeks if day.day >= recent_start]
        missed_opens = scores.missed_since(patient.last_entry_at, patient.created_at, missed_days)
        if patient.is_discharged:
            # A finished course raises nothing: nobody is to act on it.
            flags = scores.Flags()
        else:
            flags = scores.flags_for(
                baseline,
                recent,
                patient.last_entry_at,
                now,
                missed_after_days=missed_days,
                since=patient.created_at,
                last_fall_at=patient.last_fall_at,
                reviewed_at=patient.last_reviewed_at,
            )
        latest_review = reviews.get(patient.review_id)
        review = None
        if latest_review is not None and latest_review.undone_at is None:
            review = scores.Review(latest_review.reviewed_at, tuple(latest_review.flags or ()))
        reviewed = scores.still_reviewed(
            flags,
            review,
            latest_review.last_severe_saved_at if latest_review else None,
            missed_opens,
        )
        # When the clock alone would change these figures: the windows move on at
        # midnight; something dated ahead comes due; the missed-review threshold.
        changes = [
            tomorrow,
            patient.next_entry_after,
            patient.next_session_after,
            patient.next_answer_after,
            missed_opens if missed_opens is not None and missed_opens > now else None,
        ]
        summaries.append(
            Summary(
                patient=patient,
                baseline=baseline,
                recent=recent,
                flags=flags,
                latest=patient.summary_latest_scores,
                weeks=weeks,
                review=review,
                reviewed=reviewed,
                reviewer_name=latest_review.reviewer.display_name if latest_review else "",
                review_note=latest_review.note if latest_review else "",
                computed_at=now,
                valid_until=min(moment for moment in changes if moment is not None),
            )
        )
    return summaries


class Kept:
    """A bounded map kept in this process, the least recently used dropped past `size`.

    In memory, without pickling: reading it costs next to nothing. Each gunicorn
    worker keeps its own. For the row cache below and the drawn rows of
    templatetags/worklist_rows.py.
    """

    def __init__(self, size):
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop(self, key):
        with self._lock:
            self._items.pop(key, None)

    def clear(self):
        with self._lock:
            self._items.clear()

    def __len__(self):
        return len(self._items)


class RowCache(Kept):
    """Summaries by (patient pk, time zone, missed days), each under its patient's
    data_version (CACHED_ROWS of them at most).

    A summary is used only while the patient's data_version is the one it was
    computed under and the clock is between its computed_at and valid_until:
    never stale, whatever writes it (migration 0019's triggers) or whenever.
    """

    def get(self, key, version, now):
        summary = super().get(key)
        if summary is None:
            return None
        if summary.patient.data_version != version or not summary.holds_at(now):
            self.drop(key)
            return None
        return summary


# About 4 KB a summary (a month of days): 20,000 patients' rows in 80 MB or so per worker.
CACHED_ROWS = 20_000
ROW_CACHE = RowCache(CACHED_ROWS)


def cached_rows_for(patients, now, missed_days, help_texts=None, cache=ROW_CACHE):
    """rows_for(), with the summaries of patients unchanged since kept from before.

    One query for the patients' data_versions; then summaries_for() only for those
    without a summary that still holds (two or three queries more, none at all when
    every row is kept). Rows come in the queryset's order, as rows_for gives them.
    """
    versions = list(patients.values_list("pk", "data_version"))
    return rows_for_versions(versions, now, missed_days, help_texts, cache)


def rows_for_versions(versions, now, missed_days, help_texts=None, cache=ROW_CACHE):
    """cached_rows_for() from the patients' (pk, data_version), in their order
    (access.versions_visible_to)."""
    help_texts = help_texts if help_texts is not None else flag_help(missed_days)
    zone = timezone.get_current_timezone_name()
    found, missing = {}, []
    for pk, version in versions:
        summary = cache.get((pk, zone, missed_days), version, now)
        if summary is None:
            missing.append(pk)
        else:
            found[pk] = summary
    if missing:
        for summary in summaries_for(missing, now, missed_days):
            cache.put((summary.patient.pk, zone, missed_days), summary)
            found[summary.patient.pk] = summary
    # A patient gone between the two queries has no summary: not listed.
    return [WorklistRow(found[pk], help_texts, now) for pk, _ in versions if pk in found]


def row_of(patient, now, missed_days, cache=ROW_CACHE):
    """One patient's row (flags, review), for the patient page and "Mark reviewed".

    patient: one the practitioner may see (access.get_patient_or_404), read in this
    request before any write to its data, so that its data_version is current. From the
    row cache as the worklist's (no query while kept), else worked out (two or three).
    """
    key = (patient.pk, timezone.get_current_timezone_name(), missed_days)
    summary = cache.get(key, patient.data_version, now)
    if summary is None:
        [summary] = summaries_for([patient.pk], now, missed_days)
        cache.put(key, summary)
    return WorklistRow(summary, flag_help(missed_days), now)


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
    # Reviewed rows keep their flags (shown, muted) but no longer come first.
    return sorted(rows, key=lambda r: not r.needs_attention)
