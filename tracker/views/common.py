"""Pieces shared by the patient's and the practitioner's pages."""

from datetime import timedelta

from django.utils import timezone

from tracker import charts, scores

# Chart ranges offered above every trend chart: key -> (label, days or None for all).
CHART_RANGES = {"4w": ("4 weeks", 28), "12w": ("12 weeks", 84), "all": ("All", None)}


def range_start(readings, range_key, now):
    """Where a chart over one of CHART_RANGES starts: never before the first entry."""
    days = CHART_RANGES[range_key][1]
    first = readings[0].at if readings else now
    return max(now - timedelta(days=days), first) if days else first


def trend_chart(readings, session_times, start, end, baseline):
    """Chart geometry: all readings (for the rolling means), drawn from start to end.

    The baseline is passed in because it depends on the whole course, not on
    what is visible.
    """
    # One time zone lookup for the whole chart: timezone.localtime() looks the zone up
    # again on every call, and two years of readings make thousands of calls.
    tz = timezone.get_current_timezone()

    def local(value):
        return value.astimezone(tz)

    series = {s: [(local(r.at), r.value(s)) for r in readings] for s in scores.SYMPTOMS}
    rolling = {
        s: [(local(at), value) for at, value in scores.rolling_means(readings, s)]
        for s in scores.SYMPTOMS
    }
    sessions = [(local(at), number) for number, at in enumerate(session_times, 1)]
    return charts.trend_chart(
        series,
        sessions,
        local(start),
        local(end),
        baselines=baseline.values if baseline else None,
        rolling=rolling,
        tz_label=timezone.get_current_timezone_name(),
    )


def chart_range(request):
    key = request.GET.get("range", "12w")
    return key if key in CHART_RANGES else "12w"


def course_of(patient, now, range_key="all", start=None, end=None):
    """Everything the patient's, the detail page and the report show about one course.

    The chart is drawn from start (default: the start of range_key) to end (default: now);
    the baseline, progress and interval table always use the whole course.
    """
    readings = patient.readings()
    sessions = list(patient.sessions.order_by("when"))
    for number, session in enumerate(sessions, 1):
        session.number = number
    session_times = [s.when for s in sessions]
    past_times = [at for at in session_times if at <= now]
    baseline = scores.baseline_for(readings, scores.first_treatment(session_times, now))
    start = start or range_start(readings, range_key, now)
    end = end or now
    if start >= end:
        # A period that ends before the first entry shows nothing, not a swapped range.
        start = end - timedelta(days=1)
    return {
        "chart": trend_chart(readings, session_times, start, end, baseline),
        "baseline": baseline,
        "progress": scores.progress(baseline, scores.recent_mean(readings, now)),
        "intervals": scores.intervals(readings, past_times) if readings else [],
        "sessions": sessions[::-1],
        "next_session": next((s for s in sessions if s.when > now), None),
        "sessions_done": len(past_times),
        "entry_count": len(readings),
    }
