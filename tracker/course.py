"""A patient's course of treatment: what their pages, the practitioner's and the report show.

course_of() gathers one course (baseline, progress, chart, intervals between sessions,
sessions) for a chart range; CHART_RANGES are the periods a chart can show; and
checkin_message() is what a patient reads after saving a check-in. The rules themselves
(baselines, bands, means) are scores.py's, the drawing charts.py's.
"""

import bisect
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext, pgettext_lazy

from tracker import chart_events, mnsi, scores
from tracker.models import SessionStatus, SymptomEntry, TreatmentSession, readings_of
from tracker.prepared import Prepared
from tracker.reported import Reported
from tracker.symptoms import NAMES
from tracker.templatetags import score_words

# Chart ranges offered above every trend chart: key -> (label, days or None for all).
CHART_RANGES = {
    "4w": (gettext_lazy("4 weeks"), 28),
    "12w": (gettext_lazy("12 weeks"), 84),
    "all": (pgettext_lazy("a chart's period", "All"), None),
}


def range_start(first_at, range_key, now):
    """Where a chart over one of CHART_RANGES starts: never before the first entry."""
    days = CHART_RANGES[range_key][1]
    first = first_at or now
    return max(now - timedelta(days=days), first) if days else first


def first_reading_needed(cut, past_times):
    """The earliest reading a page cut at `cut` needs, or None for all of them.

    The 7-day means at the chart's left edge need the week before the cut; the first
    row of the interval table is compared with the interval before it, which starts
    at the session before the one in progress at the cut.
    """
    held = bisect.bisect_right(past_times, cut)
    if held < 2:
        return None
    return min(cut - timedelta(days=scores.RECENT_DAYS), past_times[held - 2])


def trend_chart(readings, session_times, start, end, baseline, events=()):
    """Chart geometry of the readings (oldest first), drawn from start to end, with the
    reported events (chart_events.Event) marked under the plot.

    session_times: the attended sessions, oldest first (numbered S1, S2... in order).
    The baseline is passed in because it depends on the whole course, not on
    what is visible.
    """
    # One time zone lookup for the whole chart: timezone.localtime() looks the zone up
    # again on every call, and two years of readings make thousands of calls.
    tz = timezone.get_current_timezone()

    def local(value):
        return value.astimezone(tz)

    # Only what is drawn, plus the week before it that the first rolling means need:
    # the cost then follows the period shown, not the length of the course.
    first = bisect.bisect_right(
        [r.at for r in readings], start - timedelta(days=scores.RECENT_DAYS)
    )
    readings = readings[first:]
    series = {s: [(local(r.at), r.value(s)) for r in readings] for s in NAMES}
    days = scores.daily_means(readings, tz)
    rolling = {
        s: [(local(at), value) for at, value in scores.rolling_means(days, s)] for s in NAMES
    }
    sessions = [(local(at), number) for number, at in enumerate(session_times, 1)]
    in_clinic = {local(r.at) for r in readings if r.in_clinic}
    return chart_events.trend_chart(
        series,
        sessions,
        local(start),
        local(end),
        events=[replace(e, at=local(e.at)) for e in events],
        baselines=baseline.values if baseline else None,
        rolling=rolling,
        tz_label=timezone.get_current_timezone_name(),
        in_clinic=in_clinic,
        words=score_words.chart_words(),
    )


def chart_range(request):
    key = request.GET.get("range", "12w")
    return key if key in CHART_RANGES else "12w"


