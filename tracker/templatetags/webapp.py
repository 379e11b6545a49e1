"""base.html's <head>: the clinic's language and the app's colour and icon (tracker/webapp.py)."""

from django import template
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
