"""A database that cannot be reached (issue 22, tracker/outages.py): a 503 in plain words,
a GET tried once more, a POST never, and never a 500.

The outage is real: the app's connection is pointed at a port where nothing listens, so
psycopg's own connection error reaches the app. That needs a database server to cut off,
so these run on PostgreSQL (CI runs the suite on it); the choice between the 503 and the
500 page is checked on every database.
"""

import threading
import uuid
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from tests.conftest import client_for, free_port
from tracker import outages
from tracker.models import SymptomEntry

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
needs_a_server = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs a database server to cut off (CI runs it on PostgreSQL)"
)
CHECK_IN = {
    "pain": "6",
    "numbness": "3",
    "tingling": "0",
    "when": "now",
    "recorded_at": "",
    "note": "outage-note-4b1",
    "token": str(uuid.uuid4()),
}


@contextmanager
def database_unreachable(back_after=None):
    """The app's database cannot be reached; back at the end, or after `back_after` s."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    timer = None

    def back():
        connection.settings_dict.update(saved)

    if back_after is not None:
        timer = threading.Timer(back_after, back)
        timer.start()
    try:
        yield
    finally:
        if timer:
            timer.cancel()
        connection.close()
        back()


@pytest.fixture
def patient_client(alice):
    client = client_for(alice.user)
    # A 500 must come back as a response here, as a browser would get it.
    client.raise_request_exception = False
    client.get("/log/")
    return client


@needs_a_server
@pytest.mark.django_db(transaction=True)
def test_a_page_is_answered_503_in_plain_words_while_the_database_is_away(patient_client):
    with database_unreachable():
        response = patient_client.get("/log/")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "The clinic&#x27;s system is restarting" in page or "system is restarting" in page
    assert "Nothing you saved before is lost. Please try again in a minute." in page
    assert "NOT saved" not in page


@needs_a_server
@pytest.mark.django_db(transaction=True)
def test_a_page_is_tried_once_more_and_served_when_the_database_is_back(patient_client):
    # Back after 0.2 s: the first try fails, the second (after 0.5 s) is served.
    with database_unreachable(back_after=0.2):
        response = patient_client.get("/log/")

    assert response.status_code == 200
    assert "How do you feel?" in response.content.decode()


@needs_a_server
@pytest.mark.django_db(transaction=True)
def test_a_check_in_is_never_sent_again_by_the_server_and_says_it_was_not_saved(
    patient_client, alice
):
    with database_unreachable(back_after=0.2):
        response = patient_client.post("/log/", CHECK_IN)

    assert response.status_code == 503
    page = response.content.decode()
    assert "What you just sent was NOT saved." in page
    # The answers, kept in a form that sends them again to the same page.
    assert '<form method="post" action="/log/">' in page
    for name in ("pain", "numbness", "tingling", "note", "token"):
        assert f'name="{name}" value="{CHECK_IN[name]}"' in page
    assert SymptomEntry.objects.filter(patient=alice).count() == 0

    # Sent again once the database is back: stored once.
    resent = patient_client.post("/log/", CHECK_IN)
    assert resent.status_code == 302
    assert SymptomEntry.objects.filter(patient=alice).count() == 1


@needs_a_server
@pytest.mark.django_db(transaction=True)
def test_a_password_is_never_written_into_the_page(client):
    client.raise_request_exception = False
    client.get("/accounts/login/")

    with database_unreachable():
        response = client.post(
            "/accounts/login/", {"username": "alice", "password": "secret-pw-9c2"}
        )

    assert response.status_code == 503
    page = response.content.decode()
    assert 'name="username" value="alice"' in page
    assert "secret-pw-9c2" not in page and 'name="password"' not in page


def test_only_an_unreachable_database_turns_the_500_into_a_503(rf):
    request = rf.get("/log/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        unreachable = outages.server_error(request)
    try:
        raise ValueError("a bug")
    except ValueError:
        bug = outages.server_error(request)

    assert unreachable.status_code == 503
    assert unreachable["Retry-After"] == "60"
    assert bug.status_code == 500
    assert "Something went wrong on our side" in bug.content.decode()
