"""The patient's check-in (/log/) and changing or deleting an entry afterwards.

Time is frozen with time_machine wherever a window matters, so each edge is
tested at its exact moment. MARCH_NOW (tests/conftest.py) is a Tuesday in March,
before the clocks change in Europe/London, so clinic time equals UTC unless a test
says otherwise.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.conftest import (
    LONDON,
    MARCH_NOW,
    add_history,
    baseline_as_of_read,
    entry_reads,
    make_entry,
    queries_for,
    weekly_questions_answered,
)
from tracker.forms import SymptomEntryForm
from tracker.models import REPEAT_WINDOW_MINUTES, AuditEvent, SymptomEntry, TreatmentSession
from tracker.views import patient as patient_views

LOG = "/log/"
FORM_ENCODED = "application/x-www-form-urlencoded"
HISTORY = "/history/"

ALREADY_SAVED = "That check-in was already saved, so it was not added twice."
EDIT_WINDOW_OVER = "Entries can be changed for 24 hours after saving."
NOTE = "Burning at night"


# Tests that ask for `frozen` stop the clock at MARCH_NOW, not at conftest's NOW.
pytestmark = pytest.mark.frozen_at(MARCH_NOW)


def answers(**changes):
    """A complete, valid check-in; a change of None leaves that field out."""
    data = {
        "pain": "5",
        "numbness": "4",
        "tingling": "3",
        "when": "now",
        "recorded_at": "",
        "locations": ["feet_left", "feet_right"],
        "note": NOTE,
        "token": str(uuid.uuid4()),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def field_errors(response, name):
    """The error text shown at one field ('' when there is none)."""
    match = re.search(
        rf'id="id_{name}_errors?"[^>]*>(.*?)</div>', response.content.decode(), re.DOTALL
    )
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def is_checked(response, name, value):
    """Whether the radio or checkbox name=value is drawn checked."""
    tag = re.search(
        rf'<input[^>]*name="{name}"[^>]*value="{value}"[^>]*>', response.content.decode()
    )
    assert tag, f"no input {name}={value}"
    return " checked" in tag.group(0)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def edit_url(entry):
    return f"/history/entries/{entry.public_id}/edit/"


def delete_url(entry):
    return f"/history/entries/{entry.public_id}/delete/"


def entry_values(entry):
    entry = SymptomEntry.objects.get(pk=entry.pk)
    return (entry.recorded_at, entry.pain, entry.numbness, entry.tingling, entry.note)


# --- The blank form -----------------------------------------------------------


def test_the_form_asks_three_scores_with_now_chosen(alice_client):
    response = alice_client.get(LOG)

    assert response.status_code == 200
    for name in ("pain", "numbness", "tingling"):
        for value in range(11):
            assert not is_checked(response, name, value)
    assert is_checked(response, "when", "now")
    assert not is_checked(response, "when", "earlier")


def disclosure_open(response):
    """Whether the places and the note are drawn unfolded."""
    tag = re.search(
        r'<details class="more-answers"[^>]*>\s*<summary[^>]*>Where you feel it',
        response.content.decode(),
    )
    assert tag, "no disclosure"
    return " open" in tag.group(0).split(">")[0]


def test_the_places_and_the_note_are_folded_away_on_a_blank_form(alice_client):
    response = alice_client.get(LOG)

    assert not disclosure_open(response)
    assert "Where you feel it, and a note (optional)</summary>" in response.content.decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"pain": None, "locations": [], "note": NOTE},
        {"pain": None, "locations": ["hands_left"], "note": ""},
        {"locations": ["elbows"], "note": ""},
        {"locations": [], "note": "x" * 1001},
    ],
    ids=["a note", "a place", "a bad place", "a note too long"],
)
def test_the_fold_is_open_when_it_holds_an_answer_or_an_error(alice_client, frozen, changes):
    response = alice_client.post(LOG, answers(**changes))

    assert response.status_code == 200
    assert disclosure_open(response)


def test_the_fold_stays_closed_when_the_error_is_elsewhere(alice_client, frozen):
    response = alice_client.post(LOG, answers(pain=None, locations=[], note=""))

    assert response.status_code == 200
    assert not disclosure_open(response)


def test_the_change_page_shows_the_saved_places_unfolded(alice_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW, locations=["feet_left"])

    assert disclosure_open(alice_client.get(edit_url(entry)))


def test_the_form_has_no_field_that_names_a_patient():
    form = SymptomEntryForm()

    assert set(form.fields) == {
        "pain",
        "numbness",
        "tingling",
        "medicine_events",
        "when",
        "recorded_at",
        "locations",
        "note",
        "token",
        "confirm",
    }


def test_each_blank_form_carries_a_new_token(alice_client):
    first = alice_client.get(LOG).context["form"]["token"].value()
    second = alice_client.get(LOG).context["form"]["token"].value()

    assert first != second


def test_the_date_field_says_the_window_and_clinic_time_zone(alice_client, frozen):
    response = alice_client.get(LOG)

    assert 'min="2026-03-03T12:00"' in response.content.decode()
    assert 'max="2026-03-10T12:00"' in response.content.decode()
    assert "Up to 7 days back. Clinic time (Europe/London)." in response.content.decode()


# --- Saving, and Post/Redirect/Get ------------------------------------------------


def test_it_saves_a_check_in_and_redirects_to_history(alice_client, alice, frozen):
    weekly_questions_answered(alice)
    response = alice_client.post(LOG, answers())

    assert response.status_code == 302
    assert response["Location"] == HISTORY
    entry = alice.entries.get()
    assert (entry.pain, entry.numbness, entry.tingling) == (5, 4, 3)
    assert entry.locations == ["feet_left", "feet_right"]
    assert entry.note == NOTE
    assert entry.recorded_at == MARCH_NOW


def test_the_message_is_shown_after_the_redirect(alice_client, alice, frozen):
    weekly_questions_answered(alice)
    response = alice_client.post(LOG, answers(), follow=True)

    assert response.redirect_chain == [(HISTORY, 302)]
    assert response.status_code == 200
    assert messages_of(response) == ["Saved. Pain 5. Numbness 4. Tingling 3."]
    assert "Saved. Pain 5. Numbness 4. Tingling 3." in response.content.decode()


def test_it_accepts_zero_as_none(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(pain="0", numbness="0", tingling="0"))

    assert response.status_code == 302
    entry = alice.entries.get()
    assert (entry.pain, entry.numbness, entry.tingling) == (0, 0, 0)


def test_it_accepts_ten(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(pain="10", numbness="10", tingling="10"))

    assert response.status_code == 302
    assert alice.entries.get().pain == 10


def test_it_saves_an_earlier_time_entered_in_clinic_time(alice_client, alice):
    # July: London is on summer time, one hour ahead of UTC.
    with time_machine.travel(datetime(2026, 7, 10, 12, 0, tzinfo=LONDON), tick=False):
        response = alice_client.post(LOG, answers(when="earlier", recorded_at="2026-07-10T09:30"))

    assert response.status_code == 302
    assert alice.entries.get().recorded_at == datetime(2026, 7, 10, 8, 30, tzinfo=UTC)


def test_it_reads_times_in_the_configured_clinic_time_zone(alice_client, alice, settings):
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(datetime(2026, 7, 10, 11, 0, tzinfo=UTC), tick=False):
        response = alice_client.post(LOG, answers(when="earlier", recorded_at="2026-07-10T06:30"))

    assert response.status_code == 302
    assert alice.entries.get().recorded_at == datetime(2026, 7, 10, 10, 30, tzinfo=UTC)


def test_choosing_now_ignores_a_date_left_in_the_hidden_field(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(when="now", recorded_at="2026-01-01T10:00"))

    assert response.status_code == 302
    assert alice.entries.get().recorded_at == MARCH_NOW


def test_a_note_with_html_and_emoji_is_stored_as_typed(alice_client, alice, frozen):
    note = '<script>alert(1)</script> café 😀 <b>bold</b> & "quotes"'

    alice_client.post(LOG, answers(note=note))

    assert alice.entries.get().note == note


def test_a_note_of_exactly_the_limit_is_saved(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(note="x" * 1000))

    assert response.status_code == 302
    assert len(alice.entries.get().note) == 1000


def test_a_note_the_browser_counts_as_1000_characters_is_saved(alice_client, alice, frozen):
    # 991 letters and 9 line breaks: 1000 characters as the page's counter and
    # the textarea's maxlength count them. Browsers send each break as CRLF.
    lines = ["y" * 100] * 9 + ["y" * 91]

    response = alice_client.post(LOG, answers(note="\r\n".join(lines)))

    assert response.status_code == 302
    assert alice.entries.get().note.replace("\r\n", "\n") == "\n".join(lines)


# --- The message after a check-in ---------------------------------------------------


def test_the_message_compares_with_the_last_entry(alice_client, alice, frozen):
    make_entry(alice, MARCH_NOW - timedelta(days=1), pain=5, numbness=3, tingling=3)

    response = alice_client.post(LOG, answers(pain="5", numbness="4", tingling="1"), follow=True)

    assert messages_of(response) == [
        "Saved. Pain 5 — same as your last entry. "
        "Numbness 4 — 1 higher than your last entry. "
        "Tingling 1 — 2 lower than your last entry."
    ]


def test_the_message_compares_with_the_first_week(alice_client, alice, frozen):
    first = MARCH_NOW - timedelta(days=30)
    for day in range(4):  # a baseline of fewer days is not compared with
        make_entry(alice, first + timedelta(days=day), numbness=6)
    make_entry(alice, MARCH_NOW - timedelta(days=2), numbness=5)

    response = alice_client.post(LOG, answers(numbness="4"), follow=True)

    assert (
        "Numbness 4 — 1 lower than your last entry; 2 lower than your first week"
        in messages_of(response)[0]
    )


def test_the_message_compares_with_before_the_first_session(alice_client, alice, xavier, frozen):
    first = MARCH_NOW - timedelta(days=30)
    # First week: 8, 8, 8. Before the first session: 8, 8, 8, 4 (mean 7).
    for day in (0, 1, 2):
        make_entry(alice, first + timedelta(days=day), numbness=8)
    make_entry(alice, first + timedelta(days=9), numbness=4)
    TreatmentSession.objects.create(
        patient=alice, practitioner=xavier, when=first + timedelta(days=10), status="attended"
    )
    make_entry(alice, first + timedelta(days=12), numbness=6)

    response = alice_client.post(LOG, answers(numbness="4"), follow=True)

    assert (
        "Numbness 4 — 2 lower than your last entry; 3 lower than before your first session"
        in messages_of(response)[0]
    )


def test_too_few_entries_before_the_first_session_give_no_baseline(
    alice_client, alice, xavier, frozen
):
    first = MARCH_NOW - timedelta(days=30)
    # Two entries before the session (too few); the first week may not stand in, as
    # its third entry came after the session.
    make_entry(alice, first, numbness=6)
    make_entry(alice, first + timedelta(days=1), numbness=7)
    TreatmentSession.objects.create(
        patient=alice, practitioner=xavier, when=first + timedelta(days=2), status="attended"
    )
    make_entry(alice, first + timedelta(days=3), numbness=6)
    make_entry(alice, MARCH_NOW - timedelta(days=1), numbness=5)

    response = alice_client.post(LOG, answers(numbness="4"), follow=True)

    message = messages_of(response)[0]
    assert "Numbness 4 — 1 lower than your last entry." in message
    assert "first week" not in message and "first session" not in message


def test_a_booked_session_does_not_end_the_baseline(alice_client, alice, xavier, frozen):
    # Only a session that has been held counts as the first session. The first week
    # holds the new entry too: 6, 6, 6 and 4.
    for day in (3, 2, 1):
        make_entry(alice, MARCH_NOW - timedelta(days=day), numbness=6)
    TreatmentSession.objects.create(
        patient=alice, practitioner=xavier, when=MARCH_NOW + timedelta(days=2)
    )

    response = alice_client.post(LOG, answers(numbness="4"), follow=True)

    assert (
        "Numbness 4 — 2 lower than your last entry; 1.5 lower than your first week"
        in messages_of(response)[0]
    )


def test_a_backdated_entry_compares_with_the_entry_before_it(alice_client, alice, frozen):
    make_entry(alice, MARCH_NOW - timedelta(days=3), pain=2)
    make_entry(alice, MARCH_NOW - timedelta(days=1), pain=9)

    response = alice_client.post(
        LOG, answers(pain="4", when="earlier", recorded_at="2026-03-08T12:00"), follow=True
    )

    assert messages_of(response)[0].startswith("Saved. Pain 4 — 2 higher than your last entry")


# --- A double tap, a refresh, a resent form ---------------------------------------


def test_the_same_token_twice_saves_one_entry(alice_client, alice, frozen):
    data = answers()

    first = alice_client.post(LOG, data)
    second = alice_client.post(LOG, data)

    assert first.status_code == 302
    assert second.status_code == 302
    assert second["Location"] == HISTORY
    assert alice.entries.count() == 1


def test_a_double_tap_that_races_past_the_check_saves_one_entry(
    alice_client, alice, frozen, monkeypatch
):
    data = answers(pain="5")

    class RacingTransaction:
        """The other tap's row is committed between the view's check and its insert."""

        @staticmethod
        def atomic():
            SymptomEntry.objects.create(
                patient=alice,
                recorded_at=MARCH_NOW,
                pain=5,
                numbness=4,
                tingling=3,
                public_id=data["token"],
            )
            return transaction.atomic()

    monkeypatch.setattr(patient_views, "transaction", RacingTransaction)

    response = alice_client.post(LOG, data, follow=True)

    assert response.redirect_chain == [(HISTORY, 302)]
    assert messages_of(response) == [ALREADY_SAVED]
    assert alice.entries.count() == 1


def test_a_resent_form_says_already_saved(alice_client, frozen):
    data = answers()
    alice_client.post(LOG, data, follow=True)  # the first message is shown and consumed

    response = alice_client.post(LOG, data, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [ALREADY_SAVED]


def test_a_resent_form_with_changed_answers_keeps_the_first(alice_client, alice, frozen):
    token = str(uuid.uuid4())
    alice_client.post(LOG, answers(token=token, pain="5"))

    alice_client.post(LOG, answers(token=token, pain="9"))

    assert alice.entries.get().pain == 5


def test_a_token_already_used_by_another_patient_saves_nothing(alice_client, alice, bob, frozen):
    bobs = make_entry(bob, MARCH_NOW - timedelta(hours=1), pain=7)

    response = alice_client.post(LOG, answers(token=str(bobs.public_id)))

    assert response.status_code == 200
    # Once, in the alert at the top: crispy's own list of form errors would repeat it.
    used = "This form was already used. Please check it and save again."
    assert response.content.decode().count(used) == 1
    assert alice.entries.count() == 0
    assert bob.entries.get().pain == 7


def test_after_a_used_token_the_form_can_be_sent_again(alice_client, alice, bob, frozen):
    bobs = make_entry(bob, MARCH_NOW - timedelta(hours=1))
    refused = alice_client.post(LOG, answers(token=str(bobs.public_id)))
    token_sent_back = refused.context["form"]["token"].value()

    response = alice_client.post(LOG, answers(token=token_sent_back))

    assert response.status_code == 302
    assert alice.entries.count() == 1


# --- The same answers again (the Back button brings them back with a fresh token) ------

SAME_AGAIN = "You saved these same answers at 12:00. Save them again?"


def saved_earlier(patient, minutes_ago, **changes):
    """The patient's own check-in of answers() saved `minutes_ago` before MARCH_NOW."""
    moment = MARCH_NOW - timedelta(minutes=minutes_ago)
    values = {"locations": ["feet_left", "feet_right"], "note": NOTE, **changes}
    return make_entry(patient, moment, created_at=moment, **values)


