"""A database that cannot be reached (issue 22): a 503 in plain words, never a 500.

While PostgreSQL restarts (a fraction of a second to a minute), every query fails. Then:

- A GET or HEAD is tried once more after a short wait (DatabaseOutageMiddleware): reading
  twice changes nothing, and most restarts are over by then.
- If it still fails, or the request was a POST, the answer is 503 with Retry-After and a
  page saying that nothing saved before is lost. A POST is never sent again by the server:
  its page says plainly that this entry was NOT saved, and keeps the answers in a form the
  patient can send again with one tap. (A check-in carries its one-time token, so sending
  it again can never store it twice.)

handler500 (clinic/urls.py) tells the two apart: a database that cannot be reached gets
the 503 page, anything else the usual 500 page. The 503 page is drawn without the request's
context processors, which would read the session and the user from the database.
"""

import sys
import time

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, HttpResponseServerError
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

# Said in words on the page too ("in a minute").
RETRY_AFTER_SECONDS = 60
# Long enough for a quick restart to end, short enough not to keep a patient waiting.
RETRY_WAIT_SECONDS = 0.5
SAFE_METHODS = ("GET", "HEAD")


def cannot_reach_database(error):
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request):
    """handler500: the 503 page when the database could not be reached. Both pages show
    the request's id (tracker/requestlog.py), for a patient to quote."""
    if cannot_reach_database(sys.exc_info()[1]):
        return unavailable(request)
    page = render_to_string("500.html", {"request_id": getattr(request, "request_id", "")})
    return HttpResponseServerError(page)


def kept_answers(request):
    """The POSTed fields to send again, except the CSRF token (a new one is given) and
    passwords (never written into a page)."""
    return [
        (name, value)
        for name, values in request.POST.lists()
        if name != "csrfmiddlewaretoken" and "password" not in name
        for value in values
    ]


def unavailable(request):
    context = {
        "retry_after": RETRY_AFTER_SECONDS,
        "posted": request.method not in SAFE_METHODS,
        "request_id": getattr(request, "request_id", ""),
    }
    if context["posted"]:
        context.update(
            answers=kept_answers(request),
            action=request.get_full_path(),
            csrf_token=get_token(request),
        )
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response.database_unavailable = True
    return response


class DatabaseOutageMiddleware:
    """Tries a safe request once more when the database could not be reached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "database_unavailable", False) and request.method in SAFE_METHODS:
            time.sleep(RETRY_WAIT_SECONDS)
            # A connection the restart broke is closed, so that the next query reconnects.
            for connection in connections.all(initialized_only=True):
                connection.close_if_unusable_or_obsolete()
            response = self.get_response(request)
        return response
