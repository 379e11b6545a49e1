import re
from datetime import UTC, datetime, timedelta

import pytest

from tracker import charts, symptoms

T0 = datetime(2025, 11, 3, 0, 0, tzinfo=UTC)


def day(n, hours=0):
    return T0 + timedelta(days=n, hours=hours)


def coords(points):
    """Polyline points string -> list of (x, y) floats."""
    return [tuple(map(float, pair.split(","))) for pair in points.split()]


def pain_chart(pairs, start=None, end=None, **kwargs):
    start = start or day(0)
    end = end or day(14)
    return charts.trend_chart({"pain": pairs}, kwargs.pop("sessions", []), start, end, **kwargs)


# --- Small formatting helpers ---------------------------------------------------


def test_num_formats_coordinates():
    assert charts.num(40.0) == "40"
    assert charts.num(12.345) == "12.3"
    assert charts.num(-0.01) == "0"


# --- Trend chart: edge cases --------------------------------------------------


def test_no_data_gives_an_empty_chart():
    chart = charts.trend_chart({}, [(day(1), 1)], day(0), day(7))
    assert chart.empty
    assert chart.series == []


def test_data_outside_the_range_only_gives_an_empty_chart():
    chart = pain_chart([(day(-3), 5), (day(30), 5)])
    assert chart.empty


def test_points_outside_range_are_dropped():
    chart = pain_chart([(day(-1), 5), (day(1), 5), (day(2), 6), (day(15), 5)])
    pain = chart.series[0]
    assert pain.count == 2
    assert len(coords(pain.points)) == 2
    assert len(pain.markers) == 2


def test_one_point_is_inside_the_plot():
    chart = pain_chart([(day(3), 4)])
    assert not chart.empty
    [(x, y)] = coords(chart.series[0].points)
    assert chart.plot.left <= x <= chart.plot.right
    assert chart.plot.top <= y <= chart.plot.bottom
    assert chart.series[0].markers[0].title == "Pain 4 — 6 Nov 00:00"


def test_start_equal_to_end_centres_the_point():
    chart = pain_chart([(day(3), 4)], start=day(3), end=day(3))
    [(x, _y)] = coords(chart.series[0].points)
    assert x == pytest.approx((chart.plot.left + chart.plot.right) / 2, abs=0.1)


def test_all_equal_values_make_a_flat_line():
    chart = pain_chart([(day(n), 6) for n in range(10)])
    ys = {y for _x, y in coords(chart.series[0].points)}
    assert len(ys) == 1


def test_ten_is_at_the_top_and_zero_at_the_bottom():
    chart = pain_chart([(day(1), 10), (day(2), 0)])
    (_x1, top), (_x2, bottom) = coords(chart.series[0].points)
    assert top == chart.plot.top
    assert bottom == chart.plot.bottom
    assert chart.y_ticks[0] == charts.Tick(chart.plot.bottom, "0")
    assert chart.y_ticks[-1] == charts.Tick(chart.plot.top, "10")
    assert [t.label for t in chart.y_ticks] == ["0", "2", "4", "6", "8", "10"]


def test_time_runs_left_to_right_from_start_to_end():
    chart = pain_chart([(day(0), 3), (day(14), 3)])
    (x1, _), (x2, _) = coords(chart.series[0].points)
    assert x1 == chart.plot.left
    assert x2 == chart.plot.right


def test_points_are_sorted_by_time():
    chart = pain_chart([(day(5), 3), (day(1), 3), (day(3), 3)])
    xs = [x for x, _y in coords(chart.series[0].points)]
    assert xs == sorted(xs)


def test_sessions_outside_the_range_are_omitted():
    sessions = [(day(-2), 1), (day(4), 2), (day(20), 3)]
    chart = pain_chart([(day(1), 5)], sessions=sessions)
    assert [s.number for s in chart.sessions] == [2]
    session = chart.sessions[0]
    assert session.label == "S2"
    assert session.title == "Session 2 — 7 Nov"
    assert chart.plot.left <= session.x <= chart.plot.right


def test_crowded_session_labels_are_hidden_but_lines_kept():
    sessions = [(day(4), 1), (day(4, 1), 2), (day(9), 3)]
    chart = pain_chart([(day(1), 5)], sessions=sessions)
    assert [s.show_label for s in chart.sessions] == [True, False, True]


def test_baselines_and_rolling_means():
    rolling = {"pain": [(day(1), 4.0), (day(2), 5.0), (day(30), 1.0)]}
    baselines = {"pain": 5.0, "numbness": None}
    chart = pain_chart([(day(1), 4), (day(2), 6)], baselines=baselines, rolling=rolling)
    pain, numbness, _tingling = chart.series
    assert len(coords(pain.rolling_points)) == 2  # day 30 is outside the range
    middle = (chart.plot.top + chart.plot.bottom) / 2
    assert pain.baseline_y == pytest.approx(middle, abs=0.1)
    assert pain.baseline_title == "Pain baseline 5.0"
    assert numbness.baseline_y is None
    assert {item.kind for item in chart.legend} == {"series", "baseline"}


def test_all_coordinates_are_inside_the_plot_area():
    data = {
        s: [(day(n, hours=7 * k), (n + k) % 11) for n in range(14) for k in range(3)]
        for s in symptoms.NAMES
    }
    chart = charts.trend_chart(data, [(day(5), 1)], day(0), day(14), baselines={"pain": 3.3})
    for series in chart.series:
        for x, y in coords(series.points):
            assert chart.plot.left <= x <= chart.plot.right
            assert chart.plot.top <= y <= chart.plot.bottom
        for marker in series.markers:
            assert chart.plot.left <= marker.x <= chart.plot.right
    for tick in chart.x_ticks:
        assert chart.plot.left <= tick.pos <= chart.plot.right