def course_of(
    patient,
    now,
    range_key="all",
    start=None,
    end=None,
    whole=True,
    notes=True,
    reported=False,
    listed=True,
):
    """Everything the patient's page, the detail page and the report show about one course.

    Everything is as of `now`, which a report sets to its period's end: readings after
    it are left out, and only sessions attended by then count as held.
    The chart is drawn from start (default: the start of range_key) to end (default: now);
    the baseline and progress always come from the whole course. With whole=False, the
    interval table and the session list are cut to range_key's period ("All" cuts
    nothing) and only the readings that the period needs are read, so the cost follows
    what is shown rather than the length of the course. Counts are of the whole course.
    notes=False leaves the practitioner's session notes unread: the patient's own pages
    must never hold them. reported=True adds what the patient reported beside the scores
    (reported_of): four queries more, however many there are. listed=False: the page lists
    no sessions (the patient's history), so "sessions" is empty and none is made a model
    instance.
    """
    tz = timezone.get_current_timezone()
    days = None if whole else CHART_RANGES[range_key][1]
    cut = now - timedelta(days=days) if days else None
    sessions = sessions_of(patient, now, cut, notes, listed)
    upcoming = [s for s in sessions if s.upcoming]
    recorded = [s for s in sessions if not s.upcoming]
    past_times = [s.when for s in sessions if s.held]
    first_held = past_times[0] if past_times else None

    since = None
    if cut:
        # The same queries however long the course: the baseline window's readings, and
        # those the period needs (all of them while the course is young).
        since = first_reading_needed(cut, past_times)
        if since and past_times:
            # The "since last session" summary compares the flags now with those at the
            # session, which look back over the recent days or the missed-review window.
            look_back = max(scores.RECENT_DAYS, settings.REVIEW_MISSED_DAYS)
            since = min(since, past_times[-1] - timedelta(days=look_back))
    # Nothing after `now`: a report for a past period is worked out as of its end.
    readings, baseline, first_at = patient.course_readings(first_held, since, now)
    start = start or range_start(first_at, range_key, now)
    end = end or now
    if start >= end:
        # A period that ends before the first entry shows nothing, not a swapped range.
        start = end - timedelta(days=1)
    # Cut to the period (those ending after the cut) as they are worked out.
    intervals = scores.intervals(readings, past_times, tz, ending_after=cut) if first_at else []
    # intervals() gives one before the first session and one after each session held.
    interval_count = len(past_times) + 1 if first_at else 0
    newest_first = [s for s in recorded[::-1] if s.shown]
    extra = {}
    if reported:
        # From where the readings start: the period, its intervals and the last session.
        extra = reported_of(patient, since, now, start, end, [s for s in sessions if s.held])
        counts_of = extra.pop("interval_counts")
        counted = [counts_of(i) for i in intervals]
        # Columns only for a patient who reported something in the intervals shown.
        if any(c.total or c.impression for c in counted):
            intervals = [replace(i, reported=c) for i, c in zip(intervals, counted, strict=True)]
    since_session = scores.since_last_session(
        readings,
        past_times,
        baseline,
        now,
        tz,
        joined_at=patient.created_at,
        missed_after_days=settings.REVIEW_MISSED_DAYS,
    )
    if reported and since_session:
        extra["since_events"] = chart_events.between(
            extra["events"], since_session.at, now, end_included=True
        )
        extra["since_impression"] = extra["impressions"].get(sessions_held_last_pk(sessions), "")
    return {
        **extra,
        "chart": trend_chart(readings, past_times, start, end, baseline, extra.get("events", ())),
        "baseline": baseline,
        "progress": scores.progress(baseline, scores.recent_days(readings, now, tz)),
        "intervals": intervals,
        "interval_count": interval_count,
        # Sessions whose time has come (attended, cancelled, missed or still to be
        # recorded), newest first; and those booked ahead, soonest first.
        "sessions": newest_first,
        "session_count": len(recorded),
        "upcoming_sessions": upcoming,
        "period_label": CHART_RANGES[range_key][0].lower(),
        "recent_days": scores.RECENT_DAYS,
        "recent_min_days": scores.RECENT_MIN_DAYS,
        "baseline_rule": scores.baseline_rule(gettext),
        "before_session_days": scores.BEFORE_SESSION_DAYS,
        "next_session": upcoming[0] if upcoming else None,
        "sessions_done": len(past_times),
        "since_session": since_session,
    }


class SessionTime:
    """A session the page does not list: what the figures need of it, read as a tuple."""

    shown = False

    def __init__(self, pk, when, held, upcoming):
        self.pk, self.when, self.held, self.upcoming = pk, when, held, upcoming


SESSION_FIELDS = [f.attname for f in TreatmentSession._meta.concrete_fields]
# The practitioner's notes left out, as .defer("notes") would: patients' pages never read them.
SESSION_FIELDS_BUT_NOTES = [name for name in SESSION_FIELDS if name != "notes"]


def all_sessions(fields):
    """A patient's sessions, oldest first, as rows of `fields`."""
    return Prepared(
        lambda patient_id: (
            TreatmentSession.objects.filter(patient_id=patient_id)
            .order_by("when")
            .values_list(*fields)
        ),
        int,
    )


SESSIONS, SESSIONS_BUT_NOTES = all_sessions(SESSION_FIELDS), all_sessions(SESSION_FIELDS_BUT_NOTES)
# What a page that lists no session needs of each: SessionTime's.
SESSION_TIME_FIELDS = [TreatmentSession._meta.pk.attname, "when", "status"]
SESSION_TIMES = all_sessions(SESSION_TIME_FIELDS)


