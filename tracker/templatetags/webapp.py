"""base.html's <head>: the clinic's language and the app's colour and icon (tracker/webapp.py);
the clinic's name for the header and the printed report."""

from django import template
from django.conf import settings
from django.templatetags.static import static

from tracker import languages, webapp

register = template.Library()


@register.simple_tag
def html_lang():
    return webapp.html_lang()


@register.simple_tag
def theme_colour():
    return webapp.THEME_COLOUR


@register.simple_tag
def apple_touch_icon():
    return static(webapp.APPLE_TOUCH_ICON.path)


@register.simple_tag
def offered_languages():
    """(code, name) of the languages offered, each named in its own words ("English",
    "Español"): Django's get_available_languages translates the names ("英语")."""
    return list(languages.offered().items())


@register.simple_tag
def clinic_name():
    """CLINIC_NAME, escaped like any variable (a simple_tag's output is)."""
    return settings.CLINIC_NAME
