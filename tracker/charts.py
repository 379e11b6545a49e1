"""SVG chart geometry: data in, plain numbers and strings out.

Pure Python (standard library only). The templates tracker/chart.svg (with
chart_phone.svg, its drawing for a phone) and tracker/sparkline.svg only print what is
computed here, so the maths can be tested without Django and the output passes a strict
Content-Security-Policy (presentation attributes only, no style attributes, no script).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from tracker.scores import format_score, ngettext_en
from tracker.symptoms import SYMPTOMS, in_words


def gettext_noop(message):
    """Marks a message for translation (makemessages); the Django layer translates it."""
    return message


def pgettext(context, message):
    """Marks a message with a context for makemessages (no Django here): the English."""
    return message


class Words(NamedTuple):
    """How the chart's words are said: English here; the Django layer passes its own
    gettext, ngettext and pgettext (tracker/templatetags/score_words.py chart_words())."""

    gettext: Callable = gettext_noop
    ngettext: Callable = ngettext_en
    pgettext: Callable = pgettext


ENGLISH = Words()

MONTHS = (
    pgettext("abbreviated month", "Jan"),
    pgettext("abbreviated month", "Feb"),
    pgettext("abbreviated month", "Mar"),
    pgettext("abbreviated month", "Apr"),
    pgettext("abbreviated month", "May"),
    pgettext("abbreviated month", "Jun"),
    pgettext("abbreviated month", "Jul"),
    pgettext("abbreviated month", "Aug"),
    pgettext("abbreviated month", "Sep"),
    pgettext("abbreviated month", "Oct"),
    pgettext("abbreviated month", "Nov"),
    pgettext("abbreviated month", "Dec"),
)
MAX_SCORE = 10
Y_TICKS = (0, 2, 4, 6, 8, 10)
# Beyond this many points a series keeps every n-th marker; the line stays complete.
MAX_MARKERS = 400
MARKER_SIZE = 3.5
FONT_SIZE = 12
CHAR_WIDTH = 7  # rough average glyph width at FONT_SIZE, for laying out the legend
MIN_TICK_SPACING = 56  # px between x labels such as "30 Nov"
LABEL_GAP = 6  # px between neighbouring session labels; crowded labels are hidden, lines stay
AXIS_COLOUR = "#555555"  # 7.5:1 on white
GRID_COLOUR = "#dddddd"
BASELINE_DASH = "12 4 2 4"  # dash-dot, distinct from every symptom's own dash
SESSION_DASH = "4 3"
DENSE_PX_PER_POINT = 3  # below this spacing single entries blur into a band
DENSE_MARKER_PX = 8  # then markers only every ~8 px, enough to tell the lines apart
# Scores taken in clinic are drawn as a hollow square, larger than the entry markers,
# whatever the symptom: shape and fill, not only colour, tell them apart.
CLINIC_SHAPE = "square"
CLINIC_MARKER_SIZE = MARKER_SIZE * 1.4
CLINIC_LABEL = gettext_noop("In clinic")
# What patients report beside the scores (extra doses, falls...) is drawn in rows under
# the plot, a row per kind (chart_events.py places the markers).
EVENT_ROW = 16
EVENT_MARKER_SIZE = 4.5


# --- Small formatting helpers ------------------------------------------------


@lru_cache(maxsize=32768)
def num(value: float) -> str:
    """Coordinate as SVG text: one decimal at most, no "-0".

    Kept per value (a few MB at most): a chart writes thousands of coordinates, nearly
    all on its 0.1 px grid, so the same few thousand values come back on every chart."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def month_name(month: int, words: Words = ENGLISH) -> str:
    return words.pgettext("abbreviated month", MONTHS[month - 1])


def day_label(moment: datetime, words: Words = ENGLISH) -> str:
    """ "3 Nov" ("3 nov", "11月3日")."""
    return words.gettext("%(day)s %(month)s") % {
        "day": moment.day,
        "month": month_name(moment.month, words),
    }


def time_label(moment: datetime, words: Words = ENGLISH) -> str:
    return words.gettext("%(day)s %(time)s") % {
        "day": day_label(moment, words),
        "time": f"{moment:%H:%M}",
    }


