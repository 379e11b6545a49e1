"""The questions after a check-in (issue 18, tracker/followup.py): which come when, and
what is stored. The clock stands at NOW, a Tuesday (the week began on Monday 15 June)."""

import uuid
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import NOW, make_entry, weekly_questions_answered
from tracker import followup
from tracker.models import (
    AuditEvent,
    GlobalImpression,
    Medicine,
    MedicineEvent,
    SessionStatus,
    SideEffectReport,
    TreatmentSession,
    WeeklyAnswer,
)

pytestmark = pytest.mark.frozen_at(NOW)

HISTORY = "/history/"
MONDAY = date(2026, 6, 15)


def check_in(client, pain="5", **extra):
    data = {
        "pain": pain,
        "numbness": "4",
        "tingling": "3",
        "when": "now",
        "token": str(uuid.uuid4()),
        **extra,
    }
    return client.post("/log/", data)


def questions_url(entry):
    return f"/log/{entry.public_id}/questions/"


def attended(patient, days_ago):
    return TreatmentSession.objects.create(
        patient=patient,
        practitioner=patient.practitioner,
        when=NOW - timedelta(days=days_ago),
        status=SessionStatus.ATTENDED,
    )


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_first_check_in_of_the_week_goes_on_to_the_weekly_questions(
    alice_client, alice, frozen
):
    response = check_in(alice_client)

    entry = alice.entries.get()
    assert response["Location"] == questions_url(entry)
    page = alice_client.get(questions_url(entry)).content.decode()
    assert "disturb your sleep" in page
    assert "Have you had a fall since last week?" in page
    # No session attended: nothing asked about one.
    assert "side effects" not in page
    assert "changed overall" not in page


def test_once_answered_the_week_s_check_ins_go_straight_to_progress(alice_client, alice, frozen):
    weekly_questions_answered(alice)

    assert check_in(alice_client)["Location"] == HISTORY


def test_the_weekly_answers_are_stored_for_this_week(alice_client, alice, frozen):
    check_in(alice_client)
    entry = alice.entries.get()

    response = alice_client.post(questions_url(entry), {"sleep_interference": "7", "fell": "True"})

    assert response["Location"] == HISTORY
    answer = WeeklyAnswer.objects.get(patient=alice)
    assert (answer.week_of, answer.sleep_interference, answer.fell) == (MONDAY, 7, True)
    # A fall: the patient is told that nobody is alerted at once, and where to read more.
    assert followup.CARE_MESSAGE in messages_of(response)
    assert AuditEvent.objects.filter(object_type="answers").count() == 1
    # Next time this week: no questions.
    assert check_in(alice_client, pain="6")["Location"] == HISTORY


def test_each_question_may_be_left_unanswered(alice_client, alice, frozen):
    check_in(alice_client)
    entry = alice.entries.get()

    alice_client.post(questions_url(entry), {"fell": "False"})

    answer = WeeklyAnswer.objects.get(patient=alice)
    assert (answer.sleep_interference, answer.fell) == (None, False)


def test_skip_stores_that_the_questions_were_asked(alice_client, alice, frozen):
    attended(alice, days_ago=1)
    check_in(alice_client)
    entry = alice.entries.get()

    response = alice_client.post(questions_url(entry), {"skip": "1", "sleep_interference": "9"})

    assert response["Location"] == HISTORY
    answer = WeeklyAnswer.objects.get(patient=alice)
    assert answer.skipped  # the answers sent with Skip are not kept
    assert GlobalImpression.objects.get(patient=alice).answer is None
    assert SideEffectReport.objects.get(patient=alice).effects == []
    assert check_in(alice_client, pain="6")["Location"] == HISTORY


@pytest.mark.parametrize(
    "answers",
    [
        {"sleep_interference": "11"},
        {"sleep_interference": "-1"},
        {"sleep_interference": "<script>"},
        {"fell": "maybe"},
        {"impression": "8"},
        {"impression": "0"},
        {"side_effects": ["none", "bruise"]},
        {"side_effects": ["poisoned"]},
    ],
)
def test_answers_out_of_range_are_refused_and_nothing_is_stored(
    alice_client, alice, frozen, answers
):
    attended(alice, days_ago=1)
    check_in(alice_client)
    entry = alice.entries.get()

    response = alice_client.post(questions_url(entry), answers)

    assert response.status_code == 200
    assert "Nothing was saved yet" in response.content.decode()
    assert not WeeklyAnswer.objects.exists()
    assert not GlobalImpression.objects.exists()
    assert not SideEffectReport.objects.exists()


