"""One searchable log line per request (issue 22, tracker/requestlog.py), and never any
health data in the logs."""

import json
import logging

import pytest

from tests.conftest import client_for, detail_url, verified_client_for
from tracker import outages
from tracker.requestlog import JsonFormatter

MARKER = "marker-note-7d3f"


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "tracker.requests"]


def test_each_request_logs_one_line_with_its_id_user_status_and_queries(alice, caplog):
    client = client_for(alice.user)
    caplog.set_level(logging.INFO, logger="tracker.requests")

    response = client.get("/history/?range=all")

    [line] = request_lines(caplog)
    assert (line.method, line.path, line.status) == ("GET", "/history/", 200)
    assert line.user_id == alice.user.pk
    assert line.queries > 0 and line.duration_ms > 0
    assert line.request_id == response["X-Request-ID"]
    assert "range=all" not in line.getMessage()


def test_a_line_in_json_has_every_field(client, db, caplog):
    caplog.set_level(logging.INFO, logger="tracker.requests")

    client.get("/accounts/login/")

    [line] = request_lines(caplog)
    parsed = json.loads(JsonFormatter().format(line))
    assert parsed["logger"] == "tracker.requests" and parsed["level"] == "INFO"
    assert parsed["time"].endswith("Z")
    assert {k: parsed[k] for k in ("method", "path", "status", "user_id")} == {
        "method": "GET",
        "path": "/accounts/login/",
        "status": 200,
        "user_id": None,
    }
    assert len(parsed["request_id"]) == 32 and isinstance(parsed["queries"], int)


@pytest.mark.parametrize(
    ("given", "kept"), [("lb-2f9c0a1e77", True), ("bad id\nforged line", False), ("short", False)]
)
def test_a_proxy_s_request_id_is_kept_only_when_it_looks_like_one(client, db, given, kept):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=given)

    assert (response["X-Request-ID"] == given) is kept


def test_no_health_data_reaches_the_logs(alice, xavier, caplog):
    """A check-in with a marked note and a name search, saved, refused and shown: the
    marker is in no log line, whatever the logger or level, in either format."""
    caplog.set_level(logging.DEBUG)
    patient = client_for(alice.user)
    practitioner = verified_client_for(xavier.user)
    answers = {"pain": "6", "numbness": "3", "tingling": "0", "when": "now", "note": MARKER}

    patient.post("/log/", answers)
    patient.post("/log/", {**answers, "pain": "11"})
    patient.get("/history/")
    practitioner.get(f"/practice/?q={MARKER}")
    practitioner.get(detail_url(alice))

    assert request_lines(caplog), "no request was logged: is the middleware on?"
    for record in caplog.records:
        for text in (record.getMessage(), JsonFormatter().format(record), str(record.__dict__)):
            assert MARKER not in text, record.name
            assert "Alice Archer" not in text, record.name


def test_the_error_pages_show_the_request_id_to_quote(rf):
    request = rf.get("/log/")
    request.request_id = "0123456789abcdef"
    try:
        raise ValueError("a bug")
    except ValueError:
        page = outages.server_error(request).content.decode()

    assert "quote this reference: 0123456789abcdef" in page
