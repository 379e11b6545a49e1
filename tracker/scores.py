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
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

from tracker.symptoms import BY_NAME, NAMES, Symptom


# Words for people are message ids in English, marked for makemessages. This module stays
# free of Django: a function that words a sentence takes the Django layer's gettext and
# ngettext (tracker/templatetags/score_words.py), and says it in English without them.
def gettext_noop(message):
    return message


def ngettext_en(singular, plural, number):
    return singular if number == 1 else plural


def _count(value):
    """A number for ngettext, which takes whole numbers: 1 for exactly one, else 2."""
    return 1 if value == 1 else 2


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
    # Taken in clinic (the practitioner entered what the patient stated). Only the
    # chart draws it apart: every figure counts it like any other reading.
    in_clinic: bool = field(default=False, compare=False)

    def value(self, symptom: str) -> int:
        try:
            return self.scores[_INDEX[symptom]]
        except KeyError:
            raise ValueError(f"Unknown symptom: {symptom!r}") from None

    @classmethod
    def from_entry(cls, entry) -> Reading:
        """Build from any object with recorded_at and an attribute per symptom."""
        return cls(entry.recorded_at, tuple(getattr(entry, s) for s in NAMES))


class Day(NamedTuple):
    """One local calendar day of readings: each symptom's mean and highest score.

    Every figure is worked out from these, so a day logged six times weighs as one.
    The worklist's SQL builds them too (one row per patient and day, thousands a
    page: a named tuple is made several times faster than a frozen dataclass).
    """

    day: date
    means: tuple[float, ...]  # in NAMES order
    peaks: tuple[int, ...]  # in NAMES order
    count: int  # readings that day
    last_at: datetime | None = None  # the day's last reading (the chart plots it there)

    def mean(self, symptom: str) -> float:
        return self.means[_INDEX[symptom]]

    def peak(self, symptom: str) -> int:
        return self.peaks[_INDEX[symptom]]


def daily_means(readings, tz: tzinfo) -> list[Day]:
    """The readings grouped by calendar day in the clinic's time zone `tz`, oldest first."""
    by_day: dict[date, list[Reading]] = {}
    for reading in readings:
        by_day.setdefault(reading.at.astimezone(tz).date(), []).append(reading)
    days = []
    for day in sorted(by_day):
        group = by_day[day]
        columns = list(zip(*(r.scores for r in group), strict=True))
        days.append(
            Day(
                day,
                tuple(sum(c) / len(c) for c in columns),
                tuple(max(c) for c in columns),
                len(group),
                max(r.at for r in group),
            )
        )
    return days


def mean(values) -> float | None:
    """Arithmetic mean, or None when there are no values."""
    values = list(values)
    if not values:
        return None
    return sum(values) / len(values)


def means_of_days(days) -> dict[str, float | None]:
    """{symptom: the mean of its daily means}, None for each without days."""
    days = list(days)
    return {s: mean(d.mean(s) for d in days) for s in NAMES}


def round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def format_score(value) -> str:
    """4 -> "4", 4.0 -> "4", 4.25 -> "4.3"."""
    value = round(value, 1)
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _one_decimal(value) -> str:
    return f"{value:.1f}"


# --- Baseline ---------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """The patient's level before treatment, from the daily means of one window."""

    days: tuple[Day, ...]
    method: str  # BEFORE_FIRST_SESSION or FIRST_WEEK

    @cached_property
    def values(self) -> dict[str, float]:
        return means_of_days(self.days)

    @property
    def day_count(self) -> int:
        return len(self.days)

    @property
    def provisional(self) -> bool:
        """Before any session, or with too few days before the first one."""
        return self.method == FIRST_WEEK or self.day_count < BASELINE_MIN_DAYS

    def day_values(self, symptom: str) -> tuple[float, ...]:
        return tuple(d.mean(symptom) for d in self.days)

    @property
    def describe_for_patient(self) -> str:
        return self.describe("your")

    def describe(self, whose: str = "the", gettext=gettext_noop, ngettext=ngettext_en) -> str:
        """Which rule gave the baseline and how many days it covers, for a caption.

        "the mean of 6 days in the 14 days before the first session"; whose="your"
        speaks to the patient.
        """
        text = self.describe_rule(whose, gettext, ngettext)
        if self.provisional:
            return gettext("provisional: %(baseline)s") % {"baseline": text}
        return text

    def describe_rule(self, whose: str = "the", gettext=gettext_noop, ngettext=ngettext_en):
        """describe() without its "provisional: " (pages that say it in their own way)."""
        n = self.day_count
        values = {
            "count": n,
            "window": BEFORE_SESSION_DAYS
            if self.method == BEFORE_FIRST_SESSION
            else FIRST_WEEK_DAYS,
            "needed": BASELINE_MIN_DAYS,
        }
        yours = whose == "your"
        if self.method == BEFORE_FIRST_SESSION:
            if yours:
                text = ngettext(
                    "the mean of %(count)s day in the %(window)s days before your first session",
                    "the mean of %(count)s days in the %(window)s days before your first session",
                    n,
                )
            else:
                text = ngettext(
                    "the mean of %(count)s day in the %(window)s days before the first session",
                    "the mean of %(count)s days in the %(window)s days before the first session",
                    n,
                )
            text = text % values
            if self.provisional:
                text = gettext("%(baseline)s (%(needed)s are needed)") % {
                    "baseline": text,
                    "needed": BASELINE_MIN_DAYS,
                }
            return text
        if yours:
            text = ngettext(
                "the mean of %(count)s day in your first %(window)s days of logging, "
                "until your first session",
                "the mean of %(count)s days in your first %(window)s days of logging, "
                "until your first session",
                n,
            )
        else:
            text = ngettext(
                "the mean of %(count)s day in the first %(window)s days of logging, "
                "until the first session",
                "the mean of %(count)s days in the first %(window)s days of logging, "
                "until the first session",
                n,
            )
        return text % values


