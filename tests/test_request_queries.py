"""What a signed-in request reads, and what it leaves unread (issue 21, "the waste removed").

- The user comes with their Patient or Practitioner row in one query
  (UsernameOrEmailBackend.get_user), so the role and the language cost none.
- The worklist words no summary sentence and each flag's help once.
- The patient page makes model objects only of the sessions it lists; the others
  are read as tuples for the counts, the numbers and the chart.

Calls and objects are observed, never replaced: sys.setprofile sees which functions
run, Django's post_init signal sees each model object made.
"""

import sys
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.db.models.signals import post_init
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from tests.conftest import (
    NOW,
    PASSWORD,
    body,
    client_for,
    detail_url,
    make_entry,
    make_session,
    verified_client_for,
)
from tracker import access, context_processors, languages, scores
from tracker.backends import UsernameOrEmailBackend
from tracker.models import SessionStatus, TreatmentSession

pytestmark = pytest.mark.usefixtures("frozen")

OURS = "tracker.backends.UsernameOrEmailBackend"
DJANGOS = "django.contrib.auth.backends.ModelBackend"
# The role look-up of before: a profile read on its own, by the user's id.
PROFILE_BY_USER = ('FROM "tracker_patient" WHERE', 'FROM "tracker_practitioner" WHERE')


def second_get(client, url):
    """The SQL of a second GET of url (the first may warm caches), and the response."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in queries], response


def profile_reads(sql):
    """The queries that read a profile by its user's id: role look-ups."""
    by_user = [q for q in sql if '"user_id" = ' in q.split("WHERE")[-1]]
    return [q for q in by_user if any(p in q for p in PROFILE_BY_USER)]


@contextmanager
def calls_of(*functions):
    """{function name: how many times it ran} while the block runs (sys.setprofile)."""
    codes = {f.__code__: f.__name__ for f in functions}
    counts = dict.fromkeys(codes.values(), 0)

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            counts[codes[frame.f_code]] += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield counts
    finally:
        sys.setprofile(previous)


@contextmanager
def sessions_made():
    """A list that gets every TreatmentSession object made while the block runs."""
    made = []

    def note(sender, instance, **kwargs):
        made.append(instance)

    post_init.connect(note, sender=TreatmentSession)
    try:
        yield made
    finally:
        post_init.disconnect(note, sender=TreatmentSession)


# --- (a) The user and their profile in one query --------------------------------------


