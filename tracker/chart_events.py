"""What patients report beside the scores (issue 18), as the practitioner's pages show it:
the kinds of event, their words, their counts between sessions and their markers on
the trend chart.

Pure Python (standard library and charts.py only), like charts.py: the database side
(tracker/reported.py) turns its rows into Event values, and this module never sees a
model. Every kind is declared once in EVENT_KINDS; the chart's rows, legend, text list,
the interval table's columns and the CSV's words all loop over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tracker import charts
from tracker.charts import ENGLISH, Words, gettext_noop


@dataclass(frozen=True)
class EventKind:
    name: str
    label: str  # the legend and the text list: "Extra dose"
    counted: str  # a column of counts between sessions: "Extra doses"
    colour: str  # each at least 4.5:1 on white
    shape: str  # charts.marker_path shape: the shape, not the colour, tells kinds apart


EXTRA_DOSE, CHANGED, FALL, SIDE_EFFECTS = "extra_dose", "changed", "fall", "side_effects"
# Filled shapes unlike the symptoms' circle, square and triangle; dark colours unlike
# their orange, blue and green, so that the rows read in greyscale too.
EVENT_KINDS = (
    # Words as message ids: the Django layer says them in the reader's language.
    EventKind(
        EXTRA_DOSE, gettext_noop("Extra dose"), gettext_noop("Extra doses"), "#5b2a86", "diamond"
    ),  # 9.9:1
    EventKind(
        CHANGED,
        gettext_noop("Medicine changed"),
        gettext_noop("Medicine changes"),
        "#7a4a00",
        "plus",
    ),  # 7.5:1
    EventKind(
        FALL, gettext_noop("Fall"), gettext_noop("Falls"), "#a4001d", "down-triangle"
    ),  # 8.1:1
    EventKind(
        SIDE_EFFECTS, gettext_noop("Side effects"), gettext_noop("Side effects"), "#1f1f1f", "cross"
    ),  # 16.5:1
)
KINDS = {kind.name: kind for kind in EVENT_KINDS}


@dataclass(frozen=True)
class Event:
    """One reported event: an extra dose or medicine change ticked at a check-in, a fall
    answered in the weekly questions, side effects reported after a session."""

    at: datetime
    kind: str  # a name of EVENT_KINDS
    medicine: str = ""  # which medicine, when known
    note: str = ""  # the patient's words about a change
    effects: tuple[str, ...] = ()  # the side effects' labels: ("A bruise", "Soreness")

    @property
    def text(self) -> str:
        """ "Extra dose (Pregabalin)", "Fall", "Side effects: a bruise, soreness"."""
        return self.text_in()

    def text_in(self, words: Words = ENGLISH) -> str:
        """text in the reader's language; the effects' labels come translated."""
        gettext = words.gettext
        text = gettext(KINDS[self.kind].label)
        if self.medicine:
            text = gettext("%(event)s (%(medicine)s)") % {"event": text, "medicine": self.medicine}
        details = [e[:1].lower() + e[1:] for e in self.effects]
        if self.note:
            details.append(self.note)
        if not details:
            return text
        return gettext("%(event)s: %(details)s") % {
            "event": text,
            "details": gettext(", ").join(details),
        }


def between(events, start, end, end_included=False) -> list[Event]:
    """The events from start (None: the beginning) to before end (None: no end), in order."""
    return sorted(
        (
            e
            for e in events
            if (start is None or e.at >= start)
            and (end is None or e.at < end or (end_included and e.at == end))
        ),
        key=lambda e: e.at,
    )


@dataclass(frozen=True)
class Counts:
    """How many events of each kind in a period, and what the patient said of the change
    after the session that starts it ("" when not asked)."""

    counts: dict = field(default_factory=dict)  # kind name -> count
    impression: str = ""

    @property
    def cells(self) -> list[tuple[EventKind, int]]:
        """(kind, count) in EVENT_KINDS order, for tables."""
        return [(kind, self.counts.get(kind.name, 0)) for kind in EVENT_KINDS]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def counts(events, start, end, impression="") -> Counts:
    """Counts of the events in [start, end) (None: open), by kind."""
    found = {}
    for event in between(events, start, end):
        found[event.kind] = found.get(event.kind, 0) + 1
    return Counts(found, impression)


def describe(events, words: Words = ENGLISH) -> str:
    """A sentence for the chart's text alternative, after its own: "... extra doses 2, falls 1."."""
    gettext = words.gettext
    found = counts(events, None, None)
    parts = [
        gettext("%(events)s %(count)s") % {"events": gettext(kind.counted).lower(), "count": n}
        for kind, n in found.cells
        if n
    ]
    if not parts:
        return ""
    return gettext(" Reported events marked under the plot: %(events)s.") % {
        "events": gettext(", ").join(parts)
    }


# --- On the trend chart ------------------------------------------------------


def lanes_for(events) -> list[charts.Lane]:
    """An empty row for each kind that occurs in events, in EVENT_KINDS order."""
    present = {e.kind for e in events}
    return [
        charts.Lane(kind.name, kind.label, kind.colour, kind.shape)
        for kind in EVENT_KINDS
        if kind.name in present
    ]


def place(lanes, events, x_of, size, words: Words = ENGLISH) -> None:
    """Put a marker in its kind's row at each event's time; x_of maps a time to x."""
    rows = {lane.name: lane for lane in lanes}
    for event in events:
        lane = rows[event.kind]
        x = x_of(event.at)
        title = words.gettext("%(event)s — %(time)s") % {
            "event": event.text_in(words),
            "time": charts.time_label(event.at, words),
        }
        d = charts.marker_path(lane.shape, x, lane.y, size)
        lane.markers.append(charts.Marker(x, lane.y, d, title))


def trend_chart(
    series, sessions, start, end, events=(), words: Words = ENGLISH, **options
) -> charts.Chart:
    """charts.trend_chart, with the events between start and end marked under the plot.

    events: Event values with times in the chart's time zone. words: as charts.Words
    (the Django layer's gettext), English without. Every other argument is
    charts.trend_chart's.
    """
    shown = between(events, min(start, end), max(start, end), end_included=True)
    lanes = lanes_for(shown)
    chart = charts.trend_chart(series, sessions, start, end, lanes=lanes, words=words, **options)
    if chart.empty or not lanes:
        return chart
    scale = charts._Scale(chart.plot, chart.start, chart.end)
    place(chart.lanes, shown, scale.x, charts.EVENT_MARKER_SIZE, words)
    if chart.phone is not None:
        plot = chart.phone.panels[0].plot
        phone_scale = charts._Scale(plot, chart.start, chart.end)
        place(chart.phone.lanes, shown, phone_scale.x, charts.EVENT_MARKER_SIZE, words)
    chart.desc += describe(shown, words)
    return chart