def baseline_rule(gettext=gettext_noop) -> str:
    """The baseline's rule in one phrase, for the practitioner's pages."""
    return gettext(
        "once a session is held, the mean of the daily means of the %(window)s "
        "days before the first one, which needs %(needed)s days or more (with fewer "
        "it is provisional); before any session, a provisional baseline from the first "
        "%(first_week)s days of logging"
    ) % {
        "window": BEFORE_SESSION_DAYS,
        "needed": BASELINE_MIN_DAYS,
        "first_week": FIRST_WEEK_DAYS,
    }


BASELINE_RULE = baseline_rule()


def choose_baseline(days, session_held=True) -> Baseline | None:
    """The baseline from the days of its window (baseline_window), grouped already by
    daily_means() or by the worklist's SQL; None without a day.

    Once a session is held, the window is the BEFORE_SESSION_DAYS before it, and the
    baseline is provisional with fewer than BASELINE_MIN_DAYS (the first week never
    stands in, as it may hold readings from after treatment began). With no session
    held it is the first FIRST_WEEK_DAYS of logging, always provisional.
    """
    days = tuple(days or ())
    if not days:
        return None
    return Baseline(days, BEFORE_FIRST_SESSION if session_held else FIRST_WEEK)


def baseline_window(first_session_at, first_entry_at):
    """(start, end) of the readings a baseline draws on: start <= at < end; or None.

    Once a session is held: the BEFORE_SESSION_DAYS before the first one. Before
    any session: the first FIRST_WEEK_DAYS from the first reading.
    """
    if first_session_at is not None:
        return first_session_at - timedelta(days=BEFORE_SESSION_DAYS), first_session_at
    if first_entry_at is not None:
        return first_entry_at, first_entry_at + timedelta(days=FIRST_WEEK_DAYS)
    return None


def baseline_for(readings, first_session_at, tz: tzinfo) -> Baseline | None:
    """Baseline from raw readings (oldest first), grouped by day in the zone tz."""
    readings = list(readings)
    window = baseline_window(first_session_at, readings[0].at if readings else None)
    if window is None:
        return None
    start, end = window
    days = daily_means((r for r in readings if start <= r.at < end), tz)
    return choose_baseline(days, session_held=first_session_at is not None)


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

    def label_in(self, gettext=gettext_noop) -> str:
        """The whole label in the reader's language (its message id is `label`)."""
        return gettext(self.label)

    def label_parts_in(self, gettext=gettext_noop) -> tuple[tuple[str, bool], ...]:
        """label_parts in the reader's language. A translation is one piece, never cut:
        only English knows which of its words may go."""
        whole = gettext(self.label)
        return self.label_parts if whole == self.label else ((whole, False),)

    def phrase_in(self, gettext=gettext_noop) -> str:
        return gettext(_BAND_PHRASES[self])

    @property
    def label_parts(self) -> tuple[tuple[str, bool], ...]:
        """The label as (words, optional) pairs: optional words go where space is short."""
        return _BAND_LABELS[self]

    @property
    def phrase(self) -> str:
        """Lower-case words to end a sentence with."""
        return _BAND_PHRASES[self]


# The whole labels, as message ids (label joins the parts below).
_BAND_LABEL_IDS = (
    gettext_noop("Worse"),
    gettext_noop("No important change"),
    gettext_noop("Minimal improvement"),
    gettext_noop("Moderate improvement"),
    gettext_noop("Substantial improvement"),
)
_BAND_LABELS = {
    Band.WORSE: (("Worse", False),),
    Band.NO_CHANGE: (("No", False), (" important", True), (" change", False)),
    Band.MINIMAL: (("Minimal", False), (" improvement", True)),
    Band.MODERATE: (("Moderate", False), (" improvement", True)),
    Band.SUBSTANTIAL: (("Substantial", False), (" improvement", True)),
}
# The bands in one sentence, for pages that print them beside the figures.
_MIN_POINTS = format_score(BAND_MIN_POINTS)


