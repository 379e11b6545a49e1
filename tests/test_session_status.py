"""Sessions as they really happened, and scores taken in clinic.

A session is booked, attended, cancelled or did not attend. Only attended sessions
are held: they alone are numbered, marked on the chart, start intervals and end the
baseline. A booked session whose time has passed waits for the practitioner to say
what happened. Scores the patient states at a session are entries like any other,
marked "in clinic", entered by the practitioner, and only the practitioner changes them.

Time is frozen at NOW (tests/conftest.py), a Tuesday in June: clinic time is UTC+1.
"""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from tests.conftest import LONDON, NOW, body, detail_url, make_entry, make_session, text
from tracker import scores, worklist
from tracker.course import course_of
from tracker.models import (
    AuditEvent,
    Patient,
    SessionStatus,
    SymptomEntry,
    TreatmentSession,
)

pytestmark = pytest.mark.usefixtures("frozen")

WORKLIST = "/practice/"
ATTENDED, BOOKED = SessionStatus.ATTENDED, SessionStatus.BOOKED
CANCELLED, DNA = SessionStatus.CANCELLED, SessionStatus.DID_NOT_ATTEND


def add_url(patient):
    return f"/practice/patients/{patient.public_id}/sessions/new/"


def edit_url(session):
    return f"/practice/sessions/{session.public_id}/edit/"


def outcome_url(session):
    return f"/practice/sessions/{session.public_id}/outcome/"


def first_week(patient, pain=4, days=(20, 19, 18, 17)):
    """Entries on four days three weeks ago: a baseline before any session."""
    for day in days:
        make_entry(patient, NOW - timedelta(days=day), pain=pain)


def chart_of(response):
    return re.search(r'<svg class="chart".*?</svg>', body(response), re.S).group(0)


# --- Which sessions count ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "held"), [(ATTENDED, True), (BOOKED, False), (CANCELLED, False), (DNA, False)]
)
def test_only_an_attended_session_is_marked_starts_an_interval_and_ends_the_baseline(
    alice, status, held
):
    first_week(alice, pain=4, days=(13, 12, 11))
    session_at = NOW - timedelta(days=10)
    make_session(alice, session_at, status=status)
    for day in (8, 7, 6):
        make_entry(alice, NOW - timedelta(days=day), pain=8)

    course = course_of(alice, NOW)

    assert len(course["chart"].sessions) == (1 if held else 0)
    # One interval before the first session, one after each session held.
    assert course["interval_count"] == (2 if held else 1)
    assert course["sessions_done"] == (1 if held else 0)
    assert alice.first_session_held(NOW) == (session_at if held else None)
    [session] = course["sessions"]
    assert session.number == (1 if held else None)
    # Without a session held, the baseline is the first week of logging, which reaches
    # the later entries at 8; with one, it is the days before it: pain 4 alone.
    assert (course["baseline"].values["pain"] == 4.0) is held


def test_a_booked_past_session_does_not_end_the_worklists_baseline(xavier_client, alice):
    first_week(alice, pain=4, days=(30, 29, 28, 27))
    make_session(alice, NOW - timedelta(days=20), status=BOOKED)
    for day in (19, 18, 17, 16):
        make_entry(alice, NOW - timedelta(days=day), pain=6)

    [row] = xavier_client.get(WORKLIST).context["page"].object_list
    assert row.patient.first_session_at is None

    TreatmentSession.objects.update(status=ATTENDED)
    [row] = xavier_client.get(WORKLIST).context["page"].object_list
    assert row.patient.first_session_at == NOW - timedelta(days=20)
    assert row.baseline.values["pain"] == 4.0


def test_the_worklist_next_session_is_the_next_booked_one(xavier_client, alice):
    make_session(alice, NOW + timedelta(days=2), status=CANCELLED)
    make_session(alice, NOW + timedelta(days=5), status=BOOKED)

    [row] = xavier_client.get(WORKLIST).context["page"].object_list

    assert row.patient.next_session_at == NOW + timedelta(days=5)


def test_the_patient_page_lists_upcoming_sessions_apart_soonest_first(xavier_client, alice):
    make_session(alice, NOW + timedelta(days=9), points_used="later")
    make_session(alice, NOW + timedelta(days=2), points_used="sooner")
    make_session(alice, NOW - timedelta(days=3), status=CANCELLED)

    page = body(xavier_client.get(detail_url(alice)))

    upcoming = page[page.index('id="upcoming-heading"') : page.index('id="sessions-heading"')]
    assert upcoming.index("sooner") < upcoming.index("later")
    assert "Cancelled" not in upcoming
    past = page[page.index('id="sessions-heading"') :]
    assert "Cancelled" in text(past) and "sooner" not in past