def test_coordinates_have_at_most_one_decimal():
    chart = pain_chart([(day(1, hours=h), h % 11) for h in range(0, 200, 7)])
    numbers = re.findall(r"-?\d+(?:\.\d+)?", chart.series[0].points)
    assert numbers
    assert all(len(n.split(".")[1]) == 1 for n in numbers if "." in n)


def test_out_of_scale_values_are_clamped():
    chart = pain_chart([(day(1), 12), (day(2), -1)])
    (_x1, y1), (_x2, y2) = coords(chart.series[0].points)
    assert (y1, y2) == (chart.plot.top, chart.plot.bottom)


def test_chart_title_and_description():
    chart = pain_chart([(day(1), 5)], sessions=[(day(2), 1)])
    assert chart.title == "Symptom scores, 3 Nov 2025 to 17 Nov 2025"
    assert "1 pain" in chart.desc and "sessions marked: 1" in chart.desc
    assert chart.view_box == "0 0 720 300"


# --- Long ranges --------------------------------------------------------------


def test_two_years_of_three_entries_a_day():
    start, end = day(0), day(730)
    pairs = [(day(n, hours=h), (n + h) % 11) for n in range(730) for h in (8, 13, 20)]
    rolling = {"pain": [(at, 5.0) for at, _v in pairs]}
    chart = pain_chart(pairs, start=start, end=end, rolling=rolling)
    pain = chart.series[0]
    assert pain.count == 2190
    assert len(coords(pain.points)) == 2190  # the line stays complete
    assert len(pain.markers) <= charts.MAX_MARKERS  # markers are thinned
    assert pain.markers[-1].x == coords(pain.points)[-1][0]  # latest marker kept
    assert chart.dense
    assert 2 <= len(chart.x_ticks) <= 12
    assert chart.x_ticks[0].label == "Jan 2026"  # quarterly ticks, year on the first


def test_many_points_without_rolling_keep_markers_under_the_cap():
    pairs = [(day(0, hours=h), 5) for h in range(1000)]
    chart = pain_chart(pairs, start=day(0), end=day(0, hours=999))
    assert len(chart.series[0].markers) <= charts.MAX_MARKERS
    assert not chart.dense


# --- Time ticks ---------------------------------------------------------------


def test_daily_ticks_for_a_week():
    ticks = charts.time_ticks(day(0), day(6))
    assert [label for _m, label in ticks] == [
        "3 Nov",
        "4 Nov",
        "5 Nov",
        "6 Nov",
        "7 Nov",
        "8 Nov",
        "9 Nov",
    ]


def test_weekly_ticks_start_on_mondays():
    ticks = charts.time_ticks(day(1), day(60))
    assert all(moment.weekday() == 0 for moment, _label in ticks)
    assert ticks[0][1] == "10 Nov"


def test_monthly_ticks_show_the_year_in_january():
    ticks = charts.time_ticks(day(0), day(200))
    labels = [label for _m, label in ticks]
    assert labels[0] == "Dec 2025"
    assert "Jan 2026" in labels
    assert "Feb" in labels


# --- Sparklines ---------------------------------------------------------------


def test_sparkline_empty():
    assert charts.sparkline([]).empty
    assert charts.sparkline([None]).empty


def test_sparkline_uses_a_fixed_zero_to_ten_scale():
    spark = charts.sparkline([0, 10, 5])
    (x0, y0), (_x1, y1), (x2, y2) = coords(spark.points)
    assert y0 > y2 > y1  # 0 lowest on screen, 10 highest
    assert y1 > 0
    assert y0 < spark.height
    assert 0 < x0 < x2 < spark.width
    assert (spark.last_x, spark.last_y) == (x2, y2)
    assert spark.view_box == "0 0 96 24"


def test_sparkline_with_one_value():
    spark = charts.sparkline([4])
    [(x, _y)] = coords(spark.points)
    assert not spark.empty
    assert x == spark.last_x
    assert 0 < x < spark.width


def test_in_clinic_readings_are_hollow_squares_kept_when_markers_are_thinned():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(hours=h) for h in range(1000)]
    series = {s.name: [(at, 5) for at in moments] for s in symptoms.SYMPTOMS}
    clinic = moments[1]  # thinning keeps every n-th marker counted from the newest

    chart = charts.trend_chart(
        series, [], moments[0], moments[-1], in_clinic={clinic, start - timedelta(days=1)}
    )

    for s in chart.series:
        assert len(s.markers) < 1000
        [marked] = [m for m in s.markers if m.in_clinic]
        assert marked.title.endswith(", in clinic")
        assert marked.d == charts.marker_path(
            charts.CLINIC_SHAPE, marked.x, marked.y, charts.CLINIC_MARKER_SIZE
        )
    assert chart.clinic_count == 1  # the one outside the range is not counted
    assert [i.label for i in chart.legend][-1] == charts.CLINIC_LABEL
    assert "Scores taken in clinic (hollow squares): 1." in chart.desc


def test_without_in_clinic_readings_the_key_has_no_clinic_item():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    series = {"pain": [(start, 3), (start + timedelta(days=1), 4)]}

    chart = charts.trend_chart(series, [], start, start + timedelta(days=1))

    assert charts.CLINIC_LABEL not in [i.label for i in chart.legend]
    assert "clinic" not in chart.desc
