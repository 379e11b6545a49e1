from django import template
from django.utils import dateformat, timezone
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