def test_the_patient_page_numbers_only_attended_sessions(xavier_client, alice):
    make_session(alice, NOW - timedelta(days=14))
    make_session(alice, NOW - timedelta(days=7), status=DNA)
    make_session(alice, NOW - timedelta(days=3))

    page = text(body(xavier_client.get(detail_url(alice))))

    assert "S2 · Sat 13 Jun 2026, 12:00 Attended" in page
    assert "Tue 9 Jun 2026, 12:00 Did not attend" in page
    assert "S1 · Tue 2 Jun 2026, 12:00 Attended" in page
    assert "S3" not in page


# --- Recording what happened --------------------------------------------------------


def test_a_booked_past_session_asks_what_happened_on_the_patient_page(xavier_client, alice):
    past = make_session(alice, NOW - timedelta(days=1), status=BOOKED)
    make_session(alice, NOW + timedelta(days=1), status=BOOKED)

    page = body(xavier_client.get(detail_url(alice)))

    assert page.count("What happened?") == 1
    assert page.count(f'action="{outcome_url(past)}"') == 3
    assert "Booked, not recorded" in text(page)


@pytest.mark.parametrize("status", [ATTENDED, CANCELLED, DNA])
def test_recording_the_outcome_saves_it_and_audits_it(xavier_client, alice, status):
    session = make_session(alice, NOW - timedelta(days=1), status=BOOKED)

    response = xavier_client.post(outcome_url(session), {"status": status}, follow=True)

    assert response.redirect_chain == [(detail_url(alice), 302)]
    session.refresh_from_db()
    assert session.status == status
    label = SessionStatus(status).label.lower()
    assert f"Alice Archer: the session on 15 Jun 12:00 is recorded as {label}." in body(response)
    event = AuditEvent.objects.get(action="update", object_type="session")
    assert (event.actor, event.object_id, event.detail) == (
        "xavier",
        str(session.public_id),
        "outcome recorded",  # which one is on the session, not in the audit trail
    )
    assert event.patient_public_id == alice.public_id


def test_recording_from_the_worklist_returns_to_the_worklist(xavier_client, alice):
    session = make_session(alice, NOW - timedelta(days=1), status=BOOKED)

    response = xavier_client.post(outcome_url(session), {"status": ATTENDED, "next": "worklist"})

    assert response.url == WORKLIST


@pytest.mark.parametrize("status", ["", "booked", "held", "attended; drop"])
def test_an_unknown_outcome_changes_nothing(xavier_client, alice, status):
    session = make_session(alice, NOW - timedelta(days=1), status=BOOKED)

    response = xavier_client.post(outcome_url(session), {"status": status}, follow=True)

    assert "Please choose Attended, Cancelled or Did not attend." in body(response)
    session.refresh_from_db()
    assert session.status == BOOKED
    assert not AuditEvent.objects.filter(action="update").exists()


@pytest.mark.parametrize(
    ("when", "status"), [(timedelta(days=1), BOOKED), (timedelta(days=-1), CANCELLED)]
)
def test_a_session_not_awaiting_an_outcome_is_left_as_it_is(xavier_client, alice, when, status):
    # Still to come, or already recorded (a second tab, a double tap).
    session = make_session(alice, NOW + when, status=status)

    response = xavier_client.post(outcome_url(session), {"status": ATTENDED}, follow=True)

    assert "Nothing changed" in body(response)
    session.refresh_from_db()
    assert session.status == status
    assert not AuditEvent.objects.filter(action="update").exists()


def test_another_practitioners_session_is_a_404(yara_client, alice):
    session = make_session(alice, NOW - timedelta(days=1), status=BOOKED)

    response = yara_client.post(outcome_url(session), {"status": ATTENDED})

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == BOOKED
    assert AuditEvent.objects.filter(action="denied", object_type="session").exists()


def test_a_patient_cannot_record_an_outcome(alice_client, alice):
    session = make_session(alice, NOW - timedelta(days=1), status=BOOKED)

    response = alice_client.post(outcome_url(session), {"status": CANCELLED})

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == BOOKED


def test_recording_needs_a_post(xavier_client, alice):
    session = make_session(alice, NOW - timedelta(days=1), status=BOOKED)

    assert xavier_client.get(outcome_url(session), {"status": ATTENDED}).status_code == 405
    session.refresh_from_db()
    assert session.status == BOOKED


# --- The worklist's "Sessions to record" --------------------------------------------


