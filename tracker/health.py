"""Health endpoints for a load balancer or systemd (issue 22).

/healthz/live  the process answers; no database, nothing else.
/healthz/ready the database answers and every migration on disk is applied.

Answered by a middleware placed first, before sessions, authentication, the second
factor, the audit trail and the HTTPS redirect: a probe every few seconds must cost
almost nothing, must not start or refresh a session, must not fill the audit trail,
and must work on the plain-HTTP port a load balancer talks to. The answer is one word,
never a version or an error message.
"""

from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpResponse

LIVE = "/healthz/live"
READY = "/healthz/ready"

_on_disk = None


def migrations_on_disk():
    """(app, name) of every migration in the code; read once, the files do not change."""
    global _on_disk
    if _on_disk is None:
        _on_disk = frozenset(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return _on_disk


def database_ready(conn=connection):
    """Whether the database answers and has every migration applied."""
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT app, name FROM {MigrationRecorder.Migration._meta.db_table}")
            applied = set(cursor.fetchall())
    except DatabaseError:
        return False
    return migrations_on_disk() <= applied


def answer(status, word):
    response = HttpResponse(f"{word}\n", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in (LIVE, READY) and request.method not in ("GET", "HEAD"):
            return answer(405, "GET only")
        if request.path == LIVE:
            return answer(200, "live")
        if request.path == READY:
            return answer(200, "ready") if database_ready() else answer(503, "not ready")
        return self.get_response(request)
