"""The app on the home screen: its name, colours, icons and language, declared once.

The manifest view, the service worker, base.html's <head> and the date fields all
read them from here. The PNG icons are drawn from the SVG sources by
scripts/make_icons.py.
"""

from django import forms
from django.conf import settings
from django.utils.translation import get_language, to_locale

NAME = "Relief Tracker"
SHORT_NAME = "Relief"
DESCRIPTION = "Record how your neuropathy symptoms change and share it with your practitioner."
# The brand blue of the favicon and the focus ring; a white page behind the splash.
THEME_COLOUR = "#1a56db"
BACKGROUND_COLOUR = "#ffffff"


class Icon:
    def __init__(self, path, size, purpose, source):
        self.path = path  # under static/
        self.size = size  # pixels, square
        self.purpose = purpose  # "any": drawn as it is; "maskable": the OS cuts its own shape
        self.source = source  # the SVG it is drawn from


# The rounded tile (the favicon) for browsers that show an icon as it is; a full-bleed
# tile with the mark inside the safe circle for launchers that cut their own shape,
# and for iOS, which rounds the corners itself and blackens transparent ones.
ANY_SOURCE = "favicon.svg"
FULL_BLEED_SOURCE = "icons/maskable.svg"
ICONS = [
    Icon("icons/icon-192.png", 192, "any", ANY_SOURCE),
    Icon("icons/icon-512.png", 512, "any", ANY_SOURCE),
    Icon("icons/maskable-512.png", 512, "maskable", FULL_BLEED_SOURCE),
]
APPLE_TOUCH_ICON = Icon("icons/apple-touch-icon.png", 180, "any", FULL_BLEED_SOURCE)


def html_lang():
    """The clinic's language as a BCP 47 tag for <html lang>: "en-gb" -> "en-GB"."""
    return to_locale(get_language() or settings.LANGUAGE_CODE).replace("_", "-")


def manifest(static_url, start_url):
    """The web app manifest as a dict; static_url turns a static path into its URL."""
    icons = [
        {
            "src": static_url(icon.path),
            "sizes": f"{icon.size}x{icon.size}",
            "type": "image/png",
            "purpose": icon.purpose,
        }
        for icon in ICONS
    ]
    icons.append({"src": static_url(ANY_SOURCE), "sizes": "any", "type": "image/svg+xml"})
    return {
        "id": start_url,
        "name": NAME,
        "short_name": SHORT_NAME,
        "description": DESCRIPTION,
        "lang": html_lang(),
        "dir": "ltr",
        # The home page sends each person to their own start: check-in, worklist or sign-in.
        "start_url": start_url,
        "scope": start_url,
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }


class LangAttrsMixin:
    """Date and time fields that carry the clinic's language themselves.

    Chromium draws them in its own interface language (a UK clinic's patient with
    a phone set to US English sees mm/dd/yyyy and AM/PM); where a browser lets the
    page choose, it reads the field's own lang, and Chromium ignores the one the
    field inherits from <html> once the field has a min or max.
    """

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("lang", html_lang())
        return context


class DateInput(LangAttrsMixin, forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")  # the only format <input type=date> takes


class DateTimeInput(LangAttrsMixin, forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