def test_the_same_answers_again_with_a_new_token_ask_first(alice_client, alice, frozen):
    alice_client.post(LOG, answers())
    audit_rows = AuditEvent.objects.count()

    response = alice_client.post(LOG, answers())  # Back, then Save: a fresh token

    assert response.status_code == 200
    assert SAME_AGAIN in response.content.decode()
    assert alice.entries.count() == 1
    assert AuditEvent.objects.count() == audit_rows  # nothing written, not even the audit


def test_the_question_gives_the_time_in_clinic_time(alice_client, alice):
    # July: London is an hour ahead of UTC, so 08:14 UTC is 09:14 at the clinic.
    with time_machine.travel(datetime(2026, 7, 10, 8, 14, tzinfo=UTC), tick=False):
        alice_client.post(LOG, answers())
    with time_machine.travel(datetime(2026, 7, 10, 8, 17, tzinfo=UTC), tick=False):
        response = alice_client.post(LOG, answers())

    assert "You saved these same answers at 09:14. Save them again?" in response.content.decode()


def test_the_question_offers_to_save_again_or_go_to_progress(alice_client, alice, frozen):
    saved_earlier(alice, 3)

    page = alice_client.post(LOG, answers()).content.decode()

    assert re.search(r'<button[^>]*name="confirm"[^>]*value="yes"[^>]*>\s*Yes, save', page)
    assert f'href="{HISTORY}"' in page
    assert "Nothing was saved yet" not in page
    assert page.count("Save them again?") == 1


