"""Domain maths for symptom scores: baselines, changes, bands, flags, rolling means.

Pure Python (standard library only) so it can be tested without a database.
Scores are 0-10 numeric rating scales (NRS), one per symptom of symptoms.NAMES. The
improvement thresholds follow IMMPACT (Dworkin et al. 2008, J Pain 9:105-21; Farrar et
al. 2001, Pain 94:149-58); the learn page tracking-your-symptoms.md explains them to
patients, with its references. Every sentence that states a threshold is built here from
the constant it states.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tracker.symptoms import BY_NAME, NAMES, Symptom

_INDEX = {name: i for i, name in enumerate(NAMES)}

# Improvement bands, in percent of the baseline mean (IMMPACT, from group data in
# drug trials). A change is compared after it has been rounded to one decimal, i.e.
# exactly as it is shown, and each edge counts as reaching the band ("at least 30%").
MINIMAL_RATIO = 10
MODERATE_RATIO = 30
SUBSTANTIAL_RATIO = 50
# Near zero a percentage means little (0.1 -> 0.2 is +100%): a change smaller than
# this many points is "no important change", whatever its percentage.
BAND_MIN_POINTS = 1.0
# Worsening is our own rule (IMMPACT defines none): a rise of WORSE_POINTS, or of
# WORSE_RATIO percent and at least BAND_MIN_POINTS. Farrar 2001 found that about 2
# points on the 0-10 scale matched what patients called "much" different; the points
# let the rule fire at every baseline (a 30% rise is impossible above 7.7).
WORSE_POINTS = 2.0
WORSE_RATIO = 30
# Scores of 7-10 are "severe" on the anchor words shown to patients.
SEVERE_SCORE = 7
MISSED_AFTER_DAYS = 7
# Every figure is worked out from daily means (one mean per local calendar day), so a
# bad day logged six times weighs as one day. Once a session is held, the baseline is
# the days of the BEFORE_SESSION_DAYS before the first one, and never a reading after
# it; with fewer than BASELINE_MIN_DAYS days it is provisional. Before any session it
# is provisional, from the first FIRST_WEEK_DAYS of logging.
BASELINE_MIN_DAYS = 4
BASELINE_MIN_ENTRIES = 3  # the old rule, until the daily-means rules land
BEFORE_SESSION_DAYS = 14
FIRST_WEEK_DAYS = 7
# The recent mean is of the last RECENT_DAYS days, and needs RECENT_MIN_DAYS of them.
RECENT_DAYS = 7
RECENT_MIN_DAYS = 3
# Reliable change (Jacobson & Truax 1991, with the person's own day-to-day spread):
# a change is beyond usual ups and downs when it is RELIABLE_Z standard errors or more.
# The spread is at least SPREAD_FLOOR points (a patient who always logs the same score
# would otherwise make every change "reliable"), and the lag-1 autocorrelation of the
# baseline days is kept within [0, AUTOCORRELATION_MAX].
RELIABLE_Z = 1.96
SPREAD_FLOOR = 0.5
AUTOCORRELATION_MAX = 0.8

# The rules' numbers, for the learn pages: a page writes {RECENT_DAYS}, never "7", so
# what it says follows the code (tracker/learn.py fills them in).
FIGURES = {
    name: f"{value:g}"
    for name, value in {
        "MINIMAL_RATIO": MINIMAL_RATIO,
        "MODERATE_RATIO": MODERATE_RATIO,
        "SUBSTANTIAL_RATIO": SUBSTANTIAL_RATIO,
        "BAND_MIN_POINTS": BAND_MIN_POINTS,
        "WORSE_POINTS": WORSE_POINTS,
        "WORSE_RATIO": WORSE_RATIO,
        "SEVERE_SCORE": SEVERE_SCORE,
        "BASELINE_MIN_DAYS": BASELINE_MIN_DAYS,
        "BEFORE_SESSION_DAYS": BEFORE_SESSION_DAYS,
        "FIRST_WEEK_DAYS": FIRST_WEEK_DAYS,
        "RECENT_DAYS": RECENT_DAYS,
        "RECENT_MIN_DAYS": RECENT_MIN_DAYS,
        "RELIABLE_Z": RELIABLE_Z,
        "SPREAD_FLOOR": SPREAD_FLOOR,
        "AUTOCORRELATION_MAX": AUTOCORRELATION_MAX,
    }.items()
}

BEFORE_FIRST_SESSION = "before_first_session"
FIRST_WEEK = "first_week"


@dataclass(frozen=True)
class Reading:
    """One check-in: a 0-10 score per symptom, in NAMES order, at one moment."""

    at: datetime
    scores: tuple[int, ...]

    def value(self, symptom: str) -> int:
        try:
            return self.scores[_INDEX[symptom]]
        except KeyError:
            raise ValueError(f"Unknown symptom: {symptom!r}") from None

    @classmethod
    def from_entry(cls, entry) -> Reading:
        """Build from any object with recorded_at and an attribute per symptom."""
        return cls(entry.recorded_at, tuple(getattr(entry, s) for s in NAMES))


def mean(values) -> float | None:
    """Arithmetic mean, or None when there are no values."""
    values = list(values)
    if not values:
        return None
    return sum(values) / len(values)


def means_by_symptom(readings) -> dict[str, float | None]:
    readings = list(readings)
    return {s: mean(r.value(s) for r in readings) for s in NAMES}


def round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def format_score(value) -> str:
    """4 -> "4", 4.0 -> "4", 4.25 -> "4.3"."""
    value = round(value, 1)
    return str(int(value)) if value == int(value) else f"{value:.1f}"


# --- Baseline ---------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    values: dict[str, float]
    count: int
    method: str

    def describe(self) -> str:
        if self.method == BEFORE_FIRST_SESSION:
            return f"mean of the {BEFORE_SESSION_DAYS} days before the first session"
        return "mean of the first week of logging"


def choose_baseline(
    before_session_means,
    before_session_count,
    first_week_means,
    first_week_count,
    session_held=True,
    min_entries=BASELINE_MIN_ENTRIES,
) -> Baseline | None:
    """Pick the baseline from numbers already aggregated (e.g. by SQL).

    Once a session is held: the entries of the BEFORE_SESSION_DAYS before it, if
    there are at least min_entries; otherwise None. The first week never stands in
    then, as it may hold readings from after treatment began. With no session held:
    the first FIRST_WEEK_DAYS of logging, with the same minimum.
    """
    if session_held:
        values, count, method = before_session_means, before_session_count, BEFORE_FIRST_SESSION
    else:
        values, count, method = first_week_means, first_week_count, FIRST_WEEK
    if values is None or (count or 0) < min_entries:
        return None
    return Baseline({s: float(values[s]) for s in NAMES}, int(count), method)


def baseline_for(readings, first_session_at=None, min_entries=BASELINE_MIN_ENTRIES):
    """Baseline from raw readings; the decision itself is choose_baseline's.

    "Before the first session" runs from BEFORE_SESSION_DAYS before first_session_at
    (inclusive) to first_session_at (exclusive). The first week runs from the
    earliest reading (inclusive) to FIRST_WEEK_DAYS later (exclusive).
    """
    readings = list(readings)
    if not readings:
        return None
    before = []
    if first_session_at is not None:
        start = first_session_at - timedelta(days=BEFORE_SESSION_DAYS)
        before = [r for r in readings if start <= r.at < first_session_at]
    week_end = min(r.at for r in readings) + timedelta(days=FIRST_WEEK_DAYS)
    first_week = [r for r in readings if r.at < week_end]
    return choose_baseline(
        means_by_symptom(before) if before else None,
        len(before),
        means_by_symptom(first_week),
        len(first_week),
        session_held=first_session_at is not None,
        min_entries=min_entries,
    )


# --- Change and bands -------------------------------------------------------


def percent_change(baseline: float | None, current: float | None) -> float | None:
    """(current - baseline) / baseline * 100, rounded to 1 decimal; None if undefined."""
    if baseline is None or current is None or baseline == 0:
        return None
    return round((current - baseline) / baseline * 100, 1)


def point_change(baseline: float | None, current: float | None) -> float | None:
    if baseline is None or current is None:
        return None
    return round(current - baseline, 1)


class Band(StrEnum):
    WORSE = "worse"
    NO_CHANGE = "no_change"
    MINIMAL = "minimal"
    MODERATE = "moderate"
    SUBSTANTIAL = "substantial"

    @property
    def label(self) -> str:
        return "".join(words for words, _ in _BAND_LABELS[self])

    @property
    def label_parts(self) -> tuple[tuple[str, bool], ...]:
        """The label as (words, optional) pairs: optional words go where space is short."""
        return _BAND_LABELS[self]

    @property
    def phrase(self) -> str:
        """Lower-case words to end a sentence with."""
        return _BAND_PHRASES[self]


_BAND_LABELS = {
    Band.WORSE: (("Worse", False),),
    Band.NO_CHANGE: (("No", False), (" important", True), (" change", False)),
    Band.MINIMAL: (("Minimal", False), (" improvement", True)),
    Band.MODERATE: (("Moderate", False), (" improvement", True)),
    Band.SUBSTANTIAL: (("Substantial", False), (" improvement", True)),
}
# The bands in one sentence, for pages that print them beside the figures.
_MIN_POINTS = format_score(BAND_MIN_POINTS)
_WORSE_RULE = (
    f"{format_score(WORSE_POINTS)} points or more, or {WORSE_RATIO}% or more "
    f"and at least {_MIN_POINTS} point{'' if BAND_MIN_POINTS == 1 else 's'}"
)
BANDS_EXPLAINED = (
    f"Improvement bands follow IMMPACT, and come from group data in drug trials: "
    f"a fall of {MINIMAL_RATIO}\u2013{MODERATE_RATIO - 1}% is minimal, {MODERATE_RATIO}% or "
    f"more moderate, {SUBSTANTIAL_RATIO}% or more substantial. IMMPACT defines no "
    f"worsening; ours is a rise of {_WORSE_RULE}. A change of less than {_MIN_POINTS} "
    f"point is no important change, whatever its percentage."
)
_BAND_PHRASES = {
    Band.WORSE: "a clear worsening",
    Band.NO_CHANGE: "no important change",
    Band.MINIMAL: "a minimal improvement",
    Band.MODERATE: "a moderate improvement",
    Band.SUBSTANTIAL: "a substantial improvement",
}


def band_for(baseline: float | None, current: float | None) -> Band | None:
    """Band of the change from baseline to current (None if either is missing).

    Improvements follow IMMPACT's percentages, worsening our own rule (see WORSE_POINTS);
    both need a change of at least BAND_MIN_POINTS.
    """
    if baseline is None or current is None:
        return None
    points = point_change(baseline, current)
    if abs(points) < BAND_MIN_POINTS:
        return Band.NO_CHANGE
    # None only from a zero baseline, where any rise is an unbounded percentage.
    pct = percent_change(baseline, current)
    if points > 0:
        if points >= WORSE_POINTS or pct is None or pct >= WORSE_RATIO:
            return Band.WORSE
        return Band.NO_CHANGE
    if pct <= -SUBSTANTIAL_RATIO:
        return Band.SUBSTANTIAL
    if pct <= -MODERATE_RATIO:
        return Band.MODERATE
    if pct <= -MINIMAL_RATIO:
        return Band.MINIMAL
    return Band.NO_CHANGE


# --- Recent values ----------------------------------------------------------


def _in_recent_window(at, now, days) -> bool:
    # (now - days, now]: an entry exactly `days` old has dropped out.
    return now - timedelta(days=days) < at <= now


def recent_mean(readings, now, days=RECENT_DAYS) -> dict[str, float | None]:
    """Mean per symptom over readings with now - days < at <= now."""
    return means_by_symptom(r for r in readings if _in_recent_window(r.at, now, days))


def recent_max(readings, now, days=RECENT_DAYS) -> dict[str, int | None]:
    """Highest score per symptom in the same window as recent_mean."""
    recent = [r for r in readings if _in_recent_window(r.at, now, days)]
    return {s: max((r.value(s) for r in recent), default=None) for s in NAMES}


# --- Flags ------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """A reason to look at a patient now. Its help states the rule with the rule's numbers."""

    name: str  # a field of Flags, and the worklist's ?flag= value
    label: str  # the badge on a worklist row: "Review missed"
    counted: str  # after a count at the top of the worklist: "2 review missed"
    help: str  # may hold {missed_days}, which is the clinic's setting

    def help_text(self, missed_days=MISSED_AFTER_DAYS) -> str:
        return self.help.format(missed_days=missed_days)


