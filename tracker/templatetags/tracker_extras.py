from django import template
from django.utils.timesince import timesince

from tracker import charts

register = template.Library()


@register.filter
def ago(value, now):
    """'3 days' rather than '3 days, 4 hours': one unit is enough at a glance."""
    return timesince(value, now, depth=1)


@register.inclusion_tag("tracker/symptom_mark.svg")
def symptom_mark(symptom):
    """The symptom's chart marker in its colour, as in the chart's legend."""
    return {"colour": symptom.colour, "d": charts.marker_path(symptom.marker, 8, 8, size=5.5)}