def worse_rule(gettext=gettext_noop) -> str:
    """ "2 points or more, or 30% or more and at least 1 point"."""
    if BAND_MIN_POINTS == 1:
        rule = gettext(
            "%(points)s points or more, or %(ratio)s%% or more and at least %(min)s point"
        )
    else:
        rule = gettext(
            "%(points)s points or more, or %(ratio)s%% or more and at least %(min)s points"
        )
    return rule % {"points": format_score(WORSE_POINTS), "ratio": WORSE_RATIO, "min": _MIN_POINTS}


_WORSE_RULE = worse_rule()


def bands_explained(gettext=gettext_noop) -> str:
    """The bands in one paragraph, for pages that print them beside the figures."""
    return gettext(
        "Improvement bands follow IMMPACT, and come from group data in drug trials: "
        "a fall of %(minimal)s–%(below_moderate)s%% is minimal, %(moderate)s%% or "
        "more moderate, %(substantial)s%% or more substantial. IMMPACT defines no "
        "worsening; ours is a rise of %(worse_rule)s. A change of less than %(min)s "
        "point is no important change, whatever its percentage."
    ) % {
        "minimal": MINIMAL_RATIO,
        "below_moderate": MODERATE_RATIO - 1,
        "moderate": MODERATE_RATIO,
        "substantial": SUBSTANTIAL_RATIO,
        "worse_rule": worse_rule(gettext),
        "min": _MIN_POINTS,
    }


BANDS_EXPLAINED = bands_explained()
_BAND_PHRASES = {
    Band.WORSE: gettext_noop("a clear worsening"),
    Band.NO_CHANGE: gettext_noop("no important change"),
    Band.MINIMAL: gettext_noop("a minimal improvement"),
    Band.MODERATE: gettext_noop("a moderate improvement"),
    Band.SUBSTANTIAL: gettext_noop("a substantial improvement"),
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


# --- Recent days ------------------------------------------------------------


def days_start(now, tz: tzinfo, days=RECENT_DAYS) -> datetime:
    """The first moment of the last `days` calendar days in tz, today being one of them."""
    today = now.astimezone(tz).date()
    return datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=tz)


def next_day_start(now, tz: tzinfo) -> datetime:
    """The first moment of tomorrow in tz: when every "last N days" window moves on."""
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time.min, tzinfo=tz)


def recent_days(readings, now, tz: tzinfo, days=RECENT_DAYS) -> list[Day]:
    """Daily means of the last `days` calendar days (today and the days before), to now."""
    start = days_start(now, tz, days)
    return daily_means((r for r in readings if start <= r.at <= now), tz)


def recent_means(recent: list[Day]) -> dict[str, float | None]:
    """{symptom: mean of the recent days}, or all None with fewer than RECENT_MIN_DAYS."""
    if len(recent) < RECENT_MIN_DAYS:
        return dict.fromkeys(NAMES)
    return means_of_days(recent)


def recent_peaks(recent: list[Day]) -> dict[str, int | None]:
    """{symptom: its highest single score in the recent days}, None without days."""
    return {s: max((d.peak(s) for d in recent), default=None) for s in NAMES}


# --- Reliable change --------------------------------------------------------


@dataclass(frozen=True)
class ReliableChange:
    """Whether a change from baseline is larger than the patient's own ups and downs.

    Jacobson & Truax 1991 (J Consult Clin Psychol 59:12-19) divide a change by its
    standard error; for a diary the error comes from the person's own day-to-day spread
    (Mun et al. 2019, Pain 160:2415-29), widened when days follow each other closely.
    """

    points: float  # recent mean - baseline mean, unrounded
    spread: float  # s: the pooled within-window SD of the daily means, at least SPREAD_FLOOR
    autocorrelation: float  # rho: lag-1 of the baseline days, within [0, AUTOCORRELATION_MAX]
    se: float
    z: float

    @property
    def reliable(self) -> bool:
        return abs(self.z) >= RELIABLE_Z

    @property
    def label(self) -> str:
        if self.reliable:
            return gettext_noop("Beyond usual ups and downs")
        return gettext_noop("Within usual ups and downs")

    def label_in(self, gettext=gettext_noop) -> str:
        return gettext(self.label)

    def phrase(self, whose: str = "your", gettext=gettext_noop) -> str:
        if whose == "your":
            if self.reliable:
                return gettext("larger than your usual ups and downs")
            return gettext("within your usual ups and downs")
        if self.reliable:
            return f"larger than {whose} usual ups and downs"
        return f"within {whose} usual ups and downs"


def _sum_of_squares(values) -> float:
    centre = sum(values) / len(values)
    return sum((v - centre) ** 2 for v in values)


