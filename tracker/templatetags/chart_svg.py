"""The loops of chart.svg and chart_phone.svg that repeat one line per marker, session or
tick, written in Python.

A chart has hundreds of these elements, and a template loop costs some 20 µs for each
(every {{ }} is looked up, localised and escaped by its own node): they were the most
expensive part of the patient's history and the detail page. Each tag gives exactly
the text of the loop it replaces, whitespace included (the lines below are the loop's
body as it was in the template), and writes each value as {{ }} would in its place
(render_value_in_context: the template's localize setting, then escaping).
tests/test_page_html_unchanged.py holds them to it byte for byte.
"""

import html

from django import template
from django.template.base import render_value_in_context
from django.utils.safestring import mark_safe

register = template.Library()


def _writer(context):
    """value -> its text as {{ value }} gives it in this context.

    A plain str (path data, titles, colours: nearly all of a chart) is neither localised
    nor turned to local time by {{ }}, only escaped, with django.utils.html.escape, which
    is html.escape: called directly, without the lazy-text wrapper around it, it costs a
    third. Anything else (numbers, safe text) goes the template's own way.
    """
    autoescape = context.autoescape

    def out(value):
        if type(value) is str:
            return html.escape(value) if autoescape else value
        return render_value_in_context(value, context)

    return out


def _joined(parts):
    return mark_safe("".join(parts))  # noqa: S308 - every value went through out()


# chart.svg


def _y_ticks(out, plot, ticks, grid_colour, text_x):
    """The score axis's grid lines and labels, for the desktop chart and each phone panel."""
    left, right = out(plot.left), out(plot.right)
    grid, text_x = out(grid_colour), out(text_x)
    parts = []
    for tick in ticks:
        pos = out(tick.pos)
        parts.append(
            f'\n    <line x1="{left}" y1="{pos}" x2="{right}" y2="{pos}" stroke="{grid}" '
            f'stroke-width="1"/>\n    <text x="{text_x}" y="{pos}" dy="0.32em" '
            f'text-anchor="end">{out(tick.label)}</text>\n    '
        )
    return _joined(parts)


@register.simple_tag(takes_context=True)
def chart_y_ticks(context, chart):
    return _y_ticks(
        _writer(context), chart.plot, chart.y_ticks, chart.grid_colour, chart.y_tick_text_x
    )


@register.simple_tag(takes_context=True)
def chart_x_ticks(context, chart):
    out = _writer(context)
    bottom, mark_y = out(chart.plot.bottom), out(chart.x_tick_mark_y)
    axis, text_y = out(chart.axis_colour), out(chart.x_tick_text_y)
    parts = []
    for tick in chart.x_ticks:
        pos = out(tick.pos)
        parts.append(
            f'\n    <line x1="{pos}" y1="{bottom}" x2="{pos}" y2="{mark_y}" stroke="{axis}" '
            f'stroke-width="1"/>\n    <text x="{pos}" y="{text_y}" '
            f'text-anchor="middle">{out(tick.label)}</text>\n    '
        )
    return _joined(parts)


@register.simple_tag(takes_context=True)
def chart_session_marks(context, chart):
    out = _writer(context)
    top, bottom = out(chart.plot.top), out(chart.plot.bottom)
    axis, dash, label_y = (
        out(chart.axis_colour),
        out(chart.session_dash),
        out(chart.session_label_y),
    )
    parts = []
    for session in chart.sessions:
        x = out(session.x)
        label = ""
        if session.show_label:
            label = (
                f'<text x="{x}" y="{label_y}" text-anchor="middle" '
                f'fill="{axis}">{out(session.label)}</text>'
            )
        parts.append(
            f"\n    <g>\n      <title>{out(session.title)}</title>\n"
            f'      <line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{axis}" '
            f'stroke-width="1" stroke-dasharray="{dash}"/>\n      \n'
            f'      <line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="transparent" '
            f'stroke-width="8"/>\n      {label}\n    </g>\n    '
        )
    return _joined(parts)


@register.simple_tag(takes_context=True)
def chart_marker_paths(context, series, in_clinic=False):
    """The markers of every series: the entries' (filled), or in_clinic's (outlined)."""
    out = _writer(context)
    paint = "stroke" if in_clinic else "fill"
    parts = []
    for s in series:
        colour = out(s.colour)
        parts.extend(
            f'\n    <path d="{out(m.d)}" {paint}="{colour}"><title>{out(m.title)}</title>'
            f"</path>\n    "
            for m in s.markers
            if m.in_clinic == in_clinic
        )
    return _joined(parts)


# chart_phone.svg


@register.simple_tag(takes_context=True)
def phone_marker_paths(context, series, in_clinic=False):
    """One panel's markers: the entries' (faint when a 7-day line is drawn), or in clinic."""
    out = _writer(context)
    colour = out(series.colour)
    opacity = "0.35" if series.rolling_points else "0.8"
    if in_clinic:
        return _joined(
            f'\n    <path d="{out(m.d)}" fill="#ffffff" stroke="{colour}" '
            f'stroke-width="1.75"/>\n    '
            for m in series.markers
            if m.in_clinic
        )
    return _joined(
        f'\n    <path d="{out(m.d)}" fill="{colour}" fill-opacity="{opacity}"/>\n    '
        for m in series.markers
        if not m.in_clinic
    )


@register.simple_tag(takes_context=True)
def phone_session_lines(context, phone, plot):
    out = _writer(context)
    top, bottom = out(plot.top), out(plot.bottom)
    axis, dash = out(phone.axis_colour), out(phone.session_dash)
    return _joined(
        f'\n    <line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{axis}" '
        f'stroke-width="1" stroke-dasharray="{dash}"/>\n    '
        for x in (out(session.x) for session in phone.sessions)
    )


@register.simple_tag(takes_context=True)
def phone_y_ticks(context, phone, panel):
    return _y_ticks(
        _writer(context), panel.plot, panel.y_ticks, phone.grid_colour, phone.y_tick_text_x
    )


@register.simple_tag(takes_context=True)
def phone_x_tick_lines(context, phone, plot):
    out = _writer(context)
    top, bottom, grid = out(plot.top), out(plot.bottom), out(phone.grid_colour)
    return _joined(
        f'\n    <line x1="{pos}" y1="{top}" x2="{pos}" y2="{bottom}" stroke="{grid}" '
        f'stroke-width="1"/>\n    '
        for pos in (out(tick.pos) for tick in phone.x_ticks)
    )