def test_the_check_in_page_is_not_stored_so_back_draws_it_afresh(alice_client):
    # Back then asks the server again; the repeat question catches what it brings back.
    assert "no-store" in alice_client.get(LOG)["Cache-Control"]


def test_confirming_saves_the_same_answers_again(alice_client, alice, frozen):
    weekly_questions_answered(alice)
    saved_earlier(alice, 3)
    data = answers()
    alice_client.post(LOG, data)

    response = alice_client.post(LOG, {**data, "confirm": "yes"})

    assert response.status_code == 302
    assert response["Location"] == HISTORY
    assert alice.entries.count() == 2


def test_a_double_tap_on_confirm_saves_one_copy(alice_client, alice, frozen):
    saved_earlier(alice, 3)
    data = {**answers(), "confirm": "yes"}
    alice_client.post(LOG, data, follow=True)  # the first message is shown and consumed

    response = alice_client.post(LOG, data, follow=True)

    assert messages_of(response) == [ALREADY_SAVED]
    assert alice.entries.count() == 2


def test_a_double_tap_is_still_answered_already_saved(alice_client, alice, frozen):
    data = answers()
    alice_client.post(LOG, data, follow=True)

    response = alice_client.post(LOG, data, follow=True)

    assert response.redirect_chain == [(HISTORY, 302)]
    assert messages_of(response) == [ALREADY_SAVED]
    assert alice.entries.count() == 1