def lag1_autocorrelation(values) -> float:
    """r1 of a series (in day order; a gap in logging just joins the days around it).

    0 for fewer than 3 values or a series that never changes.
    """
    n = len(values)
    # A series that does not move has no runs. "Does not move" allows for the float
    # noise of means such as 0.7: three of them average to 0.6999999999999998, and
    # the ratio of those crumbs would be any number at all.
    if n < 3 or max(values) - min(values) < 1e-9:
        return 0.0
    centre = sum(values) / n
    denominator = sum((v - centre) ** 2 for v in values)
    numerator = sum((values[t] - centre) * (values[t + 1] - centre) for t in range(n - 1))
    return numerator / denominator


def reliable_change(baseline_days, recent_days) -> ReliableChange | None:
    """SE = s * sqrt(1/nb + 1/nr) * sqrt((1 + rho) / (1 - rho)); z = change / SE.

    baseline_days and recent_days are one symptom's daily means, oldest first. None
    unless there is a baseline day and RECENT_MIN_DAYS recent days.
    """
    b, r = list(baseline_days), list(recent_days)
    if not b or len(r) < RECENT_MIN_DAYS:
        return None
    pooled = math.sqrt((_sum_of_squares(b) + _sum_of_squares(r)) / (len(b) + len(r) - 2))
    spread = max(pooled, SPREAD_FLOOR)
    rho = min(max(lag1_autocorrelation(b), 0.0), AUTOCORRELATION_MAX)
    se = spread * math.sqrt(1 / len(b) + 1 / len(r)) * math.sqrt((1 + rho) / (1 - rho))
    points = sum(r) / len(r) - sum(b) / len(b)
    return ReliableChange(points, spread, rho, se, points / se)


def reliable_explained(gettext=gettext_noop) -> str:
    """Reliable change in one paragraph, for the practitioner's pages."""
    return gettext(
        "A change is beyond usual ups and downs when it is at least %(z)s "
        "times its standard error, worked out from the patient's own day-to-day spread "
        "(Jacobson & Truax 1991, adapted to diaries). Whether a change is important (the "
        "band) and whether it is reliable are two questions: both are shown."
    ) % {"z": FIGURES["RELIABLE_Z"]}


RELIABLE_EXPLAINED = reliable_explained()


# --- Flags ------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """A reason to look at a patient now. Its help states the rule with the rule's numbers."""

    name: str  # a field of Flags, and the worklist's ?flag= value
    label: str  # the badge on a worklist row: "Review missed" (a message id, as are the others)
    counted: str  # after a count at the top of the worklist: "2 review missed"
    help: str  # may hold %(missed_days)s, which is the clinic's setting, and the rule's numbers

    def label_in(self, gettext=gettext_noop) -> str:
        return gettext(self.label)

    def counted_in(self, gettext=gettext_noop) -> str:
        return gettext(self.counted)

    def help_text(self, missed_days=MISSED_AFTER_DAYS, gettext=gettext_noop) -> str:
        return gettext(self.help) % {
            "missed_days": missed_days,
            "recent_days": RECENT_DAYS,
            "severe": SEVERE_SCORE,
            "worse_rule": worse_rule(gettext),
        }


FLAGS = (
    Flag(
        "worse",
        gettext_noop("Worse"),
        gettext_noop("worse"),
        gettext_noop(
            "Worse: the last %(recent_days)s days' average of a symptom has risen above the "
            "baseline by %(worse_rule)s."
        ),
    ),
    Flag(
        "severe",
        gettext_noop("Severe"),
        gettext_noop("severe"),
        gettext_noop(
            "Severe: a score of %(severe)s or more in the last %(recent_days)s days, for a "
            "symptom whose baseline is under %(severe)s, provisional or not known yet."
        ),
    ),
    Flag(
        "missed",
        gettext_noop("Review missed"),
        gettext_noop("review missed"),
        gettext_noop("Review missed: no entry for %(missed_days)s days or more."),
    ),
    Flag(
        "fall",
        gettext_noop("Fall since last review"),
        gettext_noop("fall since last review"),
        gettext_noop(
            "Fall since last review: the patient said in the weekly questions that they fell, "
            "after the last review (or at any time, if never reviewed)."
        ),
    ),
)
FLAG_NAMES = tuple(flag.name for flag in FLAGS)


@dataclass(frozen=True)
class Flags:
    """Which of FLAGS are raised for one patient: a field per flag."""

    worse: bool = False
    severe: bool = False
    missed: bool = False
    fall: bool = False

    @property
    def any(self) -> bool:
        return bool(self.names())

    def names(self) -> list[str]:
        return [name for name in FLAG_NAMES if getattr(self, name)]


