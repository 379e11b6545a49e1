"""The health endpoints (issue 22, tracker/health.py)."""

import pytest
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder

from tests.conftest import client_for
from tracker.models import AuditEvent


def test_live_answers_without_the_database(client):
    # No db fixture: pytest-django refuses any query this request would make.
    response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response.content == b"live\n"
    assert response["Cache-Control"] == "no-store"


def test_ready_answers_when_the_database_is_migrated(client, db):
    response = client.get("/healthz/ready")

    assert response.status_code == 200
    assert response.content == b"ready\n"


def test_ready_refuses_while_a_migration_is_not_applied(client, db):
    latest = MigrationRecorder.Migration.objects.filter(app="tracker").order_by("-name").first()
    latest.delete()

    response = client.get("/healthz/ready")

    assert response.status_code == 503
    assert response.content == b"not ready\n"


def test_ready_refuses_when_the_database_cannot_be_reached(db, settings):
    from tracker import health

    broken = connections.create_connection("default")
    if connection.vendor == "sqlite":
        broken.settings_dict = {**broken.settings_dict, "NAME": "/nonexistent/folder/db.sqlite3"}
    else:
        broken.settings_dict = {**broken.settings_dict, "PORT": "1"}
    try:
        assert health.database_ready(broken) is False
    finally:
        broken.close()
    assert health.database_ready() is True


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready"])
def test_a_probe_starts_no_session_and_leaves_no_audit_row(alice, path):
    client = client_for(alice.user)
    before = AuditEvent.objects.count()

    response = client.get(path, HTTP_HOST="10.0.0.7")

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "Set-Cookie" not in response.headers
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready"])
def test_a_probe_leaks_nothing(client, db, path):
    response = client.get(path)

    assert len(response.content) < 12
    assert "Server" not in response.headers and "X-Powered-By" not in response.headers


def test_only_get_is_answered(client, db):
    assert client.post("/healthz/ready").status_code == 405
