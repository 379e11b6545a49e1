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

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, lru_cache

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from tracker import scores
from tracker.models import FlagReview, days_in_windows, undo_allowed
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


@dataclass
class WorklistRow:
    patient: object
    baseline: scores.Baseline | None
    recent: list  # scores.Day of the last RECENT_DAYS days
    flags: scores.Flags
    latest: dict
    flag_help: dict = field(default_factory=dict)
    weeks: list = field(default_factory=list)  # Days of the last SPARKLINE_DAYS days
    # The latest review, if any and not undone; reviewed: it still covers the flags.
    review: scores.Review | None = None
    reviewed: bool = False
    reviewer_name: str = ""
    review_note: str = ""
    can_undo: bool = False

    @property
    def needs_attention(self) -> bool:
        """Flags raised and no review covering them: the rows to act on."""
        return self.flags.any and not self.reviewed

    def shown_in(self, show) -> bool:
        """Whether the row belongs to a view of SHOWS."""
        if show == FINISHED:
            return self.patient.is_discharged
        if self.patient.is_discharged:
            return False
        if show == REVIEWED:
            return self.reviewed
        if show == ATTENTION:
            return not self.reviewed
        return True

    @cached_property
    def daily_means(self):
        """The last SPARKLINE_DAYS days' daily means: a tuple per symptom, in NAMES order."""
        return tuple(tuple(day.mean(s) for day in self.weeks) for s in NAMES)

    @cached_property
    def progress(self):
        # Lazy: only the rows on the page (or all of them, to sort by change) need it.
        return scores.progress(self.baseline, self.recent)

    @property
    def reliable_change(self) -> bool:
        """Whether a symptom has changed beyond the patient's usual ups and downs."""
        return any(p.reliable is not None and p.reliable.reliable for p in self.progress)

    @property
    def worst_change(self):
        """The largest % change of the symptoms (a rise is positive), or None."""
        changes = [row.percent for row in self.progress if row.percent is not None]
        return max(changes) if changes else None

    # --- What the page prints: only rows on the page get here --------------------

    @cached_property
    def url(self):
        return path_for("tracker:patient_detail", self.patient.public_id)

    @cached_property
    def flag_list(self):
        """The raised flags, each with its badge label and help text."""
        return [
            {"name": flag.name, "label": flag.label_in(gettext), "help": self.flag_help[flag.name]}
            for flag in scores.FLAGS
            if getattr(self.flags, flag.name)
        ]

    @property
    def latest_scores(self):
        """The last entry's scores in NAMES order, or None without an entry."""
        if self.patient.last_entry_at is None:
            return None
        return tuple(self.latest[s] for s in NAMES)


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
    """Worklist rows for a queryset of patients, in two queries whatever their number
    (three when any of them has been reviewed).

    One for the patients and the moments that bound their windows (with_summary), one
    for the daily means of each patient's baseline window and last SPARKLINE_DAYS
    days (days_in_windows). The recent days are the last of the latter.
    help_texts: flag_help(missed_days), if the caller has worded it already.
    """
    help_texts = help_texts if help_texts is not None else flag_help(missed_days)
    tz = timezone.get_current_timezone()
    patients = list(patients.with_summary(now))
    # Entries are never in the future, but a report or a test may be as of the past.
    until = now + timedelta(microseconds=1)  # the windows end before `until`: now counts
    weeks_start = scores.days_start(now, tz, SPARKLINE_DAYS)
    recent_start = scores.days_start(now, tz, scores.RECENT_DAYS).date()
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
    rows = []
    for patient in patients:
        weeks = found.get((patient.pk, LAST_WEEKS), [])
        before = found.get((patient.pk, BASELINE), [])
        baseline = scores.choose_baseline(before, session_held=patient.first_session_at is not None)
        recent = [day for day in weeks if day.day >= recent_start]
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
            scores.missed_since(patient.last_entry_at, patient.created_at, missed_days),
        )
        rows.append(
            WorklistRow(
                patient=patient,
                baseline=baseline,
                recent=recent,
                flags=flags,
                latest=patient.summary_latest_scores,
                flag_help=help_texts,
                weeks=weeks,
                review=review,
                reviewed=reviewed,
                reviewer_name=latest_review.reviewer.display_name if latest_review else "",
                review_note=latest_review.note if latest_review else "",
                can_undo=review is not None and undo_allowed(review.at, now),
            )
        )
    return rows


def row_of(visible, patient, now, missed_days):
    """One patient's row (flags, review), for the patient page and "Mark reviewed": two queries.

    visible: the patients the practitioner may see (access.patients_visible_to).
    """
    [row] = rows_for(visible.filter(pk=patient.pk), now, missed_days)
    return row


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