def flags_for(
    baseline,
    recent,
    last_entry_at,
    now,
    missed_after_days=MISSED_AFTER_DAYS,
    since=None,
    last_fall_at=None,
    reviewed_at=None,
) -> Flags:
    """Review flags for one patient, from its Baseline (or None) and recent Days.

    worse:  any symptom's recent mean is in the WORSE band against its baseline
            (band_for). No baseline, or fewer than RECENT_MIN_DAYS recent days,
            means no "worse" flag.
    severe: a symptom's highest single score in the recent days >= SEVERE_SCORE,
            where its baseline is below SEVERE_SCORE or not known (none, or only
            provisional): for a baseline already severe, the worsening rule speaks,
            so the flag is not on for ever.
    missed: the last entry - or, if there is none, `since` (when the patient
            joined) - is at least missed_after_days old: exactly that many days
            counts. With neither date known, nothing is flagged.
    fall:   the latest fall the patient answered (last_fall_at) came after the last
            review that was not undone (reviewed_at), or there is no such review.
            So "Mark reviewed" clears it, and a fall answered later raises it again.
    """
    means = recent_means(recent)
    worse = baseline is not None and any(
        band_for(baseline.values[s], means[s]) == Band.WORSE for s in NAMES
    )
    peaks = recent_peaks(recent)
    # A provisional baseline is not yet known: it may hold the very scores that are
    # severe now (a new patient at 9/10 is flagged until a session sets the baseline).
    known = baseline is not None and not baseline.provisional
    severe = any(
        (peaks[s] or 0) >= SEVERE_SCORE and not (known and baseline.values[s] >= SEVERE_SCORE)
        for s in NAMES
    )
    opened = missed_since(last_entry_at, since, missed_after_days)
    missed = opened is not None and opened <= now
    fall = last_fall_at is not None and (reviewed_at is None or last_fall_at > reviewed_at)
    return Flags(worse=worse, severe=severe, missed=missed, fall=fall)


def missed_since(last_entry_at, since, missed_after_days=MISSED_AFTER_DAYS):
    """When the "review missed" window opened: missed_after_days after the last entry
    (or, with none, after `since`, when the patient joined). None with neither known.

    flags_for raises "missed" exactly when this moment is at or before now.
    """
    reference = last_entry_at if last_entry_at is not None else since
    return None if reference is None else reference + timedelta(days=missed_after_days)


@dataclass(frozen=True)
class Review:
    """A practitioner's "Mark reviewed": when, and the names of the flags raised then."""

    at: datetime
    flags: tuple[str, ...]


def still_reviewed(
    flags_now: Flags,
    review: Review | None,
    last_severe_saved_at: datetime | None,
    missed_window_opened_at: datetime | None,
) -> bool:
    """Whether a review still covers the flags raised now. The row then leaves "needs attention".

    A review covers the flags until something arises after it that its reviewer
    could not have seen. It no longer covers them (the row re-opens by itself) when
    any of the flags raised now is new in this sense:

    worse:   raised now, and it was not among the flags at the review.
    severe:  raised now, and either it was not among the flags at the review or an
             entry with a severe score was saved after the review
             (last_severe_saved_at: when the newest recent entry with a score of
             SEVERE_SCORE or more was saved).
    missed:  raised now, and its window opened after the review
             (missed_window_opened_at, from missed_since): the patient logged
             after the review and then went quiet again, or was not yet overdue
             when reviewed.
    fall:    raised now: it only counts falls after the last review, so no review
             covers it.

    With no flags raised now there is nothing to cover: False. With no review: False.
    A flag that was reviewed, went away and came back in between is not seen as
    new, except as the rules above say (a new severe entry, a new quiet window).
    """
    if review is None or not flags_now.any or flags_now.fall:
        return False
    at_review = set(review.flags)
    if flags_now.worse and "worse" not in at_review:
        return False
    if flags_now.severe and (
        "severe" not in at_review
        or (last_severe_saved_at is not None and last_severe_saved_at > review.at)
    ):
        return False
    new_window = missed_window_opened_at is None or missed_window_opened_at > review.at
    return not (flags_now.missed and new_window)


# --- Rolling means ----------------------------------------------------------


def rolling_means(days, symptom, window=RECENT_DAYS) -> list[tuple[datetime, float]]:
    """For each Day (oldest first), the mean of `symptom`'s daily means over the
    `window` calendar days that end with it, placed at the day's last reading.

    A gap in logging just leaves fewer days in the window. Linear time.
    """
    result = []
    total = 0.0
    lo = 0
    for hi, day in enumerate(days):
        total += day.mean(symptom)
        while days[lo].day <= day.day - timedelta(days=window):
            total -= days[lo].mean(symptom)
            lo += 1
        result.append((day.last_at, total / (hi + 1 - lo)))
    return result


# --- Intervals between sessions ---------------------------------------------


@dataclass(frozen=True)
class SessionInterval:
    label: str
    number: int  # 0 = before the first session (or all entries when there are none)
    start: datetime | None  # None: open at the start
    end: datetime | None  # None: still open
    count: int  # readings
    means: dict[str, float | None] = field(default_factory=dict)  # of the daily means
    changes: dict[str, float | None] = field(default_factory=dict)  # points vs previous interval
    # What the patient reported in it (chart_events.Counts), on the practitioner's pages.
    reported: object = None

    @property
    def cells(self) -> list[dict]:
        """Mean and change per symptom, in NAMES order, for tables."""
        return [
            {"symptom": s, "mean": self.means.get(s), "change": self.changes.get(s)} for s in NAMES
        ]