def sessions_of(patient, now, cut=None, notes=True, listed=True):
    """All the patient's sessions, oldest first, in one query: a TreatmentSession for each
    that the page lists (booked ahead, or from `cut` on; all without a cut), a SessionTime
    for the others, which only count, number and mark the chart.

    Each has held, upcoming and number; those listed awaiting_outcome and shown too.
    A course of a hundred sessions then makes a dozen model objects, not a hundred, and
    none with listed=False (a page that lists no sessions).
    """
    if not listed:
        fields, query = SESSION_TIME_FIELDS, SESSION_TIMES
    elif notes:
        fields, query = SESSION_FIELDS, SESSIONS
    else:
        fields, query = SESSION_FIELDS_BUT_NOTES, SESSIONS_BUT_NOTES
    where = {name: i for i, name in enumerate(fields)}
    pk, at, status = where[TreatmentSession._meta.pk.attname], where["when"], where["status"]
    rows = query.rows(patient.pk)
    sessions = []
    # Only attended sessions treated the patient: they alone get numbers (S1, S2...),
    # chart marks and intervals. Booked ones still to come are listed apart.
    number = 0
    for row in rows:
        # The rules of TreatmentSession.is_held() and is_upcoming(), on the tuple.
        held = row[status] == SessionStatus.ATTENDED and row[at] <= now
        upcoming = row[status] == SessionStatus.BOOKED and row[at] > now
        if listed and (upcoming or cut is None or row[at] >= cut):
            session = TreatmentSession.from_db(patient._state.db, fields, row)
            session.patient = patient
            session.held, session.upcoming, session.shown = held, upcoming, True
            session.awaiting_outcome = session.is_awaiting_outcome(now)
        else:
            session = SessionTime(row[pk], row[at], held, upcoming)
        number += held
        session.number = number if held else None
        sessions.append(session)
    return sessions


def sessions_held_last_pk(sessions):
    held = [s.pk for s in sessions if s.held]
    return held[-1] if held else None


def reported_of(patient, since, now, start, end, held):
    """What the patient reported from `since` (None: ever) to now, for course_of.

    held: the sessions held, oldest first (interval k starts at the k-th). Returns the
    events (chart_events.Event), those in the chart's period (period_events), the
    impressions of change by session, and interval_counts(interval): a Counts each.
    """
    found = Reported(patient, since, now)
    events = found.events()
    impressions = found.impression_by_session()

    def interval_counts(interval):
        session = held[interval.number - 1] if interval.number else None
        said = impressions.get(session.pk, "") if session else ""
        return chart_events.counts(events, interval.start, interval.end, said)

    return {
        "reported": found,
        "events": events,
        "period_events": chart_events.between(events, start, end, end_included=True),
        "impressions": impressions,
        "interval_counts": interval_counts,
        "mnsi_answers": found.mnsi,
        "mnsi_max": mnsi.MAX_SCORE,
    }


def progress_as_of(patient, as_of):
    """(baseline, scores.progress rows) as of a moment, in two queries however long
    the history: the baseline window (with the first session held by then), the recent
    days."""
    tz = timezone.get_current_timezone()
    baseline = patient.baseline_as_of(as_of)
    start = scores.days_start(as_of, tz)
    readings = readings_of(patient.entries.filter(recorded_at__gte=start, recorded_at__lte=as_of))
    return baseline, scores.progress(baseline, scores.recent_days(readings, as_of, tz))


def entry_before(patient_id, at):
    """The time and scores of the patient's last entry before `at`."""
    return (
        SymptomEntry.objects.filter(patient_id=patient_id, recorded_at__lt=at)
        .order_by("-recorded_at", "-pk")
        .values_list("recorded_at", *NAMES)[:1]
    )


ENTRY_BEFORE = Prepared(entry_before, int, datetime)


def checkin_message(patient, entry):
    """ "Saved." and a phrase per symptom against the entry before and the baseline.

    Reads only what the phrases need, however long the patient's history: the
    entry before this one, and the baseline window's readings with the first session
    held by the time it was saved (Patient.baseline_as_of).
    """
    before = ENTRY_BEFORE.first(patient.pk, entry.recorded_at)
    saved = entry.created_at
    baseline = patient.baseline_as_of(saved)
    previous = scores.Reading(before[0], before[1:]) if before else None
    phrases = score_words.checkin_phrases(scores.Reading.from_entry(entry), previous, baseline)
    # Each phrase a sentence of its own, with the language's full stop ("。").
    sentences = [pgettext("a check-in", "Saved.")]
    sentences += [pgettext("the next sentence", " %(phrase)s.") % {"phrase": p} for p in phrases]
    return "".join(sentences)
