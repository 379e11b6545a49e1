"""Protections at the HTTP level, around every view.

- RequestBodyLimitMiddleware, first in MIDDLEWARE, refuses a request body over
  DATA_UPLOAD_MAX_MEMORY_SIZE, or one sent without a Content-Length, before
  anything reads a byte of it. Django's own check does not cover this: it counts
  only form fields, so a multipart file part of any size was read (and spooled
  to a temporary file) whenever a view or CsrfViewMiddleware touched request.POST.
- admin_query_refusal() answers 400 to query strings that Django's admin views
  would turn into a 500 (ClinicAdminSite in tracker/apps.py asks it first).
- NoStoreForSignedInMiddleware marks every response to a signed-in user
  "Cache-Control: no-store, private", so that no health page, redirect or error
  is kept in a browser's cache (or a proxy's) for the next person at that
  computer. Static files and what anonymous visitors see stay cacheable.
"""

import re

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

DIGITS = re.compile(r"[0-9]+")


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return body_refusal(request.META) or self.get_response(request)


def body_refusal(meta):
    """The answer to a body we will not read, or None when the body may be read.

    Only the headers are looked at: WSGIRequest does not read wsgi.input until
    request.body or request.POST is asked for.
    """
    length = meta.get("CONTENT_LENGTH") or ""
    if meta.get("HTTP_TRANSFER_ENCODING"):
        # gunicorn decodes a chunked body itself and passes no CONTENT_LENGTH, so the
        # size is unknown until it has all been read. Browsers always send a length.
        if length:
            return refusal(400, _("This request gives both a length and a transfer encoding."))
        return refusal(411, _("Please send the request with its length (Content-Length)."))
    if not length:
        return None  # no body
    if not DIGITS.fullmatch(length):
        # Django would take this as 0, or fail with a 500 where it parses the number.
        return refusal(400, _("This request's Content-Length is not a number."))
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and int(length) > limit:
        return refusal(
            413,
            _(
                "This request is too large (over %(size)s KiB), so nothing was saved. "
                "If a note was very long, please shorten it and try again."
            )
            % {"size": limit // 1024},
        )
    return None


def refusal(status, text):
    """A short plain-text answer.

    The middleware that add the security headers come after this one and never
    see it, so it sets the two that matter for a plain page itself.
    """
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


# The admin's filters and lists never need more; 1,000 repeats of one filter made
# SQLite give up on the query's depth.
ADMIN_QUERY_VALUES = 100
DATE_PARTS = ("__year", "__month", "__day")


def admin_query_refusal(query):
    """A 400 for a query (a QueryDict) that the admin's own views cannot take, or None.

    Found by tests/test_query_params.py: a NUL in a filter or an autocomplete search
    (PostgreSQL refuses it mid-query), 1,000 filter values, and a date-hierarchy year
    of 20 digits (OverflowError in the admin).
    """
    values = [(key, value) for key, items in query.lists() for value in items]
    if len(values) > ADMIN_QUERY_VALUES:
        return refusal(
            400,
            _("This address has more than %(count)s parameters.") % {"count": ADMIN_QUERY_VALUES},
        )
    for key, value in values:
        if "\x00" in key or "\x00" in value:
            return refusal(400, _("This address contains a character that is not allowed (NUL)."))
        if key.endswith(DATE_PARTS) and not re.fullmatch(r"[0-9]{1,4}", value):
            return refusal(400, f"{key} must be a year, month or day.")
    return None


class NoStoreForSignedInMiddleware:
    """After AuthenticationMiddleware; WhiteNoise answers static files before it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Asked before the view: signing out makes the user anonymous on the way.
        # (The answers that sign someone in are never_cache views already.)
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        if signed_in:
            # Merged into what a view set (never_cache's max-age=0 and so on);
            # private also drops a public directive.
            patch_cache_control(response, no_store=True, private=True)
        return response