FLAGS = (
    Flag(
        "worse",
        "Worse",
        "worse",
        f"Worse: the last {RECENT_DAYS} days' average of a symptom has risen above the "
        f"baseline by {_WORSE_RULE}.",
    ),
    Flag(
        "severe",
        "Severe",
        "severe",
        f"Severe: a score of {SEVERE_SCORE} or more in the last {RECENT_DAYS} days, for a "
        f"symptom whose baseline is under {SEVERE_SCORE} or not known yet.",
    ),
    Flag(
        "missed",
        "Review missed",
        "review missed",
        "Review missed: no entry for {missed_days} days or more.",
    ),
)
FLAG_NAMES = tuple(flag.name for flag in FLAGS)


@dataclass(frozen=True)
class Flags:
    """Which of FLAGS are raised for one patient: a field per flag."""

    worse: bool = False
    severe: bool = False
    missed: bool = False

    @property
    def any(self) -> bool:
        return bool(self.names())

    def names(self) -> list[str]:
        return [name for name in FLAG_NAMES if getattr(self, name)]


def flags_for(
    baseline_values,
    recent_means,
    recent_max,
    last_entry_at,
    now,
    missed_after_days=MISSED_AFTER_DAYS,
    since=None,
) -> Flags:
    """Review flags for one patient.

    worse:  any symptom's recent mean is in the WORSE band against its baseline
            (band_for). No baseline means no "worse" flag.
    severe: a symptom's highest score in the recent window (recent_max, per
            symptom) >= SEVERE_SCORE, where its baseline is below SEVERE_SCORE or
            not known: for a baseline already severe, the worsening rule speaks,
            so the flag is not on for ever.
    missed: the last entry - or, if there is none, `since` (when the patient
            joined) - is at least missed_after_days old: exactly that many days
            counts. With neither date known, nothing is flagged.
    """
    worse = False
    if baseline_values:
        worse = any(
            band_for(baseline_values.get(s), recent_means.get(s)) == Band.WORSE for s in NAMES
        )
    severe = any(
        (recent_max.get(s) or 0) >= SEVERE_SCORE
        and (not baseline_values or baseline_values[s] < SEVERE_SCORE)
        for s in NAMES
    )
    reference = last_entry_at if last_entry_at is not None else since
    missed = reference is not None and reference <= now - timedelta(days=missed_after_days)
    return Flags(worse=worse, severe=severe, missed=missed)


