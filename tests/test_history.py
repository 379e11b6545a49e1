"""The patient's history page (/history/): chart, progress, entries, sessions.

Time is frozen at MARCH_NOW (tests/conftest.py: a Tuesday in March, clinic time
equal to UTC) so dates on the page can be asserted exactly.
"""

import re
from datetime import datetime, timedelta
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import (
    LONDON,
    MARCH_NOW,
    add_history,
    body,
    make_entry,
    make_session,
    queries_for,
    text,
)
from tracker.models import Medicine, MedicineEvent, SymptomEntry, TreatmentSession

HISTORY = "/history/"
SESSION_NOTE = "Practitioner only: seemed anxious about results"


# Tests that ask for `frozen` stop the clock at MARCH_NOW, not at conftest's NOW.
pytestmark = pytest.mark.frozen_at(MARCH_NOW)


def make_entries(patient, count, last, every=timedelta(hours=12)):
    """count entries, the newest at `last`, one every 12 hours; newest first."""
    return SymptomEntry.objects.bulk_create(
        SymptomEntry(
            patient=patient,
            recorded_at=last - every * i,
            pain=i % 11,
            numbness=3,
            tingling=2,
        )
        for i in range(count)
    )


# Every session here carries the practitioner's note: the patient's page must hide it.
noted_session = partial(make_session, notes=SESSION_NOTE)


def entry_ids_on(response):
    """public_ids of the entries listed, in page order."""
    return re.findall(r'id="entry-([0-9a-f-]{36})"', body(response))


# --- Empty state -----------------------------------------------------------------


def test_a_new_patient_sees_a_first_check_in_call_to_action(alice_client, frozen):
    response = alice_client.get(HISTORY)

    assert response.status_code == 200
    # The button itself goes to the check-in (the menu links there on every page).
    assert re.search(r'<a [^>]*href="/log/"[^>]*>Make my first check-in</a>', body(response))
    assert "<svg" not in body(response)
    assert "My entries" not in body(response)


# --- Chart, sessions and progress -------------------------------------------------


def test_it_shows_the_chart(alice_client, alice, frozen):
    make_entries(alice, 5, MARCH_NOW - timedelta(hours=1))

    response = alice_client.get(HISTORY)

    assert response.status_code == 200
    assert '<svg class="chart"' in body(response)
    assert "Make my first check-in" not in body(response)


def test_it_marks_sessions_on_the_chart(alice_client, alice, frozen):
    make_entries(alice, 40, MARCH_NOW - timedelta(hours=1))
    noted_session(alice, MARCH_NOW - timedelta(days=14))
    noted_session(alice, MARCH_NOW - timedelta(days=7))

    response = alice_client.get(HISTORY)

    assert re.search(r">S1</text>", body(response))
    assert re.search(r">S2</text>", body(response))
    assert "Treatment sessions marked: 2." in body(response)


def test_without_sessions_there_are_no_session_markers(alice_client, alice, frozen):
    make_entries(alice, 10, MARCH_NOW - timedelta(hours=1))

    response = alice_client.get(HISTORY)

    assert ">S1</text>" not in body(response)
    assert "Treatment sessions marked: 0." in body(response)


def test_it_says_how_each_symptom_compares_with_the_baseline(alice_client, alice, frozen):
    first = MARCH_NOW - timedelta(days=30)
    for day in range(4):
        make_entry(alice, first + timedelta(days=day), pain=6, numbness=4, tingling=2)
    for days in (1, 2, 3):
        make_entry(alice, MARCH_NOW - timedelta(days=days), pain=3, numbness=4, tingling=4)

    response = alice_client.get(HISTORY)

    page = text(body(response))
    assert (
        "Compared with your provisional baseline: the mean of 4 days in your first 7 days "
        "of logging, until your first session." in page
    )
    assert (
        "Pain: 3.0 on average over the last 7 days, 3.0 points lower (50% less) than your "
        "provisional baseline of 6.0 — a substantial improvement, larger than your usual "
        "ups and downs." in page
    )
    assert (
        "Numbness: 4.0 on average over the last 7 days, the same as your provisional "
        "baseline of 4.0 — no important change, within your usual ups and downs." in page
    )
    assert (
        "Tingling: 4.0 on average over the last 7 days, 2.0 points higher (100% more) "
        "than your provisional baseline of 2.0 — a clear worsening, larger than your "
        "usual ups and downs." in page
    )
    link = '<a href="/learn/how-your-numbers-are-worked-out/">How your numbers are worked out</a>'
    assert link in response.content.decode()


