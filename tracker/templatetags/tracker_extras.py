from django import template
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from tracker import charts
from tracker.templatetags.score_words import chart_words

register = template.Library()


@register.filter
def ago(value, now):
    """'3 days' rather than '3 days, 4 hours': one unit is enough at a glance."""
    return timesince(value, now, depth=1)


@register.filter
def day_month(value):
    """ "3 Dec" in clinic time, as the chart's axis writes it.

    For the worklist's many rows: |date looks up formats and translations on
    every call and costs it about a millisecond a page.
    """
    return charts.day_label(timezone.localtime(value), chart_words())


@register.filter
def weekday_day_month(value):
    """ "Thu 3 Dec" in clinic time (see day_month); the weekday in Django's words."""
    local = timezone.localtime(value)
    words = chart_words()
    return words.gettext("%(weekday)s %(day)s") % {
        "weekday": dateformat.format(local, "D"),
        "day": charts.day_label(local, words),
    }


@register.filter
def clock(value):
    """ "14:30" in clinic time (see day_month)."""
    return f"{timezone.localtime(value):%H:%M}"


@register.inclusion_tag("tracker/symptom_mark.svg")
def symptom_mark(symptom):
    """The symptom's chart marker in its colour, as in the chart's legend."""
    return {"colour": symptom.colour, "d": charts.marker_path(symptom.marker, 8, 8, size=5.5)}


# The charts' markers: hundreds of <path> elements per chart, written here rather than by a
# template loop, which costs about 20 µs a marker (chart.svg was the most expensive part
# of the patient pages). Each gives exactly what the loop it replaces gave, whitespace
# included, and escapes as {{ }} does; tests/test_page_html_unchanged.py holds them to it.
MARKER_LINE = '\n    <path d="{d}" {paint}="{colour}"><title>{title}</title></path>\n    '


@register.simple_tag
def chart_marker_paths(series, in_clinic=False):
    """chart.svg's markers of every series: the entries' (fill), or in_clinic's (stroke)."""
    paint = "stroke" if in_clinic else "fill"
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            MARKER_LINE.format(
                d=conditional_escape(m.d),
                paint=paint,
                colour=conditional_escape(s.colour),
                title=conditional_escape(m.title),
            )
            for s in series
            for m in s.markers
            if m.in_clinic == in_clinic
        )
    )


PHONE_MARKER_LINE = '\n    <path d="{d}" fill="{colour}" fill-opacity="{opacity}"/>\n    '
PHONE_CLINIC_LINE = (
    '\n    <path d="{d}" fill="#ffffff" stroke="{colour}" stroke-width="1.75"/>\n    '
)


@register.simple_tag
def phone_marker_paths(series, in_clinic=False):
    """chart_phone.svg's markers of one panel's series (see chart_marker_paths)."""
    line = PHONE_CLINIC_LINE if in_clinic else PHONE_MARKER_LINE
    colour = conditional_escape(series.colour)
    opacity = "0.35" if series.rolling_points else "0.8"
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            line.format(d=conditional_escape(m.d), colour=colour, opacity=opacity)
            for m in series.markers
            if m.in_clinic == in_clinic
        )
    )
