"""The web app manifest, the offline page and the service worker (tracker/webapp.py).

None of them depends on who asks: they hold no one's data, so that an installed
app or the worker's cache can never keep a record.
"""

import hashlib
import json

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from tracker import webapp


@require_safe
def manifest(request):
    body = webapp.manifest(static, reverse("tracker:home"))
    return HttpResponse(json.dumps(body, indent=2), content_type="application/manifest+json")


def offline_page():
    # A page of its own, not base.html: the navigation there is the signed-in user's.
    return render_to_string("offline.html", {"lang": webapp.html_lang(), "name": webapp.NAME})


@require_safe
def offline(request):
    return HttpResponse(offline_page())


@require_safe
def service_worker(request):
    """Served from the root, so that its scope is the whole app (a script under /static/
    could only control /static/)."""
    cached = [
        reverse("tracker:offline"),
        static("bootstrap/css/bootstrap.min.css"),
        static("css/app.css"),
    ]
    # A new version (new static file names, a changed offline page) makes a new worker,
    # which replaces the old cache.
    version = hashlib.sha256((json.dumps(cached) + offline_page()).encode()).hexdigest()[:12]
    response = render(
        request,
        "service-worker.js",
        {"cached": json.dumps(cached), "version": version},
        content_type="text/javascript",
    )
    # Browsers check for a new worker at most once a day anyway; never keep an old one.
    response["Cache-Control"] = "no-cache"
    return response