# Interval labels, as message ids: interval_label() says one in the reader's language.
ALL_ENTRIES = gettext_noop("All entries")
BEFORE_SESSION_1 = gettext_noop("Before session 1")
AFTER_SESSION = gettext_noop("After session %(number)s")


def interval_label(interval, gettext=gettext_noop) -> str:
    """An interval's label ("After session 3") in the reader's language."""
    if interval.number:
        return gettext(AFTER_SESSION) % {"number": interval.number}
    return gettext(interval.label)


def intervals(readings, session_times, tz: tzinfo, ending_after=None) -> list[SessionInterval]:
    """Readings grouped by treatment session, to answer "did it help after session 3?".

    Returns "Before session 1" (everything earlier than the first session), then
    "After session k" for [session k, session k+1), the last one open-ended.
    Sessions are numbered 1, 2, ... in time order. An interval with no readings
    is kept, with count 0 and None means, so gaps stay visible. Means are of the
    daily means (in `tz`) of the interval's readings.
    With no sessions there is one interval, "All entries" (number 0).
    ending_after: leave out the intervals that end at or before it, without working
    them out (a page cut to a period shows a dozen of a hundred); the kept ones are
    those of the whole list.
    """
    ordered = sorted(readings, key=lambda r: r.at)
    times = [r.at for r in ordered]
    sessions = sorted(session_times)
    if not sessions:
        return [_interval(ALL_ENTRIES, 0, None, None, ordered, None, tz)]

    # Boundaries: (label, number, start, end); bisect keeps this O(n log n).
    bounds = [(BEFORE_SESSION_1, 0, None, sessions[0])]
    for k, start in enumerate(sessions, start=1):
        end = sessions[k] if k < len(sessions) else None
        bounds.append((AFTER_SESSION % {"number": k}, k, start, end))

    result = []
    previous = None
    if ending_after is not None:
        # Interval k ends at session k+1: the first kept follows the sessions up to the
        # cut. The one before it is worked out too (its means give the kept one's changes).
        first_kept = bisect.bisect_right(sessions, ending_after)
        bounds = bounds[max(0, first_kept - 1) :]
    for label, number, start, end in bounds:
        lo = 0 if start is None else bisect.bisect_left(times, start)
        hi = len(times) if end is None else bisect.bisect_left(times, end)
        item = _interval(label, number, start, end, ordered[lo:hi], previous, tz)
        result.append(item)
        previous = item
    if ending_after is not None:
        result = [i for i in result if i.end is None or i.end > ending_after]
    return result


def last_interval(readings, session_times, tz: tzinfo) -> SessionInterval:
    """intervals(readings, session_times, tz)[-1], without working out the others: the
    one after the last session, compared with the one before it (a course of a hundred
    sessions has a hundred intervals, and "since the last session" needs one)."""
    sessions = sorted(session_times)
    if not sessions:
        return intervals(readings, sessions, tz)[-1]
    ordered = sorted(readings, key=lambda r: r.at)
    times = [r.at for r in ordered]
    last, k = sessions[-1], len(sessions)
    before_last = bisect.bisect_left(times, last)
    if k == 1:
        previous = _interval(BEFORE_SESSION_1, 0, None, last, ordered[:before_last], None, tz)
    else:
        # Its own changes are not needed, only its means: no interval before it.
        start = bisect.bisect_left(times, sessions[-2])
        label = AFTER_SESSION % {"number": k - 1}
        previous = _interval(label, k - 1, sessions[-2], last, ordered[start:before_last], None, tz)
    label = AFTER_SESSION % {"number": k}
    return _interval(label, k, last, None, ordered[before_last:], previous, tz)


@dataclass(frozen=True)
class SinceSession:
    """What changed since the last session held: for the practitioner's next visit.

    interval: the readings since that session, with each symptom's mean and its
    change against the interval before (SessionInterval.changes). progress: the
    same days against the baseline, with reliable change (scores.progress rules,
    so fewer than RECENT_MIN_DAYS days give no mean). new_flags: the flags raised
    now that were not raised at the session.
    """

    number: int  # the session's number among those held: S3
    at: datetime
    days: int  # calendar days from the session's day to today, in the clinic's zone
    interval: SessionInterval
    progress: list
    new_flags: list  # Flag

    @property
    def rows(self) -> list[dict]:
        """Per symptom, in NAMES order: the mean since, its change against the interval
        before (points) and its SymptomProgress against the baseline, for tables and text."""
        return [
            {
                "progress": p,
                "mean": self.interval.means.get(s),
                "change": self.interval.changes.get(s),
            }
            for s, p in zip(NAMES, self.progress, strict=True)
        ]