def _marker_title(label, value, at, words: Words = ENGLISH) -> str:
    return words.gettext("%(symptom)s %(score)s — %(time)s") % {
        "symptom": label,
        "score": format_score(value),
        "time": time_label(at, words),
    }


def marker_path(shape: str, x: float, y: float, size: float = MARKER_SIZE) -> str:
    """Path data for a marker centred on (x, y); one <path> element fits every shape."""
    if shape == "square":
        s = size * 0.9
        return f"M{num(x - s)},{num(y - s)}h{num(2 * s)}v{num(2 * s)}h{num(-2 * s)}Z"
    if shape == "triangle":
        s = size * 1.2
        return (
            f"M{num(x)},{num(y - s)}L{num(x + s * 0.87)},{num(y + s * 0.5)}"
            f"L{num(x - s * 0.87)},{num(y + s * 0.5)}Z"
        )
    if shape == "down-triangle":
        s = size * 1.5  # as large to the eye as the other event shapes
        return (
            f"M{num(x)},{num(y + s)}L{num(x + s * 0.87)},{num(y - s * 0.5)}"
            f"L{num(x - s * 0.87)},{num(y - s * 0.5)}Z"
        )
    if shape == "diamond":
        s = size * 1.25
        corners = [(0, -s), (s, 0), (0, s), (-s, 0)]
        return "M" + "L".join(f"{num(x + a)},{num(y + b)}" for a, b in corners) + "Z"
    if shape in ("plus", "cross"):
        # A plus sign as one outline, arms a third of its width; "cross" turns it 45 degrees.
        s, t = size * 1.2, size * 0.4
        corners = [(t, s), (t, t), (s, t), (s, -t), (t, -t), (t, -s)]
        corners += [(-a, -b) for a, b in corners]
        if shape == "cross":
            corners = [((a - b) * 0.75, (a + b) * 0.75) for a, b in corners]
        return "M" + "L".join(f"{num(x + a)},{num(y + b)}" for a, b in corners) + "Z"
    # Circle as two arcs.
    return f"M{num(x - size)},{num(y)}a{num(size)},{num(size)} 0 1,0 {num(2 * size)},0" + (
        f"a{num(size)},{num(size)} 0 1,0 {num(-2 * size)},0Z"
    )


# --- Geometry objects --------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return round(self.right - self.left, 1)

    @property
    def height(self) -> float:
        return round(self.bottom - self.top, 1)


@dataclass(frozen=True)
class Tick:
    pos: float  # x for the time axis, y for the score axis
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    d: str  # path data of the marker shape
    title: str  # tooltip, e.g. "Pain 6 — 3 Nov 14:05"
    in_clinic: bool = False  # drawn as a hollow square (CLINIC_SHAPE)


@dataclass
class Series:
    symptom: str
    label: str
    colour: str
    dash: str
    shape: str
    points: str = ""  # polyline points of the entries
    markers: list[Marker] = field(default_factory=list)
    count: int = 0  # entries inside the range (markers may be thinned)
    rolling_points: str = ""  # polyline of the rolling mean, "" if none
    baseline_y: float | None = None
    baseline_title: str = ""


@dataclass(frozen=True)
class SessionMark:
    x: float
    number: int
    label: str  # "S3"
    title: str  # "Session 3 — 4 Nov"
    show_label: bool  # False when it would overlap the previous label


@dataclass(frozen=True)
class LegendItem:
    label: str
    colour: str
    dash: str
    kind: str  # "series", "baseline", "session" or "clinic"
    x1: float
    x2: float
    y: float  # the sample line's y
    text_x: float
    text_y: float
    marker_d: str = ""  # only for kind == "series"
    y_top: float = 0  # vertical sample line (sessions)
    y_bottom: float = 0


