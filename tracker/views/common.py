"""Pieces shared by the patient's and the practitioner's pages."""

from datetime import timedelta

from django.utils import timezone

from tracker import charts, scores

# Chart ranges offered above every trend chart: key -> (label, days or None for all).
CHART_RANGES = {"4w": ("4 weeks", 28), "12w": ("12 weeks", 84), "all": ("All", None)}


def trend_chart(readings, session_times, range_key, now):
    """Chart geometry for readings and sessions over one of CHART_RANGES."""
    days = CHART_RANGES[range_key][1]
    local = timezone.localtime
    # Start where the data starts when that is later than the range's start.
    first = readings[0].at if readings else now
    start = local(max(now - timedelta(days=days), first) if days else first)
    series = {s: [(local(r.at), r.value(s)) for r in readings] for s in scores.SYMPTOMS}
    rolling = {
        s: [(local(at), value) for at, value in scores.rolling_means(readings, s)]
        for s in scores.SYMPTOMS
    }
    first_session = session_times[0] if session_times else None
    baseline = scores.baseline_for(readings, first_session)
    sessions = [(local(at), number) for number, at in enumerate(session_times, 1)]
    return charts.trend_chart(
        series,
        sessions,
        start,
        local(now),
        baselines=baseline.values if baseline else None,
        rolling=rolling,
        tz_label=timezone.get_current_timezone_name(),
    )


def chart_range(request):
    key = request.GET.get("range", "12w")
    return key if key in CHART_RANGES else "12w"