# --- Rolling means ----------------------------------------------------------


def rolling_means(readings, symptom, days=RECENT_DAYS) -> list[tuple[datetime, float]]:
    """For each reading in time order, the mean of `symptom` over (at - days, at].

    Readings at the same moment are all inside each other's window. A gap in
    logging just leaves fewer readings in the window. Linear time after sorting.
    """
    ordered = sorted(readings, key=lambda r: r.at)
    window = timedelta(days=days)
    result = []
    total = 0
    lo = hi = 0
    for reading in ordered:
        while hi < len(ordered) and ordered[hi].at <= reading.at:
            total += ordered[hi].value(symptom)
            hi += 1
        while ordered[lo].at <= reading.at - window:
            total -= ordered[lo].value(symptom)
            lo += 1
        result.append((reading.at, total / (hi - lo)))
    return result


# --- Intervals between sessions ---------------------------------------------


@dataclass(frozen=True)
class SessionInterval:
    label: str
    number: int  # 0 = before the first session (or all entries when there are none)
    start: datetime | None  # None: open at the start
    end: datetime | None  # None: still open
    count: int
    means: dict[str, float | None] = field(default_factory=dict)
    changes: dict[str, float | None] = field(default_factory=dict)  # points vs previous interval

    @property
    def cells(self) -> list[dict]:
        """Mean and change per symptom, in NAMES order, for tables."""
        return [
            {"symptom": s, "mean": self.means.get(s), "change": self.changes.get(s)} for s in NAMES
        ]