def test_the_worklist_lists_own_sessions_to_record(xavier_client, alice, bob, carol):
    due = make_session(alice, NOW - timedelta(hours=2), status=BOOKED)
    make_session(bob, NOW + timedelta(hours=2), status=BOOKED)  # still to come
    make_session(bob, NOW - timedelta(days=2), status=ATTENDED)  # recorded
    make_session(carol, NOW - timedelta(days=1), status=BOOKED)  # Dr Yara's patient

    response = xavier_client.get(WORKLIST)

    assert [s.pk for s in response.context["awaiting"]] == [due.pk]
    section = body(response).split('id="awaiting-heading"')[1].split("</section>")[0]
    assert "Sessions to record (1)" in text(section)
    assert "Alice Archer" in section and "Tue 16 Jun, 10:00" in section
    assert "Carol" not in body(response)
    assert section.count(f'action="{outcome_url(due)}"') == 3
    # Alice is named there: the read is in the audit trail.
    assert AuditEvent.objects.filter(
        action="view", object_type="worklist", patient_public_id=alice.public_id
    ).exists()


def test_without_sessions_to_record_the_section_is_not_shown(xavier_client, alice):
    make_session(alice, NOW - timedelta(days=1))

    assert "Sessions to record" not in body(xavier_client.get(WORKLIST))


def patients_with_sessions_to_record(practitioner, count, prefix):
    users = User.objects.bulk_create(
        User(username=f"{prefix}-{i}", password="!") for i in range(count)
    )
    patients = Patient.objects.bulk_create(
        Patient(user=user, display_name=f"{prefix} {i:02d}", practitioner=practitioner)
        for i, user in enumerate(users)
    )
    TreatmentSession.objects.bulk_create(
        TreatmentSession(
            patient=p, practitioner=practitioner, when=NOW - timedelta(days=d), status=BOOKED
        )
        for p in patients
        for d in (1, 8)
    )


def worklist_queries(client):
    """Queries of a worklist whose rows are all worked out afresh (none kept from before)."""
    worklist.ROW_CACHE.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(WORKLIST)
    assert response.status_code == 200
    return len(queries), response


def test_sessions_to_record_take_the_same_queries_for_3_and_30_patients(xavier_client, xavier):
    patients_with_sessions_to_record(xavier, 3, "few")
    xavier_client.get(WORKLIST)  # warm up
    few, response = worklist_queries(xavier_client)
    assert len(response.context["awaiting"]) == 6

    patients_with_sessions_to_record(xavier, 27, "more")
    many, response = worklist_queries(xavier_client)

    assert few == many
    # Only the oldest are listed; the heading says there are more.
    assert len(response.context["awaiting"]) == 20
    assert "Sessions to record (20+)" in body(response)


def test_the_sessions_to_record_are_read_only_when_there_are_some(xavier_client, alice):
    make_session(alice, NOW - timedelta(days=1))  # recorded: attended
    xavier_client.get(WORKLIST)  # warm up
    none, response = worklist_queries(xavier_client)
    assert response.context["awaiting"] == []

    make_session(alice, NOW - timedelta(hours=2), status=BOOKED)
    some, response = worklist_queries(xavier_client)

    assert len(response.context["awaiting"]) == 1
    assert some == none + 1


# --- The session form ---------------------------------------------------------------


def test_the_form_defaults_to_now_in_clinic_time_and_attended(xavier_client, alice):
    page = body(xavier_client.get(add_url(alice)))

    # NOW is 12:00 in London.
    assert 'value="2026-06-16T12:00"' in page
    assert re.search(r'value="attended"[^>]* checked', page)


def test_a_future_session_cannot_be_attended(xavier_client, alice):
    response = xavier_client.post(add_url(alice), {"when": "2026-06-20T09:00", "status": ATTENDED})

    assert response.status_code == 200
    assert "This session is still to come, so it cannot be attended yet." in body(response)
    assert not TreatmentSession.objects.exists()


def test_a_missing_status_is_refused(xavier_client, alice):
    response = xavier_client.post(add_url(alice), {"when": "2026-06-13T10:00"})

    assert response.status_code == 200
    assert "Please choose what happened" in body(response)
    assert not TreatmentSession.objects.exists()


IN_CLINIC = {
    "when": "2026-06-16T11:30",
    "status": ATTENDED,
    "points_used": "ST36",
    "notes": "",
    "pain": "6",
    "numbness": "5",
    "tingling": "2",
}