def test_the_same_answers_just_inside_the_window_ask(alice_client, alice, frozen):
    saved_earlier(alice, REPEAT_WINDOW_MINUTES - 1)

    response = alice_client.post(LOG, answers())

    assert response.status_code == 200
    assert "Save them again?" in response.content.decode()
    assert alice.entries.count() == 1


def test_the_same_answers_after_the_window_are_saved(alice_client, alice, frozen):
    saved_earlier(alice, REPEAT_WINDOW_MINUTES)

    response = alice_client.post(LOG, answers())

    assert response.status_code == 302
    assert alice.entries.count() == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"pain": "6"},
        {"numbness": "5"},
        {"tingling": "2"},
        {"locations": ["feet_left"]},
        {"note": NOTE + "."},
        {"note": ""},
    ],
    ids=["pain", "numbness", "tingling", "locations", "note", "no note"],
)
def test_different_answers_are_saved_at_once(alice_client, alice, frozen, changes):
    saved_earlier(alice, 3)

    response = alice_client.post(LOG, answers(**changes))

    assert response.status_code == 302
    assert alice.entries.count() == 2


def test_the_same_places_in_another_order_are_the_same_answers(alice_client, alice, frozen):
    saved_earlier(alice, 3, locations=["feet_right", "feet_left"])

    response = alice_client.post(LOG, answers())

    assert response.status_code == 200
    assert alice.entries.count() == 1


def test_the_same_answers_for_another_day_are_saved(alice_client, alice, frozen):
    # Catching up on the days missed: the same scores for yesterday and for today.
    saved_earlier(alice, 3)

    response = alice_client.post(LOG, answers(when="earlier", recorded_at="2026-03-09T12:00"))

    assert response.status_code == 302
    assert alice.entries.count() == 2


def test_the_same_earlier_time_again_asks(alice_client, alice, frozen):
    earlier = answers(when="earlier", recorded_at="2026-03-09T12:00")
    alice_client.post(LOG, earlier)

    response = alice_client.post(LOG, {**earlier, "token": str(uuid.uuid4())})

    assert response.status_code == 200
    assert alice.entries.count() == 1