def test_after_a_session_the_patient_is_asked_about_side_effects_and_change(
    alice_client, alice, frozen
):
    session = attended(alice, days_ago=2)
    check_in(alice_client)
    entry = alice.entries.get()
    page = alice_client.get(questions_url(entry)).content.decode()
    assert "Any side effects since your session on 14 June 2026?" in page
    assert "how has your neuropathy changed overall?" in page

    response = alice_client.post(
        questions_url(entry), {"impression": "2", "side_effects": ["bruise", "faint"]}
    )

    assert GlobalImpression.objects.get(patient=alice, session=session).answer == 2
    report = SideEffectReport.objects.get(patient=alice, session=session)
    assert report.effects == ["bruise", "faint"]
    assert report.had_any
    assert followup.CARE_MESSAGE in messages_of(response)


def test_side_effects_are_asked_once_per_session_and_only_in_the_week_after_it(
    alice_client, alice, frozen
):
    attended(alice, days_ago=8)
    weekly_questions_answered(alice)

    # Eight days on: too late to ask; nothing else due.
    assert check_in(alice_client)["Location"] == HISTORY

    attended(alice, days_ago=1)
    check_in(alice_client, pain="6")
    entry = alice.entries.latest("created_at")
    alice_client.post(questions_url(entry), {"side_effects": ["none"]})
    assert SideEffectReport.objects.get().effects == ["none"]
    assert not SideEffectReport.objects.get().had_any
    assert check_in(alice_client, pain="7")["Location"] == HISTORY


def test_the_impression_of_change_comes_with_the_weekly_questions_only(alice_client, alice, frozen):
    weekly_questions_answered(alice)
    attended(alice, days_ago=1)
    check_in(alice_client)
    entry = alice.entries.get()

    page = alice_client.get(questions_url(entry)).content.decode()

    assert "side effects" in page
    assert "changed overall" not in page  # next week's


def test_with_the_week_answered_a_recent_session_still_leads_to_the_questions(
    alice_client, alice, frozen
):
    weekly_questions_answered(alice)
    attended(alice, days_ago=1)

    response = check_in(alice_client)

    assert response["Location"] == questions_url(alice.entries.get())


def test_the_check_in_reads_no_session_when_the_weekly_questions_are_due(
    alice_client, alice, frozen
):
    # The redirect only needs to know that something is due: the weekly questions are
    # enough, and the follow-up page itself works out the rest.
    attended(alice, days_ago=1)
    with CaptureQueriesContext(connection) as queries:
        response = check_in(alice_client)

    assert response["Location"] == questions_url(alice.entries.get())
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "tracker_globalimpression" not in read
    assert "tracker_sideeffectreport" not in read
    # The full answer still has the session in it.
    due = followup.due_after(alice.entries.get(), NOW)
    assert due.week == MONDAY and due.side_effect_session is not None
    first = followup.due_after(alice.entries.get(), NOW, first_only=True)
    assert first.week == MONDAY and first.side_effect_session is None


def test_a_booked_or_missed_session_asks_nothing(alice_client, alice, frozen):
    weekly_questions_answered(alice)
    for status in (SessionStatus.BOOKED, SessionStatus.DID_NOT_ATTEND, SessionStatus.CANCELLED):
        TreatmentSession.objects.create(
            patient=alice,
            practitioner=alice.practitioner,
            when=NOW - timedelta(days=1),
            status=status,
        )

    assert check_in(alice_client)["Location"] == HISTORY


def test_a_second_tap_on_save_stores_the_answers_once(alice_client, alice, frozen):
    check_in(alice_client)
    entry = alice.entries.get()
    due = followup.due_after(entry, NOW)
    followup.save_answers(alice, due, {"sleep_interference": 3}, NOW)

    # The page sent twice: the second finds nothing due any more.
    response = alice_client.post(questions_url(entry), {"sleep_interference": "4"})
    assert response["Location"] == HISTORY
    assert WeeklyAnswer.objects.get().sleep_interference == 3

    # Answered meanwhile by another tab: the database refuses the copy, nothing changes.
    with pytest.raises(followup.AlreadyAnswered):
        followup.save_answers(alice, due, {"sleep_interference": 9}, NOW)
    assert WeeklyAnswer.objects.get().sleep_interference == 3


def test_nobody_else_can_answer_for_a_check_in(bob_client, alice, frozen):
    entry = make_entry(alice, NOW, created_at=NOW)

    assert bob_client.get(questions_url(entry)).status_code == 404
    assert bob_client.post(questions_url(entry), {"fell": "True"}).status_code == 404
    assert not WeeklyAnswer.objects.exists()


