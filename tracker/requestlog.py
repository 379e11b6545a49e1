"""One log line per request, that an operator can search (issue 22).

Each request gets an id (a new one, or the proxy's X-Request-ID when it looks like one),
sent back in the X-Request-ID header and shown on the 500 and 503 pages so that a patient
can quote it. When the response is ready, the logger "tracker.requests" writes one line:
time, request id, user id, method, path (never the query string: a search for a name
would land in the log), status, duration and number of SQL queries. Never a name, a
score or a note: nothing from the request's body or the page goes in.

DJANGO_LOG_FORMAT=json writes every log line, these and all others, as one JSON object.
The health probes (/healthz/*) are answered before this and are not logged.
"""

import json
import logging
import re
import time
import uuid

from django.db import connection

logger = logging.getLogger("tracker.requests")

# What a proxy may hand on as a request id: short, and nothing that could forge a line.
GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms", "queries")


def request_id_of(request):
    given = request.headers.get("X-Request-ID", "")
    return given if GIVEN_ID.fullmatch(given) else uuid.uuid4().hex


def user_id_of(request):
    """The signed-in user's id, only if the request has read it already: asking now could
    query the database after it failed (tracker/outages.py)."""
    user = getattr(request, "_cached_user", None)
    return user.pk if user is not None and user.is_authenticated else None


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request)
        counter = QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        fields = {
            "request_id": request.request_id,
            "user_id": user_id_of(request),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "queries": counter.count,
        }
        logger.info(
            "%(method)s %(path)s %(status)s %(duration_ms)sms queries=%(queries)s "
            "user=%(user_id)s id=%(request_id)s",
            fields,
            extra=fields,
        )
        return response


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time (UTC), level, logger, message, and a
    request's fields."""

    converter = time.gmtime

    def format(self, record):
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