def test_scores_taken_in_clinic_are_not_the_patients_own_save(alice_client, alice, xavier, frozen):
    # The practitioner typed what the patient said at the session; the patient did
    # not save it, so "You saved these same answers" would not be true.
    saved_earlier(alice, 3, entered_by=xavier)

    response = alice_client.post(LOG, answers())

    assert response.status_code == 302
    assert alice.entries.count() == 2


def test_another_patients_same_answers_do_not_count(alice_client, alice, bob, frozen):
    saved_earlier(bob, 3)

    response = alice_client.post(LOG, answers())

    assert response.status_code == 302
    assert alice.entries.count() == 1


def test_the_question_keeps_the_answers_and_the_token(alice_client, alice, frozen):
    saved_earlier(alice, 3)
    data = answers()

    response = alice_client.post(LOG, data)

    assert is_checked(response, "pain", "5")
    assert is_checked(response, "locations", "feet_right")
    assert response.context["form"]["token"].value() == data["token"]
    assert NOTE in response.content.decode()


def test_changing_an_entry_to_the_same_answers_does_not_ask(alice_client, alice, frozen):
    entry = saved_earlier(alice, 3)

    response = alice_client.post(
        edit_url(entry), answers(when=None, recorded_at="2026-03-10T11:57", token=None)
    )

    assert response.status_code == 302
    assert alice.entries.count() == 1


# --- Bad input ---------------------------------------------------------------------