def test_scores_in_clinic_make_one_entry_entered_by_the_practitioner(xavier_client, xavier, alice):
    response = xavier_client.post(add_url(alice), IN_CLINIC)

    assert response.status_code == 302
    session = TreatmentSession.objects.get()
    entry = SymptomEntry.objects.get()
    assert (entry.pain, entry.numbness, entry.tingling) == (6, 5, 2)
    assert entry.recorded_at == session.when == datetime(2026, 6, 16, 11, 30, tzinfo=LONDON)
    assert entry.entered_by == xavier
    assert entry.session == session
    assert entry.patient == alice
    audited = set(
        AuditEvent.objects.filter(action="create").values_list("object_type", "object_id", "detail")
    )
    assert audited == {
        ("session", str(session.public_id), ""),
        ("entry", str(entry.public_id), "in clinic"),
    }


def test_a_session_without_scores_makes_no_entry(xavier_client, alice):
    no_scores = {k: v for k, v in IN_CLINIC.items() if k not in scores.NAMES}

    assert xavier_client.post(add_url(alice), no_scores).status_code == 302

    assert TreatmentSession.objects.count() == 1
    assert not SymptomEntry.objects.exists()


def test_a_partial_set_of_scores_is_refused_and_nothing_is_saved(xavier_client, alice):
    response = xavier_client.post(add_url(alice), {**IN_CLINIC, "numbness": ""})

    assert response.status_code == 200
    assert "Please choose a score for all three symptoms, or for none. Missing: numbness." in body(
        response
    )
    assert not TreatmentSession.objects.exists()
    assert not SymptomEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="create").exists()


@pytest.mark.parametrize(
    "change", [{"status": CANCELLED}, {"status": BOOKED, "when": "2026-06-20T09:00"}]
)
def test_scores_are_refused_for_a_session_not_attended(xavier_client, alice, change):
    response = xavier_client.post(add_url(alice), {**IN_CLINIC, **change})

    assert response.status_code == 200
    assert "Scores can only be recorded for an attended session." in body(response)
    assert not TreatmentSession.objects.exists()
    assert not SymptomEntry.objects.exists()


def test_an_out_of_range_score_is_refused(xavier_client, alice):
    response = xavier_client.post(add_url(alice), {**IN_CLINIC, "pain": "11"})

    assert response.status_code == 200
    assert "Pain must be a whole number from 0 to 10." in body(response)
    assert not SymptomEntry.objects.exists()


def test_editing_the_session_shows_and_updates_the_same_entry(xavier_client, alice):
    xavier_client.post(add_url(alice), IN_CLINIC)
    session = TreatmentSession.objects.get()
    entry = SymptomEntry.objects.get()

    page = body(xavier_client.get(edit_url(session)))
    assert re.search(r'name="pain" id="[^"]*" value="6" checked', page)

    response = xavier_client.post(
        edit_url(session), {**IN_CLINIC, "when": "2026-06-16T10:00", "pain": "3"}
    )

    assert response.status_code == 302
    [updated] = SymptomEntry.objects.all()
    assert updated.pk == entry.pk
    assert updated.pain == 3
    assert updated.recorded_at == datetime(2026, 6, 16, 10, 0, tzinfo=LONDON)
    assert AuditEvent.objects.filter(
        action="update", object_type="entry", object_id=str(entry.public_id)
    ).exists()


def test_the_scores_can_be_removed_from_a_session(xavier_client, alice):
    xavier_client.post(add_url(alice), IN_CLINIC)
    session = TreatmentSession.objects.get()
    entry = SymptomEntry.objects.get()

    response = xavier_client.post(
        edit_url(session), {**IN_CLINIC, "status": CANCELLED, "remove_scores": "on"}
    )

    assert response.status_code == 302
    assert not SymptomEntry.objects.exists()
    session.refresh_from_db()
    assert session.status == CANCELLED
    assert AuditEvent.objects.filter(
        action="delete", object_type="entry", object_id=str(entry.public_id)
    ).exists()


# --- How in-clinic scores are shown and counted -------------------------------------


def test_the_entries_table_marks_scores_taken_in_clinic(xavier_client, alice):
    make_entry(alice, NOW - timedelta(days=1), pain=1)
    xavier_client.post(add_url(alice), IN_CLINIC)

    rows = body(xavier_client.get(detail_url(alice))).split('class="table table-sm entries-table"')[
        1
    ]
    rows = rows.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]

    assert "in clinic" in text(rows[0]) and "Entered by Dr Xavier" in text(rows[0])
    assert "in clinic" not in text(rows[1])