def test_two_recent_days_are_not_enough_to_compare(alice_client, alice, frozen):
    first = MARCH_NOW - timedelta(days=30)
    for day in range(4):
        make_entry(alice, first + timedelta(days=day), pain=6)
    for days in (1, 2):  # defect 4: one or two days used to be compared
        make_entry(alice, MARCH_NOW - timedelta(days=days), pain=9)

    page = body(alice_client.get(HISTORY))

    assert (
        "Pain: not enough recent entries to compare (2 days in the last 7; 3 are needed)." in page
    )
    assert "worsening" not in page


def test_without_a_day_before_the_first_session_there_is_no_baseline(
    alice_client, alice, xavier, frozen
):
    TreatmentSession.objects.create(
        patient=alice, practitioner=xavier, when=MARCH_NOW - timedelta(days=10), status="attended"
    )
    for days in (1, 2, 3):
        make_entry(alice, MARCH_NOW - timedelta(days=days), pain=4)

    response = alice_client.get(HISTORY)

    assert (
        "There is no baseline to compare with: you made no check-ins in the 14 days before "
        "your first session." in body(response)
    )
    assert (
        "Pain: 4.0 on average over the last 7 days. Not enough entries yet to set a baseline."
        in body(response)
    )


def test_it_shows_the_next_booked_session(alice_client, alice, frozen):
    make_entry(alice, MARCH_NOW - timedelta(days=1))
    noted_session(alice, MARCH_NOW - timedelta(days=7))
    noted_session(alice, datetime(2026, 3, 17, 14, 0, tzinfo=LONDON))

    response = alice_client.get(HISTORY)

    assert (
        "Your next session: <strong>Tuesday 17 March at 14:00</strong>. Sessions so far: 1."
        in body(response)
    )


def test_with_no_session_booked_it_says_so(alice_client, alice, frozen):
    make_entry(alice, MARCH_NOW - timedelta(days=1))
    noted_session(alice, MARCH_NOW - timedelta(days=7))

    response = alice_client.get(HISTORY)

    assert "Your next session" not in body(response)
    assert "Sessions so far: 1. No next session is booked yet." in body(response)


def test_it_shows_the_learn_panel(alice_client, alice, frozen):
    make_entry(alice, MARCH_NOW - timedelta(days=1))

    response = alice_client.get(HISTORY)

    assert 'class="learn-panel' in body(response)
    assert 'href="/learn/tracking-your-symptoms/"' in body(response)


def test_a_new_patient_also_sees_the_learn_panel(alice_client, frozen):
    response = alice_client.get(HISTORY)

    assert 'class="learn-panel' in body(response)


@pytest.mark.parametrize("query", ["", "?range=4w", "?range=12w", "?range=all", "?page=2"])
def test_the_patient_never_sees_session_notes(alice_client, alice, frozen, query):
    make_entries(alice, 30, MARCH_NOW - timedelta(hours=1))
    noted_session(alice, MARCH_NOW - timedelta(days=10))
    noted_session(alice, MARCH_NOW - timedelta(days=3))
    noted_session(alice, MARCH_NOW + timedelta(days=4))

    response = alice_client.get(HISTORY + query)

    assert response.status_code == 200
    assert "seemed anxious" not in body(response)


# --- Chart ranges -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "active", "title"),
    [
        ("?range=4w", "4 weeks", "Symptom scores, 10 Feb 2026 to 10 Mar 2026"),
        ("?range=12w", "12 weeks", "Symptom scores, 16 Dec 2025 to 10 Mar 2026"),
        ("?range=all", "All", "Symptom scores, 30 Nov 2025 to 10 Mar 2026"),
        ("", "12 weeks", "Symptom scores, 16 Dec 2025 to 10 Mar 2026"),
        ("?range=bogus", "12 weeks", "Symptom scores, 16 Dec 2025 to 10 Mar 2026"),
        ("?range=", "12 weeks", "Symptom scores, 16 Dec 2025 to 10 Mar 2026"),
    ],
)
def test_the_chart_range_links_change_the_period(alice_client, alice, frozen, query, active, title):
    make_entry(alice, MARCH_NOW - timedelta(days=100))
    make_entries(alice, 30, MARCH_NOW - timedelta(hours=1))

    response = alice_client.get(HISTORY + query)

    assert response.status_code == 200
    assert f'<title id="history-chart-title">{title}</title>' in body(response)
    assert re.search(rf'aria-current="page">{active}</a>', body(response))