def test_signing_in_names_our_backend_and_the_user_comes_with_their_profile(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == OURS

    sql, response = second_get(client, "/ping/")

    # The session, then the user joined to both profiles: nothing else.
    assert len(sql) == 2
    assert 'FROM "auth_user" ' in sql[1]
    assert 'LEFT OUTER JOIN "tracker_patient"' in sql[1]
    assert 'LEFT OUTER JOIN "tracker_practitioner"' in sql[1]
    assert response.wsgi_request.user.patient == alice


def test_a_practitioners_request_reads_user_and_profile_in_one_query(xavier):
    client = verified_client_for(xavier.user)
    assert client.session[BACKEND_SESSION_KEY] == OURS  # force_login: the first with get_user

    sql, _ = second_get(client, "/ping/")

    # The session, the user with the profiles, the second factor's device (django-otp).
    assert len(sql) == 3
    assert profile_reads(sql) == []
    assert "otp_totp_totpdevice" in sql[2]


@pytest.mark.parametrize("who", ["alice", "xavier", "staff"])
def test_role_and_language_cost_no_query_on_the_user_the_session_reads(who, alice, xavier, staff):
    user = {"alice": alice.user, "xavier": xavier.user, "staff": staff}[who]
    expected = {"alice": access.PATIENT, "xavier": access.PRACTITIONER, "staff": access.STAFF}

    loaded = UsernameOrEmailBackend().get_user(user.pk)

    with CaptureQueriesContext(connection) as queries:
        role = access.role_of(loaded)
        profile = languages.profile_of(loaded)
        languages.chosen_by(loaded)
    assert len(queries) == 0
    assert role == expected[who]
    assert profile == {"alice": alice, "xavier": xavier, "staff": None}[who]


def test_the_role_context_processor_costs_no_query(xavier):
    request = RequestFactory().get("/")
    request.user = UsernameOrEmailBackend().get_user(xavier.user.pk)

    with CaptureQueriesContext(connection) as queries:
        assert context_processors.role(request) == {"role": access.PRACTITIONER}
    assert len(queries) == 0


def test_an_inactive_user_gets_no_user_from_the_backend(alice):
    alice.user.is_active = False
    alice.user.save()

    assert UsernameOrEmailBackend().get_user(alice.user.pk) is None
    assert UsernameOrEmailBackend().get_user(10**9) is None


def test_a_session_signed_in_through_djangos_backend_still_works(alice, xavier):
    # The invitation link's login(), and sessions from before issue 15, name it.
    patient = Client()
    patient.force_login(alice.user, backend=DJANGOS)
    assert patient.session[BACKEND_SESSION_KEY] == DJANGOS
    assert patient.get("/history/").status_code == 200

    practitioner = verified_client_for(xavier.user)
    practitioner.force_login(xavier.user, backend=DJANGOS)
    assert practitioner.get(detail_url(alice)).status_code == 200


@pytest.mark.parametrize(
    "who, url",
    [
        ("xavier", "/practice/"),
        ("xavier", "detail"),
        ("xavier", "/account/"),
        ("alice", "/history/"),
        ("alice", "/log/"),
        ("alice", "/account/"),
    ],
)
def test_no_page_looks_the_role_up_on_its_own(who, url, alice, xavier):
    # (b): the role was two queries on every page; now the profile came with the user.
    make_entry(alice, NOW - timedelta(days=1))
    client = verified_client_for(xavier.user) if who == "xavier" else client_for(alice.user)
    url = detail_url(alice) if url == "detail" else url

    sql, _ = second_get(client, url)

    assert profile_reads(sql) == []


# --- (c) Nothing worded that the worklist does not show -------------------------------


def test_the_worklist_words_no_summary_sentence_and_each_flags_help_once(xavier_client, alice, bob):
    for patient in (alice, bob):
        for days in range(1, 10):
            make_entry(patient, NOW - timedelta(days=days), pain=9)
    xavier_client.get("/practice/")

    with calls_of(scores.summary_sentence, scores.Flag.help_text) as calls:
        response = xavier_client.get("/practice/")

    assert response.status_code == 200
    assert calls["summary_sentence"] == 0
    # Once for the page: the counts at the top and each row's flags share the words.
    assert calls["help_text"] == len(scores.FLAGS)
    # And the words are still on the page, at the top and on the rows' flags.
    severe = scores.FLAGS[[f.name for f in scores.FLAGS].index("severe")]
    help_words = severe.help_text(7, lambda s: s)
    assert body(response).count('data-help="') >= 2
    assert "flag-help-severe" in body(response)
    assert help_words.split()[0] in body(response)


# --- (e) The patient page reads its sessions as tuples, except those it lists ---------


def a_long_course(patient):
    """Sessions every 5 days for 200 days (attended), one booked ahead, one to record."""
    for days in range(200, 0, -5):
        make_session(patient, NOW - timedelta(days=days))
    make_session(patient, NOW + timedelta(days=3))
    make_session(patient, NOW - timedelta(hours=2), status=SessionStatus.BOOKED)
    for days in range(210, 0, -1):
        make_entry(patient, NOW - timedelta(days=days, hours=3), pain=days % 7)


def test_the_patient_page_makes_objects_only_of_the_sessions_it_lists(xavier_client, alice):
    a_long_course(alice)
    xavier_client.get(detail_url(alice), {"range": "4w"})

    with sessions_made() as made, CaptureQueriesContext(connection) as queries:
        response = xavier_client.get(detail_url(alice), {"range": "4w"})

    page = body(response)
    # 42 sessions: 40 held, one booked ahead, one whose outcome is to be recorded.
    listed = response.context["sessions"] + response.context["upcoming_sessions"]
    assert len(listed) == 7  # the 5 held in the last 28 days, the one to record, the one ahead
    assert sorted(s.pk for s in made) == sorted(s.pk for s in listed)
    # One query for all the sessions, as before (the worklist's summary has them as subqueries).
    assert sum(q["sql"].startswith('SELECT "tracker_treatmentsession".') for q in queries) == 1
    # The figures of the whole course: numbers, counts, the interval table's last rows.
    assert response.context["session_count"] == 41
    assert response.context["sessions_done"] == 40
    assert "S40 · " in page and "S36 · " in page and "S35 · " not in page
    assert "Showing 6 of 41 sessions" in page
    numbers = [s.number for s in response.context["sessions"]]
    assert numbers == [None, 40, 39, 38, 37, 36]
    assert response.context["sessions"][0].awaiting_outcome
    assert response.context["interval_count"] == 41
    assert [i.number for i in response.context["intervals"]][-1] == 40


def test_all_sessions_are_objects_when_the_page_lists_them_all(xavier_client, alice):
    a_long_course(alice)

    with sessions_made() as made:
        response = xavier_client.get(detail_url(alice), {"range": "all"})

    assert len(response.context["sessions"]) == 41
    assert len({s.pk for s in made}) == 42
    assert [s.number for s in response.context["sessions"]][-1] == 1
    assert "S1 · " in body(response)


def test_the_patients_own_page_reads_no_session_notes(alice):
    a_long_course(alice)
    TreatmentSession.objects.filter(patient=alice).update(notes="private clinical note")
    client = client_for(alice.user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/history/")

    assert response.status_code == 200
    session_sql = [q["sql"] for q in queries if 'FROM "tracker_treatmentsession"' in q["sql"]]
    assert session_sql and all('"notes"' not in q for q in session_sql)
    assert "private clinical note" not in body(response)