def test_the_chart_draws_in_clinic_scores_as_hollow_squares(xavier_client, alice):
    for days in (3, 2, 1):
        make_entry(alice, NOW - timedelta(days=days))
    xavier_client.post(add_url(alice), IN_CLINIC)

    response = xavier_client.get(detail_url(alice))

    chart = chart_of(response)
    clinic = chart.split('<g class="chart-clinic"')[1].split("</g>")[0]
    # One per symptom, at the session's reading, with its own words in the tooltip.
    assert clinic.count("<path") == 3
    assert "<title>Pain 6 — 16 Jun 11:30, in clinic</title>" in clinic
    assert ">In clinic</text>" in chart
    assert "Scores taken in clinic (hollow squares): 1." in chart
    assert "Hollow squares: scores taken in clinic." in body(response)


def test_in_clinic_scores_count_in_the_figures(alice):
    # Three days at pain 2 from the patient; the in-clinic reading of 8 is one more day.
    first_week(alice, pain=4, days=(30, 29, 28, 27))
    session = make_session(alice, NOW - timedelta(days=20))
    for day in (3, 2, 1):
        make_entry(alice, NOW - timedelta(days=day), pain=2)
    before = course_of(alice, NOW)["progress"][0].recent

    clinic = make_session(alice, NOW - timedelta(hours=1))
    clinic.save_clinic_scores({"pain": 8, "numbness": 4, "tingling": 3}, alice.practitioner)
    after = course_of(alice, NOW)["progress"][0].recent

    assert session.pk != clinic.pk
    assert before == 2.0
    assert after == pytest.approx((2 + 2 + 2 + 8) / 4)


# --- What the patient sees and may do -----------------------------------------------


def test_the_patient_sees_the_entry_read_only_with_who_entered_it(
    xavier_client, alice_client, alice
):
    xavier_client.post(add_url(alice), IN_CLINIC)
    entry = SymptomEntry.objects.get()

    page = body(alice_client.get("/history/"))

    card = page.split(f'id="entry-{entry.public_id}"')[1].split("</li>")[0]
    assert "in clinic" in text(card)
    assert "Entered in clinic by Dr Xavier" in text(card)
    assert "/edit/" not in card and "/delete/" not in card


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_the_patient_cannot_change_or_delete_an_in_clinic_entry(
    xavier_client, alice_client, alice, action
):
    xavier_client.post(add_url(alice), IN_CLINIC)
    entry = SymptomEntry.objects.get()
    url = f"/history/entries/{entry.public_id}/{action}/"

    response = alice_client.post(url, {"pain": "0", "numbness": "0", "tingling": "0"})

    assert response.status_code == 302
    assert response.url == "/history/"
    entry.refresh_from_db()
    assert (entry.pain, entry.numbness, entry.tingling) == (6, 5, 2)
    assert not entry.is_editable(NOW)


def test_the_patients_own_data_names_who_entered_scores_in_clinic(
    xavier_client, alice_client, alice
):
    xavier_client.post(add_url(alice), IN_CLINIC)

    data = alice_client.get("/account/my-data.json").json()

    [entry] = data["entries"]
    assert entry["entered_in_clinic_by"] == "Dr Xavier"
    assert data["sessions"][0]["status"] == "Attended"


# --- The migration ------------------------------------------------------------------

BEFORE = [("tracker", "0010_invitation_purpose_and_channel")]
AFTER = [("tracker", "0011_session_status_and_clinic_scores")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_past_sessions_attended_and_future_ones_booked():
    # Until now every session whose time had passed counted as held.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="dr-old")
    patient_user = old.get_model("auth", "User").objects.create(username="patient-old")
    practitioner = old.get_model("tracker", "Practitioner").objects.create(
        user=user, display_name="Dr Old"
    )
    patient = old.get_model("tracker", "Patient").objects.create(
        user=patient_user, display_name="Old Patient", practitioner=practitioner
    )
    Session = old.get_model("tracker", "TreatmentSession")
    past = Session.objects.create(
        patient=patient, practitioner=practitioner, when=NOW - timedelta(days=1)
    )
    ahead = Session.objects.create(
        patient=patient, practitioner=practitioner, when=NOW + timedelta(days=1)
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    statuses = dict(TreatmentSession.objects.values_list("pk", "status"))
    assert statuses == {past.pk: ATTENDED, ahead.pk: BOOKED}


def test_deleting_a_session_keeps_its_in_clinic_scores_and_says_so(xavier_client, alice):
    xavier_client.post(add_url(alice), IN_CLINIC)
    session = TreatmentSession.objects.get()
    url = f"/practice/sessions/{session.public_id}/delete/"

    assert "stay in the patient's entries" in text(body(xavier_client.get(url)))
    xavier_client.post(url)

    assert not TreatmentSession.objects.exists()
    entry = SymptomEntry.objects.get()
    assert entry.session is None and entry.in_clinic
