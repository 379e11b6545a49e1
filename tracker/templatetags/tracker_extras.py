from django import template
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def ago(value, now):
    """'3 days' rather than '3 days, 4 hours': one unit is enough at a glance."""
    return timesince(value, now, depth=1)
