"""Treatment sessions: record, edit and delete; who may; what the patient then sees.

Time is frozen at NOW (tests/conftest.py), a Tuesday in June: clinic time
(Europe/London) is UTC+1, so a form time of 10:30 is stored as 09:30 UTC.
"""

import re
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from tests.conftest import LONDON, NOW, body, detail_url, make_session
from tracker.models import SymptomEntry, TreatmentSession

PRIVATE_NOTE = "Practitioner only: PRIVATE-7f3a, anxious about scan results"


pytestmark = pytest.mark.usefixtures("frozen")  # at NOW, for every test


def add_url(patient):
    return f"/practice/patients/{patient.public_id}/sessions/new/"


def edit_url(session):
    return f"/practice/sessions/{session.public_id}/edit/"


def delete_url(session):
    return f"/practice/sessions/{session.public_id}/delete/"


# Three days ago, with a point and the private note: what the forms below edit and hide.
noted_session = partial(
    make_session, when=NOW - timedelta(days=3), notes=PRIVATE_NOTE, points_used="ST36"
)


def snapshot(session):
    """The fields a form could change, read fresh from the database."""
    return TreatmentSession.objects.filter(pk=session.pk).values(
        "when", "points_used", "notes", "practitioner"
    )[0]


VALID = {
    "when": "2026-06-13T10:30",
    "status": "attended",
    "points_used": "ST36, SP6, Bafeng",
    "notes": PRIVATE_NOTE,
}
# A session still to come can only be booked.
BOOKED = {**VALID, "when": "2026-06-20T09:00", "status": "booked"}


# --- Recording a session --------------------------------------------------------


def test_recording_a_session_saves_it_and_returns_to_the_patient(xavier_client, xavier, alice):
    response = xavier_client.post(add_url(alice), VALID)

    assert response.status_code == 302
    assert response.url == detail_url(alice)
    [saved] = TreatmentSession.objects.all()
    assert saved.patient == alice
    assert saved.practitioner == xavier
    assert saved.points_used == "ST36, SP6, Bafeng"
    assert saved.notes == PRIVATE_NOTE


def test_the_session_time_is_read_as_clinic_time(xavier_client, alice):
    xavier_client.post(add_url(alice), VALID)

    saved = TreatmentSession.objects.get()
    assert saved.when == datetime(2026, 6, 13, 10, 30, tzinfo=LONDON)
    assert saved.when == datetime(2026, 6, 13, 9, 30, tzinfo=UTC)


def test_a_saved_session_is_confirmed_on_the_patient_page(xavier_client, alice):
    response = xavier_client.post(add_url(alice), VALID, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(detail_url(alice), 302)]
    assert "Session on 13 Jun 10:30 saved." in body(response)
    assert PRIVATE_NOTE in body(response)  # practitioners may read the notes


def test_a_future_session_is_saved_as_booked(xavier_client, alice):
    response = xavier_client.post(add_url(alice), BOOKED)

    assert response.status_code == 302
    saved = TreatmentSession.objects.get()
    assert saved.when == datetime(2026, 6, 20, 9, 0, tzinfo=LONDON)
    assert "booked" in body(xavier_client.get(detail_url(alice)))


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("2026-02-30T10:00", "That is not a real date and time."),
        ("next tuesday", "That is not a real date and time."),
        ("", "Please give the date and time of the session."),
        ("2020-01-01T10:00", "Please give a date within the last 5 years or next year."),
        ("2027-07-01T10:00", "Please give a date within the last 5 years or next year."),
    ],
)
def test_a_bad_or_missing_date_is_refused_with_a_message(xavier_client, alice, when, message):
    response = xavier_client.post(add_url(alice), {**VALID, "when": when})

    assert response.status_code == 200
    assert message in body(response)
    assert not TreatmentSession.objects.exists()


def test_a_time_that_does_not_exist_in_clinic_time_is_refused(xavier_client, alice):
    # 29 March 2026: London clocks jump from 01:00 to 02:00.
    response = xavier_client.post(add_url(alice), {**VALID, "when": "2026-03-29T01:30"})

    assert response.status_code == 200
    assert "couldn’t be interpreted in time zone Europe/London" in body(response)
    assert not TreatmentSession.objects.exists()


def test_a_missing_date_field_is_refused(xavier_client, alice):
    response = xavier_client.post(add_url(alice), {"points_used": "ST36"})

    assert response.status_code == 200
    assert "Please give the date and time of the session." in body(response)
    assert not TreatmentSession.objects.exists()


def test_an_empty_post_is_refused_with_a_message(xavier_client, alice):
    response = xavier_client.post(add_url(alice), {})

    assert response.status_code == 200
    assert "Please give the date and time of the session." in body(response)
    assert not TreatmentSession.objects.exists()


def test_a_refused_form_keeps_what_was_typed(xavier_client, alice):
    response = xavier_client.post(add_url(alice), {**VALID, "when": "2026-02-30T10:00"})

    assert "ST36, SP6, Bafeng" in body(response)


# --- Editing and deleting ------------------------------------------------------