@dataclass
class Lane:
    """A row under the plot for one kind of reported event (chart_events.EVENT_KINDS)."""

    name: str
    label: str
    colour: str
    shape: str
    y: float = 0  # the row's centre line
    markers: list[Marker] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    empty: bool = True
    title: str = ""
    desc: str = ""
    plot: Rect | None = None
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    sessions: list[SessionMark] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    x_label: str = ""
    x_label_x: float = 0
    x_label_y: float = 0
    y_label: str = "Score (0–10)"
    y_label_x: float = 0
    y_label_y: float = 0
    session_label_y: float = 0
    y_tick_text_x: float = 0  # right edge of the score labels
    x_tick_text_y: float = 0  # baseline of the date labels
    x_tick_mark_y: float = 0  # lower end of the small tick marks under the axis
    # More entries than the width can show apart: the template then fades the
    # raw lines and makes the rolling mean the main line.
    dense: bool = False
    clinic_count: int = 0  # readings taken in clinic inside the range (hollow squares)
    lanes: list[Lane] = field(default_factory=list)  # reported events, under the plot
    start: datetime | None = None  # the time range drawn
    end: datetime | None = None
    # The same data drawn for a phone (see phone_chart); the page shows one of the two.
    phone: PhoneChart | None = None

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    # Shared styling, exposed so the template has no numbers or colours of its own.
    axis_colour = AXIS_COLOUR
    grid_colour = GRID_COLOUR
    baseline_dash = BASELINE_DASH
    session_dash = SESSION_DASH
    font_size = FONT_SIZE


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    empty: bool
    points: str = ""
    last_x: float = 0
    last_y: float = 0

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


# --- Scales ------------------------------------------------------------------


class _Scale:
    """Maps time to x and score to y inside the plot rectangle."""

    def __init__(self, plot: Rect, start: datetime, end: datetime):
        self.plot = plot
        self.start = start
        self.seconds = (end - start).total_seconds()

    def x(self, moment: datetime) -> float:
        fraction = (moment - self.start).total_seconds() / self.seconds
        return round(self.plot.left + fraction * (self.plot.right - self.plot.left), 1)

    def y(self, value: float) -> float:
        value = min(max(value, 0), MAX_SCORE)  # guard against out-of-scale input
        fraction = value / MAX_SCORE
        return round(self.plot.bottom - fraction * (self.plot.bottom - self.plot.top), 1)


def _visible(pairs, start, end):
    """(moment, value) pairs inside [start, end], in time order; None values skipped."""
    return sorted(
        ((at, v) for at, v in pairs if v is not None and start <= at <= end), key=lambda p: p[0]
    )