BAD_INPUTS = {
    "score 11": ({"pain": "11"}, "pain", "Pain must be a whole number from 0 to 10."),
    "score -1": ({"numbness": "-1"}, "numbness", "Numbness must be a whole number from 0 to 10."),
    "score abc": ({"tingling": "abc"}, "tingling", "Tingling must be a whole number from 0 to 10."),
    "score 4.5": ({"pain": "4.5"}, "pain", "Pain must be a whole number from 0 to 10."),
    "missing score": (
        {"numbness": None},
        "numbness",
        "Please choose a number for numbness. Choose 0 if you have none.",
    ),
    "empty score": (
        {"pain": ""},
        "pain",
        "Please choose a number for pain. Choose 0 if you have none.",
    ),
    "future time": (
        {"when": "earlier", "recorded_at": "2026-03-10T12:01"},
        "recorded_at",
        "That time is in the future. Please check it.",
    ),
    "over 7 days ago": (
        {"when": "earlier", "recorded_at": "2026-03-03T11:59"},
        "recorded_at",
        "That is more than 7 days ago. You can log up to 7 days back.",
    ),
    "impossible date": (
        {"when": "earlier", "recorded_at": "2026-02-30T10:00"},
        "recorded_at",
        "That is not a real date and time. Please check it.",
    ),
    "not a date": (
        {"when": "earlier", "recorded_at": "last tuesday"},
        "recorded_at",
        "That is not a real date and time. Please check it.",
    ),
    "earlier without a date": (
        {"when": "earlier", "recorded_at": ""},
        "recorded_at",
        "Please give the date and time, or choose \u2018Now\u2019.",
    ),
    "note too long": (
        {"note": "n" * 1001},
        "note",
        "Your note is 1001 characters long. Please keep it to 1000 or fewer.",
    ),
    "NUL in note": ({"note": "bad\x00note"}, "note", "Null characters are not allowed."),
    "unknown location": (
        {"locations": ["feet_left", "nose"]},
        "locations",
        "Please choose places from the list.",
    ),
}
BAD = pytest.mark.parametrize(
    ("changes", "field", "message"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys()
)


@BAD
def test_the_form_rejects_bad_input(db, changes, field, message):
    form = SymptomEntryForm(answers(**changes), now=MARCH_NOW)

    assert not form.is_valid()
    assert form.errors[field] == [message]
    assert set(form.errors) == {field}


@BAD
def test_the_page_rejects_bad_input_and_saves_nothing(
    alice_client, alice, frozen, changes, field, message
):
    make_entry(alice, MARCH_NOW - timedelta(days=1))

    response = alice_client.post(LOG, answers(**changes))

    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert "Nothing was saved yet." in response.content.decode()
    assert alice.entries.count() == 1


@BAD
def test_bad_input_keeps_the_other_answers(alice_client, frozen, changes, field, message):
    response = alice_client.post(LOG, answers(**changes))

    for name, value in (("pain", 5), ("numbness", 4), ("tingling", 3)):
        if name != field:
            assert is_checked(response, name, value), name
    if field != "note":
        assert f">\n{NOTE}</textarea>" in response.content.decode()
    if field != "locations":
        assert is_checked(response, "locations", "feet_left")
        assert is_checked(response, "locations", "feet_right")


def test_bad_input_shows_the_typed_note_escaped(alice_client, frozen):
    response = alice_client.post(LOG, answers(pain="11", note="<script>alert(1)</script>"))

    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in response.content.decode()
    assert "<script>alert(1)" not in response.content.decode()


def test_bad_input_keeps_the_chosen_earlier_time(alice_client, frozen):
    response = alice_client.post(
        LOG, answers(pain="11", when="earlier", recorded_at="2026-03-09T08:15")
    )

    assert is_checked(response, "when", "earlier")
    assert 'value="2026-03-09T08:15"' in response.content.decode()


def test_bad_input_keeps_the_token(alice_client, frozen):
    token = str(uuid.uuid4())

    response = alice_client.post(LOG, answers(pain="11", token=token))

    assert f'name="token" value="{token}"' in response.content.decode()


def test_a_huge_list_of_locations_with_a_bogus_value_is_refused(alice_client, alice, frozen):
    locations = ["feet_left"] * 900 + ["<script>"]

    # Form-encoded, as a browser sends it: as multipart this is over the 64 KiB body limit.
    response = alice_client.post(
        LOG, urlencode(answers(locations=locations), doseq=True), content_type=FORM_ENCODED
    )

    assert response.status_code == 200
    assert "Please choose places from the list." in field_errors(response, "locations")
    assert alice.entries.count() == 0


def test_more_fields_than_django_accepts_is_a_bad_request_not_an_error(alice_client, alice, frozen):
    # Over DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) but under the 64 KiB body limit.
    locations = ["feet_left"] * 1000 + ["bogus"]
    response = alice_client.post(
        LOG, urlencode(answers(locations=locations), doseq=True), content_type=FORM_ENCODED
    )

    assert response.status_code == 400
    assert alice.entries.count() == 0


def test_a_time_that_does_not_exist_in_clinic_time_is_refused(alice_client, alice):
    # The clocks went forward at 01:00 on 29 March 2026: 01:30 never happened in London.
    with time_machine.travel(datetime(2026, 3, 30, 12, 0, tzinfo=LONDON), tick=False):
        response = alice_client.post(LOG, answers(when="earlier", recorded_at="2026-03-29T01:30"))

    assert response.status_code == 200
    assert "in time zone Europe/London" in field_errors(response, "recorded_at")
    assert alice.entries.count() == 0


@pytest.mark.parametrize("field", ["pain", "when", "recorded_at", "locations", "note", "token"])
def test_a_nul_character_in_any_field_is_refused_without_error(alice_client, alice, frozen, field):
    changes = {"when": "earlier", "recorded_at": "2026-03-09T10:00", field: "4\x00"}

    response = alice_client.post(LOG, answers(**changes))

    assert response.status_code == 200
    assert "Nothing was saved yet." in response.content.decode()
    assert alice.entries.count() == 0


def test_a_tampered_token_is_refused_without_error(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(token="not-a-uuid"))

    assert response.status_code == 200
    assert alice.entries.count() == 0


def test_an_unknown_when_is_refused(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(when="yesterday"))

    assert response.status_code == 200
    assert field_errors(response, "when")
    assert alice.entries.count() == 0


# --- The 7-day window, at its exact edges -------------------------------------------


def test_it_accepts_a_time_exactly_7_days_back(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(when="earlier", recorded_at="2026-03-03T12:00"))

    assert response.status_code == 302
    assert alice.entries.get().recorded_at == MARCH_NOW - timedelta(days=7)


def test_it_rejects_a_time_a_minute_more_than_7_days_back(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(when="earlier", recorded_at="2026-03-03T11:59"))

    assert response.status_code == 200
    assert "more than 7 days ago" in field_errors(response, "recorded_at")
    assert alice.entries.count() == 0


def test_it_accepts_the_current_minute(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(when="earlier", recorded_at="2026-03-10T12:00"))

    assert response.status_code == 302
    assert alice.entries.get().recorded_at == MARCH_NOW


def test_it_rejects_future_dates(alice_client, alice, frozen):
    response = alice_client.post(LOG, answers(when="earlier", recorded_at="2026-03-10T12:01"))

    assert response.status_code == 200
    assert "in the future" in field_errors(response, "recorded_at")
    assert alice.entries.count() == 0


def test_the_form_validates_without_queries(db, django_assert_num_queries):
    # The fields hold the scores to 0-10 and the note to 1000 characters, as the
    # model's check constraints do; the database enforces those on write.
    form = SymptomEntryForm(answers(), now=MARCH_NOW)

    with django_assert_num_queries(0):
        assert form.is_valid(), form.errors


def test_the_form_window_edges_are_inclusive(db):
    at_limit = SymptomEntryForm(
        answers(when="earlier", recorded_at="2026-03-03T12:00"), now=MARCH_NOW
    )
    at_now = SymptomEntryForm(
        answers(when="earlier", recorded_at="2026-03-10T12:00"), now=MARCH_NOW
    )

    assert at_limit.is_valid(), at_limit.errors
    assert at_now.is_valid(), at_now.errors


# --- Changing and deleting an entry within 24 hours -----------------------------------


def test_a_patient_can_change_a_fresh_entry(alice_client, alice, frozen):
    entry = make_entry(
        alice, MARCH_NOW - timedelta(hours=2), created_at=MARCH_NOW - timedelta(hours=1)
    )

    response = alice_client.post(
        edit_url(entry),
        {"pain": "1", "numbness": "2", "tingling": "0", "recorded_at": "2026-03-10T09:00"},
        follow=True,
    )

    assert response.redirect_chain == [(HISTORY, 302)]
    assert messages_of(response) == ["Your entry was updated."]
    assert entry_values(entry) == (datetime(2026, 3, 10, 9, 0, tzinfo=UTC), 1, 2, 0, "")
    assert alice.entries.count() == 1


def test_the_change_form_shows_the_saved_answers(alice_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=2), pain=6, numbness=2, tingling=9)

    response = alice_client.get(edit_url(entry))

    assert response.status_code == 200
    assert is_checked(response, "pain", 6)
    assert is_checked(response, "numbness", 2)
    assert is_checked(response, "tingling", 9)
    assert 'value="2026-03-10T10:00"' in response.content.decode()