def since_last_session(
    readings,
    held_times,
    baseline,
    now,
    tz: tzinfo,
    joined_at=None,
    missed_after_days=MISSED_AFTER_DAYS,
) -> SinceSession | None:
    """The summary since the last of held_times (sessions held by now), or None without one.

    readings: the patient's readings up to now, oldest first, holding at least the
    last two intervals (course.first_reading_needed keeps them).
    """
    if not held_times:
        return None
    held = sorted(held_times)
    last = held[-1]
    ordered = sorted((r for r in readings if r.at <= now), key=lambda r: r.at)
    before = [r for r in ordered if r.at < last]
    after = [r for r in ordered if r.at >= last]
    # The last of the intervals the interval table shows: its means and its change
    # against the one before, by the same rule.
    interval = last_interval(ordered, held, tz)

    def flags_at(moment, seen):
        last_at = seen[-1].at if seen else None
        days = recent_days(seen, moment, tz)
        return flags_for(baseline, days, last_at, moment, missed_after_days, since=joined_at)

    then = flags_at(last, before)
    now_flags = flags_at(now, before + after)
    return SinceSession(
        number=len(held),
        at=last,
        days=(now.astimezone(tz).date() - last.astimezone(tz).date()).days,
        interval=interval,
        progress=progress(baseline, daily_means(after, tz)),
        new_flags=[f for f in FLAGS if getattr(now_flags, f.name) and not getattr(then, f.name)],
    )


def _interval(label, number, start, end, readings, previous, tz) -> SessionInterval:
    means = means_of_days(daily_means(readings, tz))
    changes = {
        s: point_change(previous.means.get(s), means[s]) if previous else None for s in NAMES
    }
    return SessionInterval(label, number, start, end, len(readings), means, changes)


# --- Words for patients -----------------------------------------------------


def summary_sentence(
    p: SymptomProgress,
    days=RECENT_DAYS,
    gettext=gettext_noop,
    ngettext=ngettext_en,
    number=_one_decimal,
) -> str:
    """One plain sentence comparing the recent mean with the baseline, for the patient.

    gettext, ngettext and number (a score with one decimal) come from the Django layer;
    without them it is English."""
    name = gettext(p.label)
    if p.recent_day_count == 0:
        return ngettext(
            "%(symptom)s: no entries in the last %(days)s day.",
            "%(symptom)s: no entries in the last %(days)s days.",
            days,
        ) % {"symptom": name, "days": days}
    if p.recent is None:
        return ngettext(
            "%(symptom)s: not enough recent entries to compare "
            "(%(count)s day in the last %(days)s; %(needed)s are needed).",
            "%(symptom)s: not enough recent entries to compare "
            "(%(count)s days in the last %(days)s; %(needed)s are needed).",
            p.recent_day_count,
        ) % {
            "symptom": name,
            "count": p.recent_day_count,
            "days": days,
            "needed": RECENT_MIN_DAYS,
        }
    recent = ngettext(
        "%(symptom)s: %(mean)s on average over the last %(days)s day",
        "%(symptom)s: %(mean)s on average over the last %(days)s days",
        days,
    ) % {"symptom": name, "mean": number(p.recent), "days": days}
    if p.baseline is None:
        return gettext("%(recent)s. Not enough entries yet to set a baseline.") % {"recent": recent}

    if p.provisional:
        base = gettext("your provisional baseline of %(baseline)s")
    else:
        base = gettext("your baseline of %(baseline)s")
    base = base % {"baseline": number(p.baseline)}
    verdict = p.band.phrase_in(gettext)
    if p.reliable is not None:
        verdict = gettext("%(band)s, %(reliable)s") % {
            "band": verdict,
            "reliable": p.reliable.phrase("your", gettext),
        }
    values = {"recent": recent, "base": base, "verdict": verdict}
    if p.points == 0:
        return gettext("%(recent)s, the same as %(base)s — %(verdict)s.") % values
    values["points"] = number(abs(p.points))
    n = _count(abs(p.points))
    if p.percent is None:
        if p.points < 0:
            text = ngettext(
                "%(recent)s, %(points)s point lower than %(base)s — %(verdict)s.",
                "%(recent)s, %(points)s points lower than %(base)s — %(verdict)s.",
                n,
            )
        else:
            text = ngettext(
                "%(recent)s, %(points)s point higher than %(base)s — %(verdict)s.",
                "%(recent)s, %(points)s points higher than %(base)s — %(verdict)s.",
                n,
            )
        return text % values
    # Whole percent, cut towards zero: "30%" is then shown only when the
    # change really reached 30.0%, so the words never contradict the band.
    values["percent"] = math.floor(abs(p.percent))
    if p.points < 0:
        text = ngettext(
            "%(recent)s, %(points)s point lower (%(percent)s%% less) than %(base)s — %(verdict)s.",
            "%(recent)s, %(points)s points lower (%(percent)s%% less) than %(base)s — %(verdict)s.",
            n,
        )
    else:
        text = ngettext(
            "%(recent)s, %(points)s point higher (%(percent)s%% more) than %(base)s — %(verdict)s.",
            "%(recent)s, %(points)s points higher (%(percent)s%% more) than %(base)s "
            "— %(verdict)s.",
            n,
        )
    return text % values