def test_a_range_with_no_entries_offers_all_entries(alice_client, alice, frozen):
    make_entry(alice, MARCH_NOW - timedelta(days=60))

    response = alice_client.get(HISTORY + "?range=4w")

    assert response.status_code == 200
    assert "No entries in this period." in body(response)
    assert 'href="?range=all"' in body(response)


# --- The list of entries ---------------------------------------------------------------


def test_entries_are_listed_newest_first(alice_client, alice, frozen):
    middle = make_entry(alice, MARCH_NOW - timedelta(days=2))
    newest = make_entry(alice, MARCH_NOW - timedelta(days=1))
    oldest = make_entry(alice, MARCH_NOW - timedelta(days=3))

    response = alice_client.get(HISTORY)

    assert entry_ids_on(response) == [str(e.public_id) for e in (newest, middle, oldest)]


def test_entries_are_shown_20_to_a_page(alice_client, alice, frozen):
    entries = make_entries(alice, 45, MARCH_NOW - timedelta(hours=1))

    response = alice_client.get(HISTORY)

    assert entry_ids_on(response) == [str(e.public_id) for e in entries[:20]]
    assert "Page 1 of 3" in body(response)
    assert 'href="?page=2"' in body(response)


def test_page_2_shows_the_next_20_entries(alice_client, alice, frozen):
    entries = make_entries(alice, 45, MARCH_NOW - timedelta(hours=1))

    response = alice_client.get(HISTORY + "?page=2")

    assert response.status_code == 200
    assert entry_ids_on(response) == [str(e.public_id) for e in entries[20:40]]
    assert "Page 2 of 3" in body(response)


def test_the_last_page_holds_the_oldest_entries(alice_client, alice, frozen):
    entries = make_entries(alice, 45, MARCH_NOW - timedelta(hours=1))

    response = alice_client.get(HISTORY + "?page=3")

    assert entry_ids_on(response) == [str(e.public_id) for e in entries[40:]]


@pytest.mark.parametrize(("page_number", "shown"), [("abc", "Page 1 of 3"), ("999", "Page 3 of 3")])
def test_a_bogus_page_number_shows_a_real_page(alice_client, alice, frozen, page_number, shown):
    make_entries(alice, 45, MARCH_NOW - timedelta(hours=1))

    response = alice_client.get(HISTORY + f"?page={page_number}")

    assert response.status_code == 200
    assert shown in body(response)


def test_an_entry_shows_its_scores_places_and_note(alice_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=3), pain=7, numbness=2, tingling=0)
    SymptomEntry.objects.filter(pk=entry.pk).update(
        locations=["feet_left", "hands_right"], note="Cramp in the night"
    )

    response = alice_client.get(HISTORY)

    page = body(response)
    assert (
        "Pain <strong>7</strong> · Numbness <strong>2</strong> · Tingling <strong>0</strong>"
        in page
    )
    assert "Where: Left foot, Right hand" in page
    assert "Cramp in the night" in page


def test_a_note_with_script_is_stored_verbatim_and_shown_escaped(alice_client, alice, frozen):
    note = "<script>alert(1)</script> 😀"
    alice_client.post(
        "/log/", {"pain": "1", "numbness": "1", "tingling": "1", "when": "now", "note": note}
    )

    response = alice_client.get(HISTORY)

    assert alice.entries.get().note == note
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 😀" in body(response)
    assert "<script>alert(1)" not in body(response)


def test_a_fresh_entry_offers_change_and_delete(alice_client, alice, frozen):
    entry = make_entry(
        alice, MARCH_NOW - timedelta(hours=3), created_at=MARCH_NOW - timedelta(hours=23)
    )

    response = alice_client.get(HISTORY)

    assert f'href="/history/entries/{entry.public_id}/edit/"' in body(response)
    assert f'href="/history/entries/{entry.public_id}/delete/"' in body(response)


