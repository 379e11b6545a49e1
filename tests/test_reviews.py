"""Flags that get reviewed (issue 16): "Mark reviewed", undo, re-opening by itself, the views.

Time is frozen at NOW (a Tuesday in June, clinic time UTC+1); a test moves the
clock with freeze_at to see what happens later. Alice and Bob are Dr Xavier's
patients, Carol is Dr Yara's. A score of 8 in the last 7 days with no known
baseline raises "severe" (tracker/scores.py).
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import (
    NOW,
    body,
    detail_url,
    freeze_at,
    make_entry,
    text,
    verified_client_for,
)
from tests.test_worklist import bulk_patients, names, row_for, row_html
from tracker.models import AuditAction, AuditEvent, FlagReview

pytestmark = pytest.mark.usefixtures("frozen")

WORKLIST = "/practice/"


def review_url(patient):
    return reverse("tracker:review", args=[patient.public_id])


def undo_url(patient):
    return reverse("tracker:undo_review", args=[patient.public_id])


def later_client(patient):
    """Dr Xavier signed in afresh: after 30 minutes idle his first session has ended."""
    return verified_client_for(patient.practitioner.user)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def severe(patient, at=None, created_at=None):
    """An entry with a pain of 8 (an hour before NOW unless told): "severe" for a new patient."""
    at = at or NOW - timedelta(hours=1)
    return make_entry(patient, at, created_at=created_at, pain=8, numbness=2, tingling=2)


def mild(patient, at, created_at=None):
    return make_entry(patient, at, created_at=created_at, pain=2, numbness=2, tingling=2)


@pytest.fixture
def both_severe(alice, bob):
    severe(alice)
    severe(bob)
    return alice, bob


# --- Marking reviewed -----------------------------------------------------------------


def test_marking_reviewed_takes_the_row_out_of_needs_attention(xavier_client, both_severe):
    alice, bob = both_severe

    response = xavier_client.post(
        review_url(alice), {"note": "called, booked an earlier session", "next": WORKLIST}
    )

    assert response.status_code == 302
    assert response.url == WORKLIST
    review = FlagReview.objects.get()
    assert (review.patient, review.reviewer.display_name) == (alice, "Dr Xavier")
    assert review.flags == ["severe"]
    assert review.note == "called, booked an earlier session"
    assert review.reviewed_at == NOW
    assert review.undone_at is None

    default = xavier_client.get(WORKLIST)
    assert names(default) == ["Bob Baker"]
    reviewed = xavier_client.get(WORKLIST, {"show": "reviewed"})
    assert names(reviewed) == ["Alice Archer"]
    # 12:00 clinic time: NOW is noon in London.
    assert "Reviewed by Dr Xavier, 12:00 — called, booked an earlier session" in text(
        row_html(reviewed, "Alice Archer")
    )
    assert sorted(names(xavier_client.get(WORKLIST, {"show": "all"}))) == [
        "Alice Archer",
        "Bob Baker",
    ]


def test_a_review_is_an_audit_row_written_with_it(xavier_client, both_severe):
    alice, _ = both_severe

    xavier_client.post(review_url(alice), {"note": ""})

    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="flag_review")
    assert event.patient_public_id == alice.public_id
    assert event.actor == "xavier"
    assert event.object_id == str(FlagReview.objects.get().pk)
    # Which flags were raised is health data: it stays in the FlagReview row, which an
    # erasure removes, and never goes into the append-only audit trail (issue 19).
    assert event.detail == "flags reviewed"


def test_the_counts_at_the_top_follow_the_view_shown(xavier_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))

    def counts(response):
        return {item["flag"].name: item["count"] for item in response.context["flag_counts"]}

    def tabs(response):
        return {key: count for key, _, count in response.context["shows"]}

    default = xavier_client.get(WORKLIST)
    assert counts(default)["severe"] == 1
    assert tabs(default) == {"attention": 1, "reviewed": 1, "all": 2, "finished": 0}
    assert "1 severe" in text(body(default))
    assert counts(xavier_client.get(WORKLIST, {"show": "reviewed"}))["severe"] == 1
    assert counts(xavier_client.get(WORKLIST, {"show": "all"}))["severe"] == 2


def test_unflagged_patients_stay_on_the_default_view(xavier_client, alice, bob):
    # "Needs attention" leaves out reviewed rows only: the others are listed, flagged first.
    severe(alice)
    mild(bob, NOW - timedelta(hours=2))

    response = xavier_client.get(WORKLIST)

    assert names(response) == ["Alice Archer", "Bob Baker"]
    assert row_for(response, alice).needs_attention
    assert not row_for(response, bob).needs_attention


@pytest.mark.parametrize("show", ["", "nope", "REVIEWED", "\x00", "finished\n"])
def test_an_odd_show_value_falls_back_to_needs_attention(xavier_client, both_severe, show):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))

    response = xavier_client.get(WORKLIST, {"show": show})

    assert response.status_code == 200
    assert response.context["show"] == "attention"
    assert names(response) == ["Bob Baker"]


def test_filters_and_search_keep_the_view(xavier_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))

    response = xavier_client.get(WORKLIST, {"show": "reviewed", "flag": "severe", "q": "ali"})

    assert names(response) == ["Alice Archer"]
    # The search form sends the view along.
    assert '<input type="hidden" name="show" value="reviewed">' in body(response)


def test_a_patient_without_flags_is_not_marked_reviewed(xavier_client, alice):
    mild(alice, NOW - timedelta(hours=2))

    response = xavier_client.post(review_url(alice), follow=True)

    assert not FlagReview.objects.exists()
    assert "Alice Archer has no flags to review now." in messages_of(response)


def test_a_note_too_long_is_refused_and_nothing_is_saved(xavier_client, both_severe):
    alice, _ = both_severe

    response = xavier_client.post(review_url(alice), {"note": "x" * 201}, follow=True)

    assert not FlagReview.objects.exists()
    assert not AuditEvent.objects.filter(object_type="flag_review").exists()
    [message] = messages_of(response)
    assert "at most 200 characters" in message and "Nothing was saved" in message


def test_a_review_from_the_patient_page_returns_there_and_shows_on_it(xavier_client, both_severe):
    alice, _ = both_severe
    page = body(xavier_client.get(detail_url(alice)))
    assert review_url(alice) in page

    response = xavier_client.post(
        review_url(alice), {"note": "seen", "next": detail_url(alice)}, follow=True
    )

    assert response.redirect_chain[-1][0] == detail_url(alice)
    assert "Reviewed by Dr Xavier, 12:00 — seen" in text(body(response))
    assert undo_url(alice) in body(response)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "javascript:x"])
def test_next_never_leaves_the_site(xavier_client, both_severe, target):
    alice, _ = both_severe

    response = xavier_client.post(review_url(alice), {"next": target})

    assert response.url == detail_url(alice)


def test_another_practitioner_gets_a_404_and_nothing_changes(yara_client, both_severe):
    alice, _ = both_severe

    for url in (review_url(alice), undo_url(alice)):
        assert yara_client.post(url, {"note": "x"}).status_code == 404

    assert not FlagReview.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.DENIED).count() == 2


# --- Undo ---------------------------------------------------------------------------


def test_undo_the_same_day_brings_the_flags_back(xavier_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))

    with freeze_at(NOW + timedelta(hours=10)):  # 22:00 the same day
        client = later_client(alice)
        response = client.post(undo_url(alice), {"next": WORKLIST}, follow=True)
        again = client.get(WORKLIST)

    review = FlagReview.objects.get()
    assert review.undone_at == NOW + timedelta(hours=10)
    assert "Alice Archer: review undone; the flags are back." in messages_of(response)
    assert sorted(names(again)) == ["Alice Archer", "Bob Baker"]
    assert row_for(again, alice).needs_attention
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="flag_review")
    assert (event.object_id, event.detail) == (str(review.pk), "undone")


def test_undo_on_the_next_clinic_day_is_refused_with_a_message(xavier_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))

    # 00:30 in London the next day, still 23:30 on the 16th in UTC.
    with freeze_at(NOW + timedelta(hours=12, minutes=30)):
        client = later_client(alice)
        response = client.post(undo_url(alice), follow=True)
        assert "Undo review" not in body(client.get(WORKLIST, {"show": "reviewed"}))

    assert FlagReview.objects.get().undone_at is None
    [message] = messages_of(response)
    assert "only be undone on the day it was made" in message
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_undo_twice_undoes_once(xavier_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))
    xavier_client.post(undo_url(alice))

    response = xavier_client.post(undo_url(alice), follow=True)

    assert "Alice Archer has no review to undo." in messages_of(response)
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE).count() == 1


def test_an_undone_review_does_not_let_an_older_one_cover_the_flags(xavier_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))
    with freeze_at(NOW + timedelta(hours=1)):
        client = later_client(alice)
        client.post(review_url(alice))  # a second review the same day
        client.post(undo_url(alice))
        response = client.get(WORKLIST)

    assert row_for(response, alice).needs_attention


# --- Re-opening by itself ------------------------------------------------------------


def test_a_severe_score_saved_after_the_review_reopens_it(xavier_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))

    later = NOW + timedelta(hours=3)
    with freeze_at(later):
        client = later_client(alice)
        still = client.get(WORKLIST)
        severe(alice, at=later - timedelta(minutes=5), created_at=later - timedelta(minutes=5))
        reopened = client.get(WORKLIST)

    assert "Alice Archer" not in names(still)
    assert row_for(reopened, alice).needs_attention
    assert "New since then." in text(row_html(reopened, "Alice Archer"))


def test_a_mild_entry_after_the_review_leaves_it_reviewed(xavier_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice))

    later = NOW + timedelta(hours=3)
    with freeze_at(later):
        client = later_client(alice)
        mild(alice, later - timedelta(minutes=5), created_at=later - timedelta(minutes=5))
        response = client.get(WORKLIST, {"show": "reviewed"})

    assert names(response) == ["Alice Archer"]


def test_a_new_missed_review_window_reopens_it(xavier_client, alice):
    mild(alice, NOW - timedelta(days=8), created_at=NOW - timedelta(days=8))
    xavier_client.post(review_url(alice), {"note": "left a voicemail"})
    assert FlagReview.objects.get().flags == ["missed"]

    # Still quiet the next day: the same window, still reviewed.
    with freeze_at(NOW + timedelta(days=1)):
        client = later_client(alice)
        assert "Alice Archer" not in names(client.get(WORKLIST))
    # She logs two days later, then goes quiet again for a week: a new window.
    back = NOW + timedelta(days=2)
    mild(alice, back, created_at=back)
    with freeze_at(back + timedelta(days=7)):
        client = later_client(alice)
        response = client.get(WORKLIST)

    assert row_for(response, alice).needs_attention


def test_a_flag_not_there_at_the_review_reopens_it(xavier_client, alice):
    # Reviewed for a severe score; a week's silence later "review missed" is new.
    severe(alice, at=NOW - timedelta(hours=1), created_at=NOW - timedelta(hours=1))
    xavier_client.post(review_url(alice))

    with freeze_at(NOW + timedelta(days=8)):
        client = later_client(alice)
        response = client.get(WORKLIST)

    row = row_for(response, alice)
    assert row.flags.missed and row.needs_attention


# --- Cost, and who sees reviews ------------------------------------------------------


def count_queries(client, url):
    client.get(url)  # warm up: session and user caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"show": "all"})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_the_worklist_queries_do_not_grow_with_reviewed_patients(xavier_client, xavier):
    def reviewed_patients(count, prefix):
        patients = bulk_patients(xavier, count, prefix=prefix)
        FlagReview.objects.bulk_create(
            FlagReview(patient=p, reviewer=xavier, reviewed_at=NOW, flags=["severe"], note="n")
            for p in patients
        )

    reviewed_patients(3, "Few")
    few, _ = count_queries(xavier_client, WORKLIST)
    reviewed_patients(27, "More")
    many, response = count_queries(xavier_client, WORKLIST)

    assert len(response.context["page"].object_list) == 30
    assert many == few


def test_patients_never_see_reviews(xavier_client, alice_client, both_severe):
    alice, _ = both_severe
    xavier_client.post(review_url(alice), {"note": "review-note-3e1"})
    assert FlagReview.objects.filter(note="review-note-3e1").exists()

    for url in ("/log/", "/history/", "/account/", "/account/reminders/", "/account/my-data.json"):
        response = alice_client.get(url)
        assert response.status_code == 200, url
        content = b"".join(response) if response.streaming else response.content
        page = content.decode()
        assert "review-note-3e1" not in page, url
        assert "Reviewed by" not in page, url