def test_a_change_keeps_the_window_the_entry_was_made_in(alice_client, alice, frozen):
    created = MARCH_NOW - timedelta(hours=23)
    entry = make_entry(alice, created - timedelta(days=7), created_at=created, pain=5)

    response = alice_client.post(
        edit_url(entry),
        {"pain": "2", "numbness": "4", "tingling": "3", "recorded_at": "2026-03-02T13:00"},
    )

    assert response.status_code == 302
    assert SymptomEntry.objects.get(pk=entry.pk).pain == 2


def test_a_change_with_bad_input_changes_nothing(alice_client, alice, frozen):
    entry = make_entry(
        alice, MARCH_NOW - timedelta(hours=2), created_at=MARCH_NOW - timedelta(hours=1)
    )
    before = entry_values(entry)

    response = alice_client.post(
        edit_url(entry),
        {"pain": "11", "numbness": "2", "tingling": "0", "recorded_at": "2026-03-10T09:00"},
    )

    assert response.status_code == 200
    assert "Pain must be a whole number from 0 to 10." in field_errors(response, "pain")
    assert is_checked(response, "numbness", 2)
    assert entry_values(entry) == before


def test_a_change_cannot_move_an_entry_into_the_future(alice_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=2))
    before = entry_values(entry)

    response = alice_client.post(
        edit_url(entry),
        {"pain": "1", "numbness": "2", "tingling": "0", "recorded_at": "2026-03-10T12:01"},
    )

    assert response.status_code == 200
    assert "in the future" in field_errors(response, "recorded_at")
    assert entry_values(entry) == before


def test_a_change_needs_a_date(alice_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=2))
    before = entry_values(entry)

    response = alice_client.post(
        edit_url(entry), {"pain": "1", "numbness": "2", "tingling": "0", "recorded_at": ""}
    )

    assert response.status_code == 200
    assert "Please give the date and time." in field_errors(response, "recorded_at")
    assert entry_values(entry) == before


def test_an_entry_can_be_changed_just_before_24_hours(alice_client, alice, frozen):
    created = MARCH_NOW - timedelta(hours=24) + timedelta(microseconds=1)
    entry = make_entry(alice, created, created_at=created, pain=5)

    response = alice_client.post(
        edit_url(entry),
        {"pain": "1", "numbness": "4", "tingling": "3", "recorded_at": "2026-03-09T12:00"},
    )

    assert response.status_code == 302
    assert SymptomEntry.objects.get(pk=entry.pk).pain == 1


def test_an_entry_is_read_only_at_exactly_24_hours(alice_client, alice, frozen):
    created = MARCH_NOW - timedelta(hours=24)
    entry = make_entry(alice, created, created_at=created, pain=5)
    before = entry_values(entry)

    response = alice_client.post(
        edit_url(entry),
        {"pain": "1", "numbness": "4", "tingling": "3", "recorded_at": "2026-03-09T12:00"},
        follow=True,
    )

    assert response.redirect_chain == [(HISTORY, 302)]
    assert messages_of(response) == [EDIT_WINDOW_OVER]
    assert entry_values(entry) == before


def test_the_change_page_of_an_old_entry_redirects_to_history(alice_client, alice, frozen):
    entry = make_entry(
        alice, MARCH_NOW - timedelta(days=3), created_at=MARCH_NOW - timedelta(days=3)
    )

    response = alice_client.get(edit_url(entry))

    assert response.status_code == 302
    assert response["Location"] == HISTORY


def test_a_patient_can_delete_a_fresh_entry(alice_client, alice, frozen):
    entry = make_entry(
        alice, MARCH_NOW - timedelta(hours=1), created_at=MARCH_NOW - timedelta(hours=1)
    )

    response = alice_client.post(delete_url(entry), follow=True)

    assert response.redirect_chain == [(HISTORY, 302)]
    assert messages_of(response) == ["Your entry was deleted."]
    assert alice.entries.count() == 0


def test_the_delete_page_asks_first(alice_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=1))

    response = alice_client.get(delete_url(entry))

    assert response.status_code == 200
    assert "Delete this entry?" in response.content.decode()
    assert alice.entries.count() == 1


def test_an_entry_can_be_deleted_just_before_24_hours(alice_client, alice, frozen):
    created = MARCH_NOW - timedelta(hours=24) + timedelta(microseconds=1)
    entry = make_entry(alice, created, created_at=created)

    response = alice_client.post(delete_url(entry))

    assert response.status_code == 302
    assert not SymptomEntry.objects.filter(pk=entry.pk).exists()


