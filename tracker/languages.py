"""Which language a page speaks (issue 20).

Signed out, the browser's Accept-Language or the switcher's cookie decides, among the
languages the clinic offers (settings.LANGUAGES, from CLINIC_LANGUAGES), through Django's
LocaleMiddleware. Signed in, the user's own choice wins: it is kept on their Patient or
Practitioner row and copied into the session at sign-in, so that no page reads it again.
Nobody who has not chosen gets anything but the clinic's language or their browser's.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

SESSION_KEY = "tracker_language"


def offered():
    """{code: name} of the languages the clinic offers."""
    return dict(settings.LANGUAGES)


def profile_of(user):
    """The Patient or Practitioner row that keeps the user's language, or None (staff)."""
    for role in ("patient", "practitioner"):
        if hasattr(user, role):
            return getattr(user, role)
    return None


def chosen_by(user):
    """The user's own choice, or "" (staff have none: the clinic's language)."""
    profile = profile_of(user)
    return profile.language if profile is not None and profile.language in offered() else ""


def remember(request, code):
    """Use `code` for this session's pages from now on ("" for the browser's)."""
    if code:
        request.session[SESSION_KEY] = code
        translation.activate(code)
        request.LANGUAGE_CODE = code
    else:
        request.session.pop(SESSION_KEY, None)


def set_cookie(response, request, code):
    """The language cookie LocaleMiddleware reads: for the signed-out pages too."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


@receiver(user_logged_in)
def use_their_language(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember(request, chosen_by(user))


class UserLanguageMiddleware:
    """After LocaleMiddleware: the signed-in user's choice, read from the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = request.session.get(SESSION_KEY, "") if hasattr(request, "session") else ""
        if code in offered():
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)


def language_for(user_or_profile):
    """The language to write to this person in (an e-mail, say): their own choice among
    the languages offered, else the clinic's (settings.LANGUAGE_CODE).

    Takes a user, or their Patient or Practitioner row; None or staff: the clinic's.
    """
    if user_or_profile is None:
        return settings.LANGUAGE_CODE
    if hasattr(user_or_profile, "language"):
        profile = user_or_profile
    else:
        profile = profile_of(user_or_profile)
    code = getattr(profile, "language", "") if profile is not None else ""
    return code if code and code in offered() else settings.LANGUAGE_CODE
