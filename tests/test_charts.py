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


# --- The phone chart ------------------------------------------------------------

ASCENT, DESCENT = 0.8, 0.25  # of the font size, above and below a text's baseline
PHONE_PAGE_WIDTHS = {320: 296, 360: 336, 390: 366}  # viewport -> rendered chart width


def twelve_weeks(sessions_every=3.5, clinic=True, tz_label="Europe/London", symptom_names=None):
    """Three entries a day for 12 weeks, sessions twice a week, 7-day means and baselines."""
    names = symptom_names or symptoms.NAMES
    data = {
        s: [(day(n, hours=h), (n + h + i) % 11) for n in range(84) for h in (8, 13, 20)]
        for i, s in enumerate(names)
    }
    rolling = {s: [(day(n, hours=20), 5.0 + (n % 7) / 7) for n in range(84)] for s in names}
    count = int(84 / sessions_every)
    sessions = [(day(n * sessions_every, hours=10), n + 1) for n in range(count)]
    in_clinic = [day(n * sessions_every // 1, hours=8) for n in range(count)] if clinic else []
    return charts.trend_chart(
        data,
        sessions,
        day(0),
        day(84),
        baselines=dict.fromkeys(names, 6.0),
        rolling=rolling,
        tz_label=tz_label,
        in_clinic=in_clinic,
    )


def text_box(text, x, baseline, anchor="start"):
    """Estimated box (left, top, right, bottom) of a phone chart text."""
    width = charts.label_width(text)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    size = charts.PHONE_FONT_SIZE
    return (text, (left, baseline - ASCENT * size, left + width, baseline + DESCENT * size))


def phone_texts(phone):
    """Every text the template chart_phone.svg prints, with its estimated box."""
    size = charts.PHONE_FONT_SIZE
    texts = [text_box(item.label, item.text_x, item.text_y) for item in phone.legend]
    texts += [
        text_box(s.label, s.x, phone.session_label_y, "middle")
        for s in phone.sessions
        if s.show_label
    ]
    for panel in phone.panels:
        texts.append(text_box(panel.series.label, phone.title_x, panel.title_y))
        texts += [
            text_box(t.label, phone.y_tick_text_x, t.pos + 0.32 * size, "end")
            for t in panel.y_ticks
        ]
        if not panel.series.count:
            texts.append(text_box(phone.no_entries, panel.no_entries_x, panel.no_entries_y))
    texts += [text_box(t.label, t.pos, phone.x_tick_text_y, "middle") for t in phone.x_ticks]
    texts.append(text_box(phone.x_label, phone.x_label_x, phone.x_label_y, "middle"))
    return texts


def overlap(a, b):
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


PHONE_CASES = {
    "two weeks, two sessions": lambda: pain_chart(
        [(day(n), n % 11) for n in range(14)],
        sessions=[(day(2), 1), (day(9), 2)],
        baselines={"pain": 5},
        tz_label="Europe/London",
    ),
    "twelve weeks, sessions twice a week, clinic scores": twelve_weeks,
    "one symptom without entries": lambda: twelve_weeks(symptom_names=("pain", "tingling")),
    "a long time zone name": lambda: twelve_weeks(tz_label="America/Argentina/Buenos_Aires"),
    "two years": lambda: pain_chart(
        [(day(n), 5) for n in range(730)], start=day(0), end=day(730), sessions=[(day(9), 1)]
    ),
}


@pytest.mark.parametrize("case", PHONE_CASES)
def test_phone_chart_texts_do_not_overlap_and_stay_in_the_picture(case):
    phone = PHONE_CASES[case]().phone
    texts = phone_texts(phone)
    clashes = [
        (a, b)
        for i, (a, box) in enumerate(texts)
        for b, other in texts[i + 1 :]
        if overlap(box, other)
    ]
    assert not clashes
    for text, (left, top, right, bottom) in texts:
        assert left >= 0 and top >= 0, text
        assert right <= phone.width and bottom <= phone.height, text
    # Only "No entries" is written inside a plot; nothing else crosses one.
    for panel in phone.panels:
        plot = (panel.plot.left, panel.plot.top, panel.plot.right, panel.plot.bottom)
        inside = [text for text, box in texts if overlap(box, plot)]
        assert inside == ([] if panel.series.count else [phone.no_entries]), case


def test_phone_chart_stacks_one_panel_per_symptom_apart():
    phone = twelve_weeks().phone
    assert [p.series.symptom for p in phone.panels] == list(symptoms.NAMES)
    for above, below in zip(phone.panels, phone.panels[1:], strict=False):
        assert below.title_y > above.plot.bottom + charts.PHONE_FONT_SIZE
        assert below.plot.top > below.title_y
    for panel in phone.panels:
        assert panel.plot.height == charts.PHONE_PLOT_HEIGHT
        assert [t.label for t in panel.y_ticks] == ["0", "5", "10"]  # each its own 0-10 axis
        assert panel.y_ticks[0].pos == panel.plot.bottom
        assert panel.y_ticks[-1].pos == panel.plot.top
    assert phone.height >= phone.panels[-1].plot.bottom + 2 * charts.PHONE_FONT_SIZE


@pytest.mark.parametrize("viewport", PHONE_PAGE_WIDTHS)
def test_phone_text_renders_at_least_12_px_on_a_phone(viewport):
    # An SVG scaled by its viewBox shows text at font size x shown width / viewBox width.
    phone = twelve_weeks().phone
    assert phone.view_box == f"0 0 {charts.PHONE_WIDTH} {phone.height}"
    assert phone.font_size * PHONE_PAGE_WIDTHS[viewport] / phone.width >= 12
    # The desktop chart, by contrast, would be unreadable there.
    assert charts.FONT_SIZE * PHONE_PAGE_WIDTHS[viewport] / 720 < 7


def test_phone_chart_has_fewer_ticks_than_the_desktop_one():
    chart = twelve_weeks()
    assert 2 <= len(chart.phone.x_ticks) < len(chart.x_ticks)
    assert len(chart.phone.panels[0].y_ticks) < len(chart.y_ticks)


def test_every_phone_panel_marks_the_sessions_and_crowded_labels_are_hidden():
    chart = twelve_weeks()
    phone = chart.phone
    assert [s.number for s in phone.sessions] == [s.number for s in chart.sessions]
    for panel in phone.panels:
        assert all(panel.plot.left <= s.x <= panel.plot.right for s in phone.sessions)
    shown = [s for s in phone.sessions if s.show_label]
    assert 2 <= len(shown) < len(phone.sessions)  # 24 sessions in 12 weeks: not all labelled


def test_phone_entries_are_thinned_and_smaller_but_clinic_scores_all_kept():
    chart = twelve_weeks()
    for desktop, panel in zip(chart.series, chart.phone.panels, strict=True):
        phone = panel.series
        assert phone.count == desktop.count == 252
        assert len(coords(phone.points)) == 252  # the faint line stays complete
        entries = [m for m in phone.markers if not m.in_clinic]
        assert len(entries) <= panel.plot.width / charts.PHONE_MARKER_PX
        assert sum(m.in_clinic for m in phone.markers) == chart.clinic_count
        assert phone.rolling_points and phone.baseline_y is not None
        size = charts.PHONE_MARKER_SIZE
        assert entries[0].d == charts.marker_path(phone.shape, entries[0].x, entries[0].y, size)


def test_phone_chart_drops_a_time_zone_name_too_long_for_it():
    assert twelve_weeks().phone.x_label == "Date (times in Europe/London)"
    assert twelve_weeks(tz_label="America/Argentina/Buenos_Aires").phone.x_label == "Date"


# --- Reported events (chart_events.py) -----------------------------------------

from tests.test_symptoms import contrast_ratio  # noqa: E402
from tracker import chart_events  # noqa: E402
from tracker.chart_events import CHANGED, EXTRA_DOSE, FALL, SIDE_EFFECTS, Event  # noqa: E402

EVENTS = [
    Event(day(2, 9), EXTRA_DOSE, medicine="Pregabalin"),
    Event(day(5, 9), FALL),
    Event(day(9, 9), SIDE_EFFECTS, effects=("A bruise", "Soreness")),
    Event(day(12, 9), EXTRA_DOSE),
]


def event_chart(events=EVENTS, start=None, end=None, **kwargs):
    pairs = [(day(n, 8), 5) for n in range(14)]
    return chart_events.trend_chart(
        {"pain": pairs}, [], start or day(0), end or day(14), events=events, **kwargs
    )


def test_each_kind_shown_gets_a_row_under_the_plot_in_a_fixed_order():
    chart = event_chart()

    assert [lane.name for lane in chart.lanes] == [EXTRA_DOSE, FALL, SIDE_EFFECTS]
    ys = [lane.y for lane in chart.lanes]
    assert ys == sorted(ys)
    assert ys[0] > chart.plot.bottom
    # The date labels move under the rows, and the picture grows instead of the plot.
    assert chart.x_tick_text_y > ys[-1] + charts.EVENT_ROW / 2
    plain = pain_chart([(day(n, 8), 5) for n in range(14)])
    assert chart.plot == plain.plot
    assert chart.height == plain.height + 3 * charts.EVENT_ROW + 4


def test_a_marker_sits_at_its_event_s_time_in_its_kind_s_row():
    chart = event_chart()
    doses, falls, effects = chart.lanes
    scale = charts._Scale(chart.plot, day(0), day(14))

    assert [(m.x, m.y) for m in doses.markers] == [
        (scale.x(day(2, 9)), doses.y),
        (scale.x(day(12, 9)), doses.y),
    ]
    assert [m.x for m in falls.markers] == [scale.x(day(5, 9))]
    assert effects.markers[0].title == "Side effects: a bruise, soreness — 12 Nov 09:00"
    assert doses.markers[0].title == "Extra dose (Pregabalin) — 5 Nov 09:00"


def test_the_legend_has_an_item_per_kind_shown_with_its_shape():
    chart = event_chart()

    items = [item for item in chart.legend if item.kind == "event"]
    assert [item.label for item in items] == ["Extra dose", "Fall", "Side effects"]
    kinds = chart_events.KINDS
    for item, name in zip(items, (EXTRA_DOSE, FALL, SIDE_EFFECTS), strict=True):
        assert item.colour == kinds[name].colour
        assert item.marker_d  # a shape, drawn like the markers in the rows


def test_events_outside_the_range_are_left_out_and_no_events_draw_no_rows():
    chart = event_chart(start=day(4), end=day(8))
    assert [(lane.name, len(lane.markers)) for lane in chart.lanes] == [(FALL, 1)]

    bare = event_chart(events=[])
    assert bare.lanes == []
    assert not [item for item in bare.legend if item.kind == "event"]
    assert "Reported" not in bare.desc


def test_the_text_alternative_counts_the_events():
    assert "Reported events marked under the plot: extra doses 2, falls 1, side effects 1." in (
        event_chart().desc
    )


def test_the_phone_chart_has_the_same_rows_under_its_panels():
    chart = event_chart()
    phone = chart.phone

    assert [lane.name for lane in phone.lanes] == [lane.name for lane in chart.lanes]
    assert [len(lane.markers) for lane in phone.lanes] == [2, 1, 1]
    assert phone.lanes[0].y > phone.panels[-1].plot.bottom
    assert phone.x_tick_text_y > phone.lanes[-1].y
    assert all(0 <= m.x <= phone.width for lane in phone.lanes for m in lane.markers)
    # The desktop rows keep their own markers: the phone's are a copy, not the same list.
    assert phone.lanes[0].markers is not chart.lanes[0].markers
    assert [item.label for item in phone.legend if item.kind == "event"] == [
        "Extra dose",
        "Fall",
        "Side effects",
    ]


def test_event_kinds_differ_in_shape_from_each_other_and_from_the_symptoms():
    shapes = [kind.shape for kind in chart_events.EVENT_KINDS]
    assert len(set(shapes)) == len(shapes)
    assert not set(shapes) & ({s.marker for s in symptoms.SYMPTOMS} | {charts.CLINIC_SHAPE})
    paths = {shape: charts.marker_path(shape, 10, 10, 4) for shape in shapes}
    assert len(set(paths.values())) == len(shapes)


@pytest.mark.parametrize("kind", chart_events.EVENT_KINDS, ids=lambda k: k.name)
def test_event_colours_have_text_contrast_on_white(kind):
    assert contrast_ratio(kind.colour) >= 4.5


def test_event_words():
    assert Event(day(0), EXTRA_DOSE, medicine="Pregabalin").text == "Extra dose (Pregabalin)"
    assert Event(day(0), FALL).text == "Fall"
    assert Event(day(0), CHANGED, note="Dose halved").text == "Medicine changed: Dose halved"
    assert Event(day(0), SIDE_EFFECTS, effects=("Feeling faint",)).text == (
        "Side effects: feeling faint"
    )


def test_counts_between_sessions_take_the_start_and_leave_the_end():
    counted = chart_events.counts(EVENTS, day(2, 9), day(12, 9), "Much better")

    assert counted.counts == {EXTRA_DOSE: 1, FALL: 1, SIDE_EFFECTS: 1}
    assert [n for _, n in counted.cells] == [1, 0, 1, 1]
    assert counted.impression == "Much better"
    assert chart_events.counts(EVENTS, None, None).total == 4