def test_an_entry_saved_24_hours_ago_is_read_only(alice_client, alice, frozen):
    entry = make_entry(
        alice, MARCH_NOW - timedelta(days=2), created_at=MARCH_NOW - timedelta(hours=24)
    )

    response = alice_client.get(HISTORY)

    assert str(entry.public_id) in entry_ids_on(response)
    assert f"/history/entries/{entry.public_id}/edit/" not in body(response)
    assert f"/history/entries/{entry.public_id}/delete/" not in body(response)


# --- Only one's own entries --------------------------------------------------------------


def test_a_patient_sees_only_their_own_entries(alice_client, alice, bob, frozen):
    mine = make_entry(alice, MARCH_NOW - timedelta(days=1), note="Alice's note")
    theirs = make_entry(bob, MARCH_NOW - timedelta(days=1), note="Bob's private note")

    response = alice_client.get(HISTORY)

    assert entry_ids_on(response) == [str(mine.public_id)]
    assert "Bob" not in body(response)
    assert str(theirs.public_id) not in body(response)


def test_the_history_page_needs_a_signed_in_patient(client, xavier_client, staff_client, db):
    response = client.get(HISTORY)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert xavier_client.get(HISTORY).status_code == 404
    assert staff_client.get(HISTORY).status_code == 404


# --- Query budget ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?range=all", "?page=2"])
def test_history_runs_the_same_queries_for_5_and_700_entries(
    alice_client, alice, bob_client, bob, frozen, django_assert_max_num_queries, query
):
    add_history(alice, 5, MARCH_NOW, SESSION_NOTE)
    add_history(bob, 700, MARCH_NOW, SESSION_NOTE)

    few = queries_for(alice_client, HISTORY + query)
    many = queries_for(bob_client, HISTORY + query)

    assert few == many
    # 9 with a chart range: the baseline's readings and the period's are read apart;
    # one more for the medicine events of the entries on the page.
    with django_assert_max_num_queries(9 if query == "?range=all" else 10):
        bob_client.get(HISTORY + query)


@pytest.mark.parametrize("url", [HISTORY, HISTORY + "?range=all", "/account/my-data.json"])
def test_the_patient_s_own_pages_never_read_session_notes(frozen, alice, alice_client, url):
    # Not shown is not enough: notes the page never reads cannot leak by a template slip.
    make_entry(alice, MARCH_NOW - timedelta(days=3))
    TreatmentSession.objects.create(
        patient=alice,
        practitioner=alice.practitioner,
        when=MARCH_NOW - timedelta(days=2),
        status="attended",
        notes="x",
    )

    with CaptureQueriesContext(connection) as queries:
        assert alice_client.get(url).status_code == 200

    reads = [q["sql"] for q in queries if 'FROM "tracker_treatmentsession"' in q["sql"]]
    assert reads, "the page reads the sessions"
    assert not [sql for sql in reads if '"tracker_treatmentsession"."notes"' in sql]


def test_each_entry_shows_what_was_ticked_about_medicines(alice_client, alice, frozen):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=2))
    medicine = Medicine.objects.create(patient=alice, name="Pregabalin <b>")
    MedicineEvent.objects.create(
        patient=alice,
        entry=entry,
        kind="changed",
        medicine=medicine,
        note="Dose up <script>",
        occurred_at=entry.recorded_at,
    )

    page = alice_client.get(HISTORY).content.decode()

    assert "Medicine changed (Pregabalin &lt;b&gt;): Dose up &lt;script&gt;" in page


def test_what_was_ticked_about_medicines_is_said_in_the_patient_s_language(
    alice_client, alice, frozen
):
    entry = make_entry(alice, MARCH_NOW - timedelta(hours=2))
    for kind in ("extra_dose", "changed"):
        MedicineEvent.objects.create(
            patient=alice, entry=entry, kind=kind, occurred_at=entry.recorded_at
        )

    spanish = alice_client.get(HISTORY, headers={"accept-language": "es"}).content.decode()
    english = alice_client.get(HISTORY).content.decode()  # last: a request's language stays

    assert "Dosis extra" in spanish and "Extra dose" not in spanish
    assert "Medicine changed" not in spanish
    assert "Extra dose" in english and "Medicine changed" in english