def intervals(readings, session_times) -> list[SessionInterval]:
    """Readings grouped by treatment session, to answer "did it help after session 3?".

    Returns "Before session 1" (everything earlier than the first session), then
    "After session k" for [session k, session k+1), the last one open-ended.
    Sessions are numbered 1, 2, ... in time order. An interval with no readings
    is kept, with count 0 and None means, so gaps stay visible.
    With no sessions there is one interval, "All entries" (number 0).
    """
    ordered = sorted(readings, key=lambda r: r.at)
    times = [r.at for r in ordered]
    sessions = sorted(session_times)
    if not sessions:
        return [_interval("All entries", 0, None, None, ordered, None)]

    # Boundaries: (label, number, start, end); bisect keeps this O(n log n).
    bounds = [("Before session 1", 0, None, sessions[0])]
    for k, start in enumerate(sessions, start=1):
        end = sessions[k] if k < len(sessions) else None
        bounds.append((f"After session {k}", k, start, end))

    result = []
    previous = None
    for label, number, start, end in bounds:
        lo = 0 if start is None else bisect.bisect_left(times, start)
        hi = len(times) if end is None else bisect.bisect_left(times, end)
        item = _interval(label, number, start, end, ordered[lo:hi], previous)
        result.append(item)
        previous = item
    return result


