"""A course that ends (issue 16): finishing it, re-opening it, and what a finished course means.

A finished (discharged) course raises no flags, gets no reminders and leaves the
default worklist ("Finished" shows it). The patient can still sign in, log, see
their history and download their data.
"""

import json
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.conftest import NOW, body, detail_url, freeze_at, make_entry, text
from tests.test_reminders import JUST_AFTER, recipients, remind, riverside, run  # noqa: F401
from tests.test_worklist import names, row_for, row_html
from tracker.models import AuditAction, AuditEvent, Patient

WORKLIST = "/practice/"


def finish_url(patient):
    return reverse("tracker:finish_course", args=[patient.public_id])


def reopen_url(patient):
    return reverse("tracker:reopen_course", args=[patient.public_id])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def severe(patient):
    return make_entry(patient, NOW - timedelta(hours=1), pain=8, numbness=2, tingling=2)


@pytest.fixture
def finished(frozen, xavier_client, alice, bob):
    """Alice (a severe score) finished her course today; Bob (severe too) did not."""
    severe(alice)
    severe(bob)
    response = xavier_client.post(
        finish_url(alice), {"discharged_on": "2026-06-16", "note": "ten sessions, much better"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    return alice


def test_finishing_a_course_saves_who_when_and_why_and_audits_it(finished, xavier):
    assert finished.discharged_on == date(2026, 6, 16)
    assert finished.discharge_note == "ten sessions, much better"
    assert finished.discharged_by == xavier
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="course")
    assert event.patient_public_id == finished.public_id
    assert event.detail == "course finished"  # the date is on the patient, not in the trail


def test_a_finished_course_leaves_the_default_worklist_and_its_counts(finished, xavier_client):
    response = xavier_client.get(WORKLIST)

    assert names(response) == ["Bob Baker"]
    counts = {item["flag"].name: item["count"] for item in response.context["flag_counts"]}
    assert counts["severe"] == 1
    assert "Alice Archer" not in names(xavier_client.get(WORKLIST, {"show": "all"}))
    assert "Alice Archer" not in names(xavier_client.get(WORKLIST, {"show": "reviewed"}))


def test_the_finished_view_shows_the_course_end_and_no_flags(finished, xavier_client):
    response = xavier_client.get(WORKLIST, {"show": "finished"})

    assert names(response) == ["Alice Archer"]
    row = row_for(response, finished)
    assert not row.flags.any
    cell = text(row_html(response, "Alice Archer"))
    assert "Course finished on 16 Jun 2026" in cell
    assert "Severe" not in cell and "Mark reviewed" not in cell


def test_the_patient_page_says_the_course_is_finished_and_offers_to_reopen(finished, xavier_client):
    page = body(xavier_client.get(detail_url(finished)))

    assert "Course finished on 16 Jun 2026" in text(page)
    assert "ten sessions, much better" in page
    assert reopen_url(finished) in page
    assert finish_url(finished) not in page
    assert reverse("tracker:review", args=[finished.public_id]) not in page


def test_reopening_brings_everything_back(finished, xavier_client):
    response = xavier_client.post(reopen_url(finished), follow=True)

    finished.refresh_from_db()
    assert (finished.discharged_on, finished.discharge_note, finished.discharged_by) == (
        None,
        "",
        None,
    )
    assert "Alice Archer\u2019s course is open again." in messages_of(response)
    worklist = xavier_client.get(WORKLIST)
    assert sorted(names(worklist)) == ["Alice Archer", "Bob Baker"]
    assert row_for(worklist, finished).flags.severe
    assert AuditEvent.objects.filter(object_type="course", detail="re-opened").count() == 1


def test_a_finished_patient_still_signs_in_logs_and_downloads_their_data(finished, alice_client):
    for url in ("/log/", "/history/", "/account/"):
        assert alice_client.get(url).status_code == 200, url
    data = json.loads(b"".join(alice_client.get("/account/my-data.json")))
    assert data["profile"]["course_finished_on"] == "2026-06-16"
    assert "ten sessions" not in json.dumps(data)  # the practitioner's note is theirs
    assert len(data["entries"]) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-06-17", "The date is in the future"),
        ("", "Please give the date the course finished."),
        ("2026-02-30", "That is not a real date"),
        ("1999-12-31", "Please give a date from 1 January 2000"),
    ],
)
def test_a_bad_date_is_refused_with_a_message_and_nothing_saved(
    frozen, xavier_client, alice, value, message
):
    response = xavier_client.post(finish_url(alice), {"discharged_on": value}, follow=True)

    alice.refresh_from_db()
    assert alice.discharged_on is None
    [shown] = messages_of(response)
    assert shown.startswith("The course was not finished.") and message in shown
    assert not AuditEvent.objects.filter(object_type="course").exists()


def test_today_is_the_clinic_date(xavier_client, alice):
    # 00:30 on the 17th in London is still the 16th in UTC: the 17th is today.
    with freeze_at(NOW + timedelta(hours=12, minutes=30)):
        xavier_client.post(finish_url(alice), {"discharged_on": "2026-06-17"})
    alice.refresh_from_db()
    assert alice.discharged_on == date(2026, 6, 17)


def test_the_form_starts_at_today(frozen, xavier_client, alice):
    assert 'value="2026-06-16"' in body(xavier_client.get(detail_url(alice)))


def test_finishing_twice_or_reopening_an_open_course_says_so(finished, xavier_client, bob):
    again = xavier_client.post(finish_url(finished), {"discharged_on": "2026-06-01"}, follow=True)
    assert "Alice Archer\u2019s course is already finished." in messages_of(again)
    assert Patient.objects.get(pk=finished.pk).discharged_on == date(2026, 6, 16)
    reopen = xavier_client.post(reopen_url(bob), follow=True)
    assert "Bob Baker\u2019s course is not finished." in messages_of(reopen)


def test_another_practitioner_gets_a_404(frozen, yara_client, alice):
    for url in (finish_url(alice), reopen_url(alice)):
        assert yara_client.post(url, {"discharged_on": "2026-06-16"}).status_code == 404
    alice.refresh_from_db()
    assert alice.discharged_on is None


@pytest.mark.usefixtures("riverside")
def test_a_finished_course_gets_no_reminders(alice, bob, smtp_server):
    remind(alice)
    remind(bob)
    Patient.objects.filter(pk=bob.pk).update(discharged_on=date(2026, 6, 1))

    with freeze_at(JUST_AFTER):
        run()

    assert recipients(smtp_server) == ["alice@example.com"]


@pytest.mark.usefixtures("riverside")
def test_a_reopened_course_gets_reminders_again(alice, smtp_server):
    remind(alice)
    alice.finish_course(date(2026, 6, 1), "", None)
    alice.reopen_course()

    with freeze_at(JUST_AFTER):
        run()

    assert recipients(smtp_server) == ["alice@example.com"]