def difference_phrase(value, other, other_label, gettext=gettext_noop, number=format_score):
    """ "2 lower than your first week", "same as your last entry"."""
    diff = round(value - other, 1)
    values = {"other": other_label, "difference": number(abs(diff))}
    if diff == 0:
        return gettext("same as %(other)s") % values
    if diff < 0:
        return gettext("%(difference)s lower than %(other)s") % values
    return gettext("%(difference)s higher than %(other)s") % values


def compare_phrase(
    symptom, value, other, other_label, gettext=gettext_noop, number=format_score
) -> str:
    """Short comparison for the message after a check-in.

    compare_phrase("pain", 4, 6, "your first week")
    -> "Pain 4 — 2 lower than your first week"
    """
    head = gettext("%(symptom)s %(score)s") % {
        "symptom": gettext(BY_NAME[symptom].label),
        "score": number(value),
    }
    if other is None:
        return head
    difference = difference_phrase(value, other, other_label, gettext, number)
    return gettext("%(symptom)s — %(difference)s") % {
        "symptom": head,
        "difference": difference,
    }


def baseline_label(baseline: Baseline, gettext=gettext_noop) -> str:
    """How a patient would name the baseline period."""
    if baseline.method == BEFORE_FIRST_SESSION:
        return gettext("before your first session")
    return gettext("your first week")


def checkin_phrases(
    reading: Reading,
    previous: Reading | None,
    baseline: Baseline | None,
    gettext=gettext_noop,
    number=format_score,
):
    """One phrase per symptom comparing a new check-in with the last one and the baseline.

    "Pain 4 — 1 lower than your last entry; 2 lower than your first week"
    """
    phrases = []
    for symptom in NAMES:
        value = reading.value(symptom)
        last = previous.value(symptom) if previous else None
        phrase = compare_phrase(symptom, value, last, gettext("your last entry"), gettext, number)
        # A baseline of a day or two says little, and the first check-in is its own.
        if baseline is not None and baseline.day_count >= BASELINE_MIN_DAYS:
            vs_base = difference_phrase(
                value,
                baseline.values[symptom],
                baseline_label(baseline, gettext),
                gettext,
                number,
            )
            if last is not None:
                phrase = gettext("%(last)s; %(baseline)s") % {"last": phrase, "baseline": vs_base}
            else:
                phrase = compare_phrase(symptom, value, None, "", gettext, number)
                phrase = gettext("%(symptom)s — %(difference)s") % {
                    "symptom": phrase,
                    "difference": vs_base,
                }
        phrases.append(phrase)
    return phrases


@dataclass(frozen=True)
class SymptomProgress:
    """Where one symptom stands: baseline, recent mean, the change and whether it is reliable."""

    symptom: Symptom
    baseline: float | None
    recent: float | None  # None also with fewer than RECENT_MIN_DAYS recent days
    points: float | None
    percent: float | None
    band: Band | None
    reliable: ReliableChange | None = None
    recent_day_count: int = 0
    provisional: bool = False  # of the baseline
    baseline_days: int = 0  # how many days the baseline covers

    @property
    def label(self) -> str:
        return self.symptom.label

    @property
    def sentence(self) -> str:
        return summary_sentence(self)

    @property
    def percent_text(self) -> str:
        """The % change as a whole number cut towards zero, so it never contradicts the band."""
        if self.percent is None:
            return ""
        whole = math.trunc(self.percent)
        return f"+{whole}%" if whole > 0 else f"{whole}%"


def progress(baseline: Baseline | None, recent: list[Day]) -> list[SymptomProgress]:
    """Baseline, recent mean, change, band and reliable change for each symptom."""
    means = recent_means(recent)
    rows = []
    for symptom in NAMES:
        base = baseline.values[symptom] if baseline else None
        mean_now = means[symptom]
        reliable = None
        if base is not None and mean_now is not None:
            reliable = reliable_change(
                baseline.day_values(symptom), [d.mean(symptom) for d in recent]
            )
        rows.append(
            SymptomProgress(
                symptom=BY_NAME[symptom],
                baseline=round1(base),
                recent=round1(mean_now),
                points=point_change(base, mean_now),
                percent=percent_change(base, mean_now),
                band=band_for(base, mean_now),
                reliable=reliable,
                recent_day_count=len(recent),
                provisional=bool(baseline and baseline.provisional),
                baseline_days=baseline.day_count if baseline else 0,
            )
        )
    return rows
