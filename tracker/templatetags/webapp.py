"""base.html's <head>: the clinic's language and the app's colour and icon (tracker/webapp.py)."""

from django import template
from django.templatetags.static import static

from tracker import webapp

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