def test_the_edit_form_shows_the_session_in_clinic_time(xavier_client, alice):
    session = noted_session(alice, when=datetime(2026, 6, 13, 10, 30, tzinfo=LONDON))

    response = xavier_client.get(edit_url(session))

    assert response.status_code == 200
    assert 'value="2026-06-13T10:30"' in body(response)
    assert PRIVATE_NOTE in body(response)


def test_editing_a_session_saves_the_changes(xavier_client, xavier, alice):
    session = noted_session(alice)

    response = xavier_client.post(
        edit_url(session),
        {
            "when": "2026-06-14T16:45",
            "status": "attended",
            "points_used": "LR3",
            "notes": "Moved to Sunday",
        },
    )

    assert response.status_code == 302
    assert response.url == detail_url(alice)
    assert snapshot(session) == {
        "when": datetime(2026, 6, 14, 16, 45, tzinfo=LONDON),
        "points_used": "LR3",
        "notes": "Moved to Sunday",
        "practitioner": xavier.pk,
    }
    assert TreatmentSession.objects.count() == 1


def test_an_invalid_edit_changes_nothing(xavier_client, alice):
    session = noted_session(alice)
    before = snapshot(session)

    response = xavier_client.post(
        edit_url(session), {"when": "not a date", "points_used": "LR3", "notes": "x"}
    )

    assert response.status_code == 200
    assert "That is not a real date and time." in body(response)
    assert snapshot(session) == before


def test_delete_asks_for_confirmation_first(xavier_client, alice):
    session = noted_session(alice, when=datetime(2026, 6, 13, 10, 30, tzinfo=LONDON))

    response = xavier_client.get(delete_url(session))

    assert response.status_code == 200
    assert "Delete this session?" in body(response)
    assert "Alice Archer, Saturday 13 June 2026, 10:30." in body(response)
    assert TreatmentSession.objects.filter(pk=session.pk).exists()


def test_confirming_deletes_the_session(xavier_client, alice):
    session = noted_session(alice)
    other = noted_session(alice, when=NOW - timedelta(days=10))

    response = xavier_client.post(delete_url(session))

    assert response.status_code == 302
    assert response.url == detail_url(alice)
    assert list(TreatmentSession.objects.all()) == [other]


# --- Who may --------------------------------------------------------------------


def test_another_practitioner_cannot_record_a_session(yara_client, alice):
    response = yara_client.post(add_url(alice), VALID)

    assert response.status_code == 404
    assert not TreatmentSession.objects.exists()


def test_another_practitioner_cannot_edit_a_session(yara_client, alice):
    session = noted_session(alice)
    before = snapshot(session)

    response = yara_client.post(
        edit_url(session), {"when": "2026-06-14T16:45", "points_used": "LR3", "notes": "hijack"}
    )

    assert response.status_code == 404
    assert snapshot(session) == before


def test_another_practitioner_cannot_delete_a_session(yara_client, alice):
    session = noted_session(alice)

    response = yara_client.post(delete_url(session))

    assert response.status_code == 404
    assert TreatmentSession.objects.filter(pk=session.pk).exists()


def test_a_patient_cannot_record_a_session(alice_client, alice):
    response = alice_client.post(add_url(alice), VALID)

    assert response.status_code == 404
    assert not TreatmentSession.objects.exists()


def test_a_patient_cannot_edit_or_delete_their_sessions(alice_client, alice):
    session = noted_session(alice)
    before = snapshot(session)

    edit = alice_client.post(edit_url(session), {**VALID, "notes": "changed by patient"})
    delete = alice_client.post(delete_url(session))

    assert (edit.status_code, delete.status_code) == (404, 404)
    assert snapshot(session) == before


def test_anonymous_posts_go_to_the_login_page(client, alice):
    response = client.post(add_url(alice), VALID)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not TreatmentSession.objects.exists()


# --- What the patient sees --------------------------------------------------------


def test_the_session_appears_on_the_patients_chart(xavier_client, alice_client, alice):
    for days in range(1, 8):
        SymptomEntry.objects.create(
            patient=alice, recorded_at=NOW - timedelta(days=days), pain=4, numbness=3, tingling=2
        )
    xavier_client.post(add_url(alice), VALID)

    response = alice_client.get("/history/")

    chart = re.search(r'<svg class="chart".*?</svg>', body(response), re.S).group(0)
    assert ">S1</text>" in chart
    assert "<title>Session 1 — 13 Jun</title>" in chart


def test_the_patient_never_sees_the_session_notes(xavier_client, alice_client, alice):
    SymptomEntry.objects.create(
        patient=alice, recorded_at=NOW - timedelta(days=4), pain=4, numbness=3, tingling=2
    )
    xavier_client.post(add_url(alice), VALID)
    xavier_client.post(add_url(alice), BOOKED)  # booked

    response = alice_client.get("/history/")

    assert response.status_code == 200
    assert "Sessions so far: 1" in body(response)
    assert "PRIVATE-7f3a" not in body(response)
    assert "PRIVATE-7f3a" not in alice_client.get("/history/", {"range": "all"}).content.decode()