# --- Time ticks --------------------------------------------------------------


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    return moment.replace(year=moment.year + index // 12, month=index % 12 + 1, day=1)


def time_ticks(
    start: datetime, end: datetime, max_ticks: int = 12, words: Words = ENGLISH
) -> list[tuple[datetime, str]]:
    """Tick moments and labels: days up to 14 days, weeks up to 16 weeks, else months.

    The step within each kind grows (2 days; 2 weeks; 2, 3, 6, 12 months) so that
    no more than max_ticks labels are produced.
    """
    max_ticks = max(max_ticks, 2)
    span_days = (end - start).total_seconds() / 86400
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    if span_days <= 7 * 16:
        if span_days <= 14:
            first, unit = midnight, 1
            steps = (1, 2, 3, 7)
        else:
            # Weeks start on Monday.
            first, unit = midnight - timedelta(days=midnight.weekday()), 7
            steps = (1, 2, 4)
        step = next((s for s in steps if span_days / (unit * s) < max_ticks), steps[-1])
        moments, moment = [], first
        while moment <= end:
            if moment >= start:
                moments.append(moment)
            moment += timedelta(days=unit * step)
        return [(m, day_label(m, words)) for m in moments]

    months_span = span_days / 30.4
    step = next((s for s in (1, 2, 3, 6, 12) if months_span / s < max_ticks), 12)
    moment = midnight.replace(day=1)
    # Align to the step (e.g. quarters start in Jan, Apr, Jul, Oct).
    moment = _add_months(moment, -((moment.month - 1) % step))
    ticks = []
    while moment <= end:
        if moment >= start:
            name = month_name(moment.month, words)
            with_year = not ticks or moment.month == 1
            if with_year:
                name = words.gettext("%(month)s %(year)s") % {"month": name, "year": moment.year}
            ticks.append((moment, name))
        moment = _add_months(moment, step)
    return ticks


# --- The trend chart ---------------------------------------------------------

LEFT_MARGIN, RIGHT_MARGIN = 52, 28


def _legend(
    width,
    left,
    has_baselines,
    has_sessions,
    has_clinic=False,
    symptoms=SYMPTOMS,
    font_size=FONT_SIZE,
    char_width=CHAR_WIDTH,
    top=0,
    lanes=(),
    words: Words = ENGLISH,
):
    """Legend items laid out left to right, wrapping to a new row when full.

    lanes: a Lane per kind of reported event drawn under the plot (chart_events.py).
    Returns the items and the text baseline of the last row.
    """
    # The symptom samples show the 7-day average line with the entry marker, so
    # the average needs no legend item of its own (the page explains it).
    gettext = words.gettext
    entries = [("series", gettext(s.label), s) for s in symptoms]
    if has_baselines:
        entries.append(("baseline", words.pgettext("chart legend", "Baseline"), None))
    if has_sessions:
        entries.append(("session", words.pgettext("chart legend", "Session"), None))
    if has_clinic:
        entries.append(("clinic", gettext(CLINIC_LABEL), None))
    entries += [("event", gettext(lane.label), lane) for lane in lanes]

    items = []
    sample = 22  # length of the sample line
    row_height = font_size + 8
    x, y = left, top + font_size
    for kind, label, symptom in entries:
        item_width = sample + 6 + text_width(label, char_width) + 16
        if x > left and x + item_width > width - 4:
            x, y = left, y + row_height
        line_y = y - font_size / 3
        x1, x2 = x, x + sample
        if kind == "series":
            colour, dash = symptom.colour, symptom.dash
            marker_d = marker_path(symptom.marker, x + sample / 2, line_y)
        elif kind == "clinic":
            colour, dash = AXIS_COLOUR, ""
            marker_d = marker_path(CLINIC_SHAPE, x + sample / 2, line_y, CLINIC_MARKER_SIZE)
        elif kind == "event":
            lane = symptom
            colour, dash = lane.colour, ""
            marker_d = marker_path(lane.shape, x + sample / 2, line_y, EVENT_MARKER_SIZE)
        else:
            colour, marker_d = AXIS_COLOUR, ""
            dash = BASELINE_DASH if kind == "baseline" else SESSION_DASH
        if kind == "session":
            x1 = x2 = x + sample / 2
        items.append(
            LegendItem(
                label=label,
                colour=colour,
                dash=dash,
                kind=kind,
                x1=round(x1, 1),
                x2=round(x2, 1),
                y=round(line_y, 1),
                text_x=round(x + sample + 6, 1),
                text_y=round(y, 1),
                marker_d=marker_d,
                y_top=round(y - font_size + 1, 1),
                y_bottom=round(y + 2, 1),
            )
        )
        x += item_width
    return items, y


def _series(
    symptom,
    pairs,
    rolling,
    baseline,
    scale,
    max_markers,
    in_clinic=frozenset(),
    size=MARKER_SIZE,
    words: Words = ENGLISH,
    titled=True,
) -> Series:
    """One symptom's entries, thinned markers, 7-day average line and baseline.

    in_clinic: the moments of readings taken in clinic; their markers are hollow
    squares and are never thinned out. titled=False leaves the markers' tooltips
    empty (the phone chart shows none: wording hundreds of them would be wasted).
    """
    label = words.gettext(symptom.label)
    item = Series(symptom.name, label, symptom.colour, symptom.dash, symptom.marker)
    item.count = len(pairs)
    coords = [(scale.x(at), scale.y(v)) for at, v in pairs]
    item.points = " ".join(f"{num(x)},{num(y)}" for x, y in coords)
    # Keep every n-th marker on long ranges, always including the latest one.
    step = max(1, math.ceil(len(pairs) / max_markers))
    keep = set(range(len(pairs) - 1, -1, -step))
    item.markers = [
        _marker(symptom, x, y, at, v, at in in_clinic, size, words, titled)
        for i, ((x, y), (at, v)) in enumerate(zip(coords, pairs, strict=True))
        if i in keep or at in in_clinic
    ]
    item.rolling_points = " ".join(f"{num(scale.x(at))},{num(scale.y(v))}" for at, v in rolling)
    if baseline is not None:
        item.baseline_y = scale.y(baseline)
        item.baseline_title = words.gettext("%(symptom)s baseline %(score)s") % {
            "symptom": label,
            "score": f"{baseline:.1f}",
        }
    return item


def _marker(
    symptom, x, y, at, value, in_clinic, size=MARKER_SIZE, words=ENGLISH, titled=True
) -> Marker:
    title = _marker_title(words.gettext(symptom.label), value, at, words) if titled else ""
    if in_clinic:
        d = marker_path(CLINIC_SHAPE, x, y, CLINIC_MARKER_SIZE)
        if titled:
            title = words.gettext("%(title)s, in clinic") % {"title": title}
        return Marker(x, y, d, title, in_clinic=True)
    return Marker(x, y, marker_path(symptom.marker, x, y, size), title)


def _session_marks(sessions, scale, char_width=CHAR_WIDTH, words=ENGLISH) -> list[SessionMark]:
    """A mark per session; a label that would overlap the one before it is hidden."""
    marks = []
    last_x, last_label = None, ""
    for at, number in sessions:
        x = scale.x(at)
        label = words.pgettext("session label on a chart", "S%(number)s") % {"number": number}
        # Centred labels need half of each label's width between them.
        room = (text_width(last_label, char_width) + text_width(label, char_width)) / 2
        room += LABEL_GAP
        show = last_x is None or x - last_x >= room
        if show:
            last_x, last_label = x, label
        title = words.gettext("Session %(number)s — %(day)s") % {
            "number": number,
            "day": day_label(at, words),
        }
        marks.append(SessionMark(x, number, label, title, show))
    return marks


def _place_labels(chart: Chart, tz_label, below=0, words: Words = ENGLISH) -> None:
    """Where the axis labels, tick labels and session labels go, around the plot.

    below: the height of the event rows between the plot and the date labels.
    """
    plot = chart.plot
    chart.session_label_y = round(plot.top - 5, 1)
    chart.y_tick_text_x = round(plot.left - 6, 1)
    chart.x_tick_text_y = round(plot.bottom + below + FONT_SIZE + 6, 1)
    chart.x_tick_mark_y = round(plot.bottom + below + 4, 1)
    if tz_label:
        chart.x_label = words.gettext("Date (times in %(zone)s)") % {"zone": tz_label}
    else:
        chart.x_label = words.pgettext("chart axis", "Date")
    chart.y_label = words.gettext("Score (0–10)")
    chart.x_label_x = round((plot.left + plot.right) / 2, 1)
    chart.x_label_y = round(chart.height - 6, 1)
    chart.y_label_x = 14
    chart.y_label_y = round((plot.top + plot.bottom) / 2, 1)


def _describe(chart: Chart, start, end, session_count, clinic_count=0, words=ENGLISH) -> None:
    """The chart's title and text alternative: what a screen reader says instead."""
    gettext = words.gettext
    counts = gettext(", ").join(
        gettext("%(count)s %(symptom)s") % {"count": s.count, "symptom": s.label.lower()}
        for s in chart.series
    )
    span = gettext("%(start)s %(start_year)s to %(end)s %(end_year)s") % {
        "start": day_label(start, words),
        "start_year": start.year,
        "end": day_label(end, words),
        "end_year": end.year,
    }
    chart.title = gettext("Symptom scores, %(span)s") % {"span": span}
    chart.desc = gettext(
        "Line chart of %(symptoms)s scores from 0 (none) to 10 (worst), "
        "%(span)s. Entries shown: %(counts)s. "
        "Treatment sessions marked: %(sessions)s."
    ) % {
        "symptoms": in_words(gettext=gettext),
        "span": span,
        "counts": counts,
        "sessions": session_count,
    }
    if clinic_count:
        chart.desc += gettext(" Scores taken in clinic (hollow squares): %(count)s.") % {
            "count": clinic_count
        }


def trend_chart(
    series,
    sessions,
    start,
    end,
    width=720,
    height=300,
    baselines=None,
    rolling=None,
    tz_label=None,
    in_clinic=(),
    lanes=(),
    words: Words = ENGLISH,
) -> Chart:
    """Geometry of the symptom line chart.

    series:    {symptom name: [(datetime, score), ...]}
    sessions:  [(datetime, session number), ...]
    start/end: the visible time range; anything outside it is left out.
    baselines: {symptom name: mean or None} drawn as horizontal dash-dot lines.
    rolling:   {symptom name: [(datetime, mean), ...]}: the 7-day averages, drawn as
               the bold lines (the single entries are the faint ones).
    in_clinic: the moments of the readings taken in clinic (drawn as hollow squares).
    lanes:     a Lane per kind of reported event, each given a row under the plot and
               an item in the legend; chart_events.trend_chart places their markers.
    words:     how its words are said (Words: the Django layer's gettext); English without.
    Returns Chart(empty=True) when no entry falls inside the range.
    """
    baselines = baselines or {}
    rolling = rolling or {}
    if end < start:
        start, end = end, start
    if end == start:
        # A single moment has no width; centre it in a one-day window.
        start, end = start - timedelta(hours=12), end + timedelta(hours=12)

    visible = {s.name: _visible(series.get(s.name, ()), start, end) for s in SYMPTOMS}
    if not any(visible.values()):
        return Chart(width=width, height=height, empty=True)

    visible_sessions = sorted((at, n) for at, n in sessions if start <= at <= end)
    in_clinic = frozenset(at for at in in_clinic if start <= at <= end)
    has_baselines = any(baselines.get(s.name) is not None for s in SYMPTOMS)
    legend, legend_bottom = _legend(
        width,
        LEFT_MARGIN,
        has_baselines,
        bool(visible_sessions),
        bool(in_clinic),
        lanes=lanes,
        words=words,
    )
    # Room under the legend for the session labels ("S3") above the plot.
    top = legend_bottom + 10 + (FONT_SIZE + 4 if visible_sessions else 0)
    bottom = height - (44 if tz_label else 28)
    plot = Rect(LEFT_MARGIN, top, width - RIGHT_MARGIN, bottom)
    scale = _Scale(plot, start, end)
    # The event rows make the picture taller rather than the plot smaller.
    below = _lane_rows(lanes, plot.bottom + 4, EVENT_ROW)
    chart = Chart(
        width=width, height=height + below, empty=False, plot=plot, legend=legend, start=start
    )
    chart.end = end
    chart.y_ticks = [Tick(scale.y(v), str(v)) for v in Y_TICKS]
    max_ticks = int((plot.right - plot.left) // MIN_TICK_SPACING)
    chart.x_ticks = [Tick(scale.x(m), text) for m, text in time_ticks(start, end, max_ticks, words)]

    busiest = max(len(pairs) for pairs in visible.values())
    has_rolling = any(rolling.get(s.name) for s in SYMPTOMS)
    chart.dense = has_rolling and busiest > plot.width / DENSE_PX_PER_POINT
    max_markers = int(plot.width / DENSE_MARKER_PX) if chart.dense else MAX_MARKERS
    chart.series = [
        _series(
            s,
            visible[s.name],
            _visible(rolling.get(s.name, ()), start, end),
            baselines.get(s.name),
            scale,
            max_markers,
            in_clinic,
            words=words,
        )
        for s in SYMPTOMS
    ]
    chart.sessions = _session_marks(visible_sessions, scale, words=words)
    chart.lanes = lanes
    _place_labels(chart, tz_label, below, words)
    chart.clinic_count = len(in_clinic)
    _describe(chart, start, end, len(visible_sessions), chart.clinic_count, words)
    chart.phone = phone_chart(
        visible,
        rolling,
        baselines,
        visible_sessions,
        in_clinic,
        start,
        end,
        chart.x_label,
        lanes,
        words,
    )
    return chart


def _lane_rows(lanes, top, row) -> float:
    """Give each lane the centre line of its row from `top` down; returns the rows' height."""
    for i, lane in enumerate(lanes):
        lane.y = round(top + (i + 0.5) * row, 1)
    return len(lanes) * row + (4 if lanes else 0)


# --- The same chart for a phone -------------------------------------------------
#
# Scaled into a 340 px wide phone page the desktop chart's 12-unit text would be about
# 6 px high. The phone chart is drawn in about the width it is shown at, so its units
# are close to CSS px: one panel per symptom stacked, each with its own 0-10 axis,
# few ticks, the 7-day average bold and single entries faint.

PHONE_WIDTH = 340  # a 360 px phone page less its padding; 320-390 px keep text >= 12 px
PHONE_FONT_SIZE = 14  # shown at 336 px wide (a 360 px phone) it renders 13.8 px
PHONE_CHAR_WIDTH = 9  # generous glyph width at PHONE_FONT_SIZE, so labels never touch
PHONE_LEFT, PHONE_RIGHT = 40, 14
PHONE_PLOT_HEIGHT = 72
PHONE_Y_TICKS = (0, 5, 10)
PHONE_TICK_GAP = 20  # px between neighbouring date labels
PHONE_MARKER_PX = 6  # one entry marker per ~6 px: the entries stay a faint texture
PHONE_MARKER_SIZE = 2.5
PHONE_ROW = PHONE_FONT_SIZE + 8  # height of a row of text
PHONE_EVENT_ROW = 20


@dataclass
class Panel:
    series: Series
    plot: Rect
    title_y: float  # baseline of the symptom's name above its plot
    y_ticks: list[Tick]
    sample_x1: float  # a short line and marker after the name, as in the desktop legend
    sample_x2: float
    sample_y: float
    sample_d: str

    @property
    def no_entries_x(self) -> float:
        return self.plot.left + 8

    @property
    def no_entries_y(self) -> float:
        """Baseline of "No entries", centred in an empty plot."""
        return round((self.plot.top + self.plot.bottom) / 2 + PHONE_FONT_SIZE / 3, 1)


@dataclass
class PhoneChart:
    width: int
    height: int
    panels: list[Panel] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    sessions: list[SessionMark] = field(default_factory=list)
    session_label_y: float = 0
    x_ticks: list[Tick] = field(default_factory=list)
    x_tick_text_y: float = 0
    lanes: list[Lane] = field(default_factory=list)  # reported events, under the panels
    x_label: str = ""
    x_label_y: float = 0
    y_tick_text_x: float = PHONE_LEFT - 6
    title_x: float = PHONE_LEFT

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def x_label_x(self) -> float:
        return round((PHONE_LEFT + self.width - PHONE_RIGHT) / 2, 1)

    axis_colour = AXIS_COLOUR
    grid_colour = GRID_COLOUR
    baseline_dash = BASELINE_DASH
    session_dash = SESSION_DASH
    font_size = PHONE_FONT_SIZE
    no_entries = gettext_noop("No entries")  # the template translates it


def char_columns(char: str) -> int:
    """How many Latin-glyph widths a character takes: 2 for wide (East Asian) ones,
    such as Chinese characters and full-width punctuation; 0 for combining marks."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str, char_width: float) -> float:
    """Estimated width of a label whose Latin glyphs are char_width wide: a Chinese
    character is about twice as wide as a Latin one."""
    return sum(char_columns(char) for char in text) * char_width


def label_width(text: str) -> float:
    """Estimated width of a phone chart label (generous, see PHONE_CHAR_WIDTH); wide
    characters count twice."""
    return text_width(text, PHONE_CHAR_WIDTH)


def _phone_x_ticks(start, end, left, right, width, words: Words = ENGLISH) -> list[Tick]:
    """Few date ticks: each label inside the picture and clear of the one before it."""
    scale = _Scale(Rect(left, 0, right, 1), start, end)
    widest = label_width(day_label(datetime(2000, 11, 30), words))  # "30 Nov"
    max_ticks = int((right - left) // (widest + PHONE_TICK_GAP))
    ticks, last_right = [], -PHONE_TICK_GAP
    for moment, text in time_ticks(start, end, max_ticks, words):
        x, half = scale.x(moment), label_width(text) / 2
        if x - half >= max(0, last_right + PHONE_TICK_GAP) and x + half <= width:
            ticks.append(Tick(x, text))
            last_right = x + half
    return ticks


def phone_chart(
    visible,
    rolling,
    baselines,
    sessions,
    in_clinic,
    start,
    end,
    x_label="Date",
    lanes=(),
    words: Words = ENGLISH,
) -> PhoneChart:
    """Geometry of the stacked phone chart, from the data trend_chart() has cut to range.

    visible:  {symptom name: [(datetime, score), ...]} inside [start, end], in order
    sessions: [(datetime, number), ...] inside the range; in_clinic: a frozenset of moments.
    x_label:  the desktop chart's "Date (times in ...)", kept if it fits.
    lanes:    the desktop chart's event lanes: copied, each given a row under the panels.
    Everything is laid out top to bottom in rows of PHONE_ROW.
    """
    width = PHONE_WIDTH
    right = width - PHONE_RIGHT
    # A long time zone name would run out of the picture: then just "Date".
    if label_width(x_label) > width - 8:
        x_label = words.pgettext("chart axis", "Date")
    chart = PhoneChart(width=width, height=0, x_label=x_label)
    has_baselines = any(baselines.get(s.name) is not None for s in SYMPTOMS)
    y = 0.0
    lanes = [replace(lane, markers=[]) for lane in lanes]
    if has_baselines or sessions or in_clinic or lanes:
        chart.legend, legend_y = _legend(
            width,
            2,
            has_baselines,
            bool(sessions),
            bool(in_clinic),
            symptoms=(),
            font_size=PHONE_FONT_SIZE,
            char_width=PHONE_CHAR_WIDTH,
            top=2,  # room for the tallest glyphs above the first row
            lanes=lanes,
            words=words,
        )
        y = legend_y + 8
    if sessions:
        # Session numbers once, over the first panel; their lines cross every panel.
        chart.session_label_y = round(y + PHONE_FONT_SIZE, 1)
        y += PHONE_ROW
    for symptom in SYMPTOMS:
        title_y = y + PHONE_FONT_SIZE
        top = title_y + 14  # clear of the name's descenders and of the "10" beside the axis
        plot = Rect(PHONE_LEFT, round(top, 1), right, round(top + PHONE_PLOT_HEIGHT, 1))
        scale = _Scale(plot, start, end)
        pairs = visible[symptom.name]
        max_markers = max(1, int(plot.width / PHONE_MARKER_PX))
        item = _series(
            symptom,
            pairs,
            _visible(rolling.get(symptom.name, ()), start, end),
            baselines.get(symptom.name),
            scale,
            max_markers,
            in_clinic,
            PHONE_MARKER_SIZE,
            words,
            titled=False,  # chart_phone.svg draws no tooltips
        )
        sample_x1 = PHONE_LEFT + label_width(item.label) + 8
        sample_y = round(title_y - PHONE_FONT_SIZE / 3, 1)
        chart.panels.append(
            Panel(
                series=item,
                plot=plot,
                title_y=round(title_y, 1),
                y_ticks=[Tick(scale.y(v), str(v)) for v in PHONE_Y_TICKS],
                sample_x1=sample_x1,
                sample_x2=sample_x1 + 22,
                sample_y=sample_y,
                sample_d=marker_path(symptom.marker, sample_x1 + 11, sample_y),
            )
        )
        if not chart.sessions and sessions:
            chart.sessions = _session_marks(sessions, scale, PHONE_CHAR_WIDTH, words)
        y = plot.bottom + 14  # the "0" beside the axis reaches 7 px below the plot
    bottom = chart.panels[-1].plot.bottom
    chart.lanes = lanes
    bottom += _lane_rows(lanes, bottom + 6, PHONE_EVENT_ROW)
    chart.x_ticks = _phone_x_ticks(start, end, PHONE_LEFT, right, width, words)
    chart.x_tick_text_y = round(bottom + PHONE_FONT_SIZE + 10, 1)
    chart.x_label_y = round(chart.x_tick_text_y + PHONE_ROW, 1)
    chart.height = math.ceil(chart.x_label_y + 6)
    return chart


# --- Sparklines --------------------------------------------------------------


def sparkline(values, width=96, height=24) -> Sparkline:
    """A small 0-10 line, oldest value first, evenly spaced.

    The y scale is always 0-10 so sparklines side by side compare honestly.
    A single value is drawn as a dot at the right-hand end (the latest place).
    """
    values = [v for v in values if v is not None]
    if not values:
        return Sparkline(width, height, empty=True)
    pad = 2.5  # keeps the stroke and end dot inside the box
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    n = len(values)
    coords = []
    for i, value in enumerate(values):
        x = pad + (inner_w * i / (n - 1) if n > 1 else inner_w)
        clamped = min(max(value, 0), MAX_SCORE)
        y = pad + inner_h * (1 - clamped / MAX_SCORE)
        coords.append((round(x, 1), round(y, 1)))
    points = " ".join(f"{num(x)},{num(y)}" for x, y in coords)
    last_x, last_y = coords[-1]
    return Sparkline(width, height, empty=False, points=points, last_x=last_x, last_y=last_y)