def test_a_check_in_from_yesterday_asks_nothing_more(alice_client, alice, frozen):
    entry = make_entry(alice, NOW - timedelta(days=2), created_at=NOW - timedelta(days=2))

    assert alice_client.get(questions_url(entry))["Location"] == HISTORY


# Medicines ticked at the check-in.


def test_an_extra_dose_names_the_only_medicine_on_the_list(alice_client, alice, frozen):
    pregabalin = Medicine.objects.create(patient=alice, name="Pregabalin", dose="75 mg")
    Medicine.objects.create(patient=alice, name="Amitriptyline", stopped=date(2026, 1, 1))
    weekly_questions_answered(alice)

    response = check_in(alice_client, medicine_events=["extra_dose"])

    event = MedicineEvent.objects.get()
    assert (event.kind, event.medicine, event.patient) == ("extra_dose", pregabalin, alice)
    assert event.occurred_at == alice.entries.get().recorded_at
    assert response["Location"] == HISTORY  # nothing to ask


def test_with_several_medicines_the_patient_is_asked_which(alice_client, alice, frozen):
    Medicine.objects.create(patient=alice, name="Pregabalin")
    duloxetine = Medicine.objects.create(patient=alice, name="Duloxetine", dose="60 mg")
    weekly_questions_answered(alice)
    check_in(alice_client, medicine_events=["extra_dose", "changed"])
    entry = alice.entries.get()
    extra, changed = (
        MedicineEvent.objects.get(kind="extra_dose"),
        MedicineEvent.objects.get(kind="changed"),
    )
    page = alice_client.get(questions_url(entry)).content.decode()
    assert "Which medicine was the extra dose?" in page
    assert "Duloxetine 60 mg" in page
    assert "What changed?" in page

    alice_client.post(
        questions_url(entry),
        {
            f"medicine_{extra.pk}": str(duloxetine.pk),
            f"change_{changed.pk}": "Dose up to <b>120 mg</b>",
        },
    )

    extra.refresh_from_db()
    changed.refresh_from_db()
    assert extra.medicine == duloxetine
    assert changed.medicine is None
    assert changed.note == "Dose up to <b>120 mg</b>"  # stored as typed, escaped when shown


def test_another_patient_s_medicine_cannot_be_chosen(alice_client, alice, bob, frozen):
    Medicine.objects.create(patient=alice, name="Pregabalin")
    Medicine.objects.create(patient=alice, name="Duloxetine")
    bobs = Medicine.objects.create(patient=bob, name="Bob's pills")
    weekly_questions_answered(alice)
    check_in(alice_client, medicine_events=["extra_dose"])
    entry = alice.entries.get()
    event = MedicineEvent.objects.get()

    response = alice_client.post(questions_url(entry), {f"medicine_{event.pk}": str(bobs.pk)})

    assert response.status_code == 200
    event.refresh_from_db()
    assert event.medicine is None


def test_a_change_note_over_the_limit_is_refused(alice_client, alice, frozen):
    weekly_questions_answered(alice)
    check_in(alice_client, medicine_events=["changed"])
    entry = alice.entries.get()
    event = MedicineEvent.objects.get()

    response = alice_client.post(questions_url(entry), {f"change_{event.pk}": "x" * 201})

    assert response.status_code == 200
    assert "200 characters or fewer" in response.content.decode()
    event.refresh_from_db()
    assert event.note == ""


def test_an_unknown_medicine_tile_is_refused_and_no_entry_stored(alice_client, alice, frozen):
    response = check_in(alice_client, medicine_events=["overdose"])

    assert response.status_code == 200
    assert not alice.entries.exists()
    assert not MedicineEvent.objects.exists()


def test_the_questions_page_reads_the_same_whatever_the_number_of_medicines(
    alice_client, alice, frozen, django_assert_max_num_queries
):
    attended(alice, days_ago=1)
    Medicine.objects.bulk_create(Medicine(patient=alice, name=f"Medicine {n}") for n in range(40))
    check_in(alice_client, medicine_events=["extra_dose", "changed"])
    entry = alice.entries.get()

    # Session, user, patient; the entry; this week's answer, the last session with its
    # answers, the entry's events, the current medicines; the audit-free page itself.
    with django_assert_max_num_queries(8):
        response = alice_client.get(questions_url(entry))
    assert response.status_code == 200
    assert response.content.decode().count("Medicine 3") >= 2  # both questions list them