def _interval(label, number, start, end, readings, previous) -> SessionInterval:
    means = means_by_symptom(readings)
    changes = {
        s: point_change(previous.means.get(s), means[s]) if previous else None for s in NAMES
    }
    return SessionInterval(label, number, start, end, len(readings), means, changes)


# --- Words for patients -----------------------------------------------------


def summary_sentence(symptom, baseline_value, recent_value, days=RECENT_DAYS) -> str:
    """One plain sentence comparing the recent mean with the baseline."""
    name = BY_NAME[symptom].label
    if recent_value is None:
        return f"{name}: no entries in the last {days} days."
    recent = f"{name}: {recent_value:.1f} on average over the last {days} days"
    if baseline_value is None:
        return f"{recent}. Not enough entries yet to set a baseline."

    points = point_change(baseline_value, recent_value)
    band = band_for(baseline_value, recent_value)
    base = f"your baseline of {baseline_value:.1f}"
    if points == 0:
        return f"{recent}, the same as {base} — {band.phrase}."
    direction = "lower" if points < 0 else "higher"
    unit = "point" if abs(points) == 1 else "points"
    pct = percent_change(baseline_value, recent_value)
    percent = ""
    if pct is not None:
        # Whole percent, cut towards zero: "30%" is then shown only when the
        # change really reached 30.0%, so the words never contradict the band.
        percent = f" ({math.floor(abs(pct))}% {'less' if pct < 0 else 'more'})"
    return f"{recent}, {abs(points):.1f} {unit} {direction}{percent} than {base} — {band.phrase}."


def difference_phrase(value, other, other_label) -> str:
    """ "2 lower than your first week", "same as your last entry"."""
    diff = round(value - other, 1)
    if diff == 0:
        return f"same as {other_label}"
    direction = "lower" if diff < 0 else "higher"
    return f"{format_score(abs(diff))} {direction} than {other_label}"


def compare_phrase(symptom, value, other, other_label) -> str:
    """Short comparison for the message after a check-in.

    compare_phrase("pain", 4, 6, "your first week")
    -> "Pain 4 — 2 lower than your first week"
    """
    head = f"{BY_NAME[symptom].label} {format_score(value)}"
    if other is None:
        return head
    return f"{head} — {difference_phrase(value, other, other_label)}"


def baseline_label(baseline: Baseline) -> str:
    """How a patient would name the baseline period."""
    if baseline.method == BEFORE_FIRST_SESSION:
        return "before your first session"
    return "your first week"


def checkin_phrases(reading: Reading, previous: Reading | None, baseline: Baseline | None):
    """One phrase per symptom comparing a new check-in with the last one and the baseline.

    "Pain 4 — 1 lower than your last entry; 2 lower than your first week"
    """
    phrases = []
    for symptom in NAMES:
        value = reading.value(symptom)
        last = previous.value(symptom) if previous else None
        phrase = compare_phrase(symptom, value, last, "your last entry")
        if baseline is not None:
            vs_base = compare_phrase(
                symptom, value, baseline.values[symptom], baseline_label(baseline)
            )
            phrase += ("; " if last is not None else " — ") + vs_base.split(" — ", 1)[1]
        phrases.append(phrase)
    return phrases


@dataclass(frozen=True)
class SymptomProgress:
    """Where one symptom stands: baseline, recent mean and the change between them."""

    symptom: Symptom
    baseline: float | None
    recent: float | None
    points: float | None
    percent: float | None
    band: Band | None
    sentence: str

    @property
    def label(self) -> str:
        return self.symptom.label

    @property
    def percent_text(self) -> str:
        """The % change as a whole number cut towards zero, so it never contradicts the band."""
        if self.percent is None:
            return ""
        whole = math.trunc(self.percent)
        return f"+{whole}%" if whole > 0 else f"{whole}%"


def progress(baseline: Baseline | None, recent_means: dict) -> list[SymptomProgress]:
    """Baseline, recent mean, change and band for each symptom."""
    rows = []
    for symptom in NAMES:
        base = baseline.values[symptom] if baseline else None
        recent = recent_means.get(symptom)
        rows.append(
            SymptomProgress(
                symptom=BY_NAME[symptom],
                baseline=round1(base),
                recent=round1(recent),
                points=point_change(base, recent),
                percent=percent_change(base, recent),
                band=band_for(base, recent),
                sentence=summary_sentence(symptom, base, recent),
            )
        )
    return rows