def test_an_entry_cannot_be_deleted_at_exactly_24_hours(alice_client, alice, frozen):
    created = MARCH_NOW - timedelta(hours=24)
    entry = make_entry(alice, created, created_at=created)

    response = alice_client.post(delete_url(entry), follow=True)

    assert response.redirect_chain == [(HISTORY, 302)]
    assert messages_of(response) == [EDIT_WINDOW_OVER]
    assert SymptomEntry.objects.filter(pk=entry.pk).exists()


# --- Nobody else's entries -------------------------------------------------------------


def test_a_patient_field_in_the_post_is_ignored(alice_client, alice, bob, frozen):
    response = alice_client.post(LOG, answers(patient=str(bob.pk), patient_id=str(bob.pk)))

    assert response.status_code == 302
    assert alice.entries.count() == 1
    assert bob.entries.count() == 0


def test_a_patient_cannot_open_the_change_page_of_another_patients_entry(bob_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=1))

    assert bob_client.get(edit_url(entry)).status_code == 404


def test_a_patient_cannot_change_another_patients_entry(bob_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=1))
    before = entry_values(entry)

    response = bob_client.post(
        edit_url(entry),
        {"pain": "0", "numbness": "0", "tingling": "0", "recorded_at": "2026-03-10T11:00"},
    )

    assert response.status_code == 404
    assert entry_values(entry) == before


def test_a_patient_cannot_delete_another_patients_entry(bob_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=1))

    response = bob_client.post(delete_url(entry))

    assert response.status_code == 404
    assert SymptomEntry.objects.filter(pk=entry.pk).exists()


def test_an_old_entry_of_another_patient_is_404_not_a_redirect(bob_client, alice, frozen):
    # The 24-hour message would tell Bob that the entry exists.
    entry = make_entry(
        alice, MARCH_NOW - timedelta(days=3), created_at=MARCH_NOW - timedelta(days=3)
    )

    assert bob_client.get(edit_url(entry)).status_code == 404
    assert bob_client.post(delete_url(entry)).status_code == 404
    assert SymptomEntry.objects.filter(pk=entry.pk).exists()


def test_a_practitioner_cannot_change_or_delete_a_patients_entry(xavier_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=1))
    before = entry_values(entry)

    assert xavier_client.post(edit_url(entry), {"pain": "0"}).status_code == 404
    assert xavier_client.post(delete_url(entry)).status_code == 404
    assert entry_values(entry) == before


def test_the_check_in_page_needs_a_signed_in_patient(client, xavier_client, staff_client, db):
    assert client.get(LOG).status_code == 302
    assert xavier_client.get(LOG).status_code == 404
    assert staff_client.post(LOG, answers()).status_code == 404
    assert SymptomEntry.objects.count() == 0


# --- Query budget -------------------------------------------------------------------------


def test_the_check_in_page_runs_the_same_queries_for_5_and_700_entries(
    alice_client, alice, bob_client, bob, frozen, django_assert_max_num_queries
):
    add_history(alice, 5, MARCH_NOW)
    add_history(bob, 700, MARCH_NOW)

    few = queries_for(alice_client, LOG)
    many = queries_for(bob_client, LOG)

    assert few == many
    with django_assert_max_num_queries(5):
        bob_client.get(LOG)


def post_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(LOG, answers())
    assert response.status_code == 302
    return queries


def queries_to_post(client):
    return len(post_queries(client))


def test_the_check_in_post_runs_the_same_queries_for_0_5_and_700_entries(
    alice_client, alice, bob_client, bob, carol_client, frozen, django_assert_max_num_queries
):
    add_history(alice, 5, MARCH_NOW)
    add_history(bob, 700, MARCH_NOW)

    few = queries_to_post(alice_client)
    bobs = post_queries(bob_client)
    first = queries_to_post(carol_client)  # no entries, no session: the first week

    assert few == len(bobs) == first
    # What is read of 700 entries: the check-ins saved in the last minutes (the same
    # answers again?), the entry before (one row) and the baseline window (exactly
    # Patient.baseline_as_of's query, which finds the first session held), nothing else.
    reads = entry_reads(bobs)
    window = baseline_as_of_read(bob, MARCH_NOW)
    assert window in reads, reads
    recent = [sql for sql in reads if '"created_at" >' in sql]
    assert len(recent) == 1, reads
    before = [sql for sql in reads if sql != window and sql not in recent]
    assert len(before) == 1 and before[0].endswith(" LIMIT 1"), before
    # Session, user with patient; the check-ins of the last minutes; the entry and its
    # audit row in one transaction (4); for the message the entry before and the
    # baseline window with the first session held; whether this week's questions are
    # answered, and only when they are, the last session's (followup.due_after).
    with django_assert_max_num_queries(11):
        response = bob_client.post(LOG, answers(pain="6"))  # not a repeat of the last
    assert response.status_code == 302


def test_a_session_before_three_entries_costs_no_query_more(
    alice_client, alice, bob_client, xavier, frozen
):
    # Too few entries before the first session: the first week decides the baseline,
    # and the same query reads it.
    TreatmentSession.objects.create(
        patient=alice, practitioner=xavier, when=MARCH_NOW - timedelta(days=3), status="attended"
    )
    make_entry(alice, MARCH_NOW - timedelta(days=2))

    assert queries_to_post(alice_client) == queries_to_post(bob_client)
