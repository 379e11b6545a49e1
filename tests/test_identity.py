"""Identity that avoids mix-ups (issue 16): date of birth and the clinic's record number.

Both optional; shown to practitioners beside the name (worklist, patient page,
report); the worklist search finds the record number; a number belongs to one
patient whatever its case. Never on the patient's own pages or in any e-mail; in
the patient's own data download.
"""

import json
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.conftest import NOW, body, detail_url, freeze_at, make_entry, text
from tests.test_email import parts_of
from tests.test_reminders import JUST_AFTER, remind, riverside, run  # noqa: F401
from tests.test_worklist import names, row_html
from tracker.models import AuditAction, AuditEvent, Patient

WORKLIST = "/practice/"
ADD = reverse("tracker:add_patient")


def details_url(patient):
    return reverse("tracker:edit_details", args=[patient.public_id])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def identify(patient, born=date(1948, 3, 3), number="A1234"):
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=born, record_number=number)
    patient.refresh_from_db()
    return patient


@pytest.fixture
def alice_known(alice):
    return identify(alice)


def test_add_a_patient_with_date_of_birth_and_record_number(frozen, xavier_client):
    response = xavier_client.post(
        ADD,
        {
            "display_name": "Mary Smith",
            "neuropathy_kind": "diabetic",
            "date_of_birth": "1948-03-03",
            "record_number": "  A 77  ",
        },
    )

    assert response.status_code == 302
    mary = Patient.objects.get(display_name="Mary Smith")
    assert (mary.date_of_birth, mary.record_number) == (date(1948, 3, 3), "A 77")


def test_both_are_optional_when_adding(frozen, xavier_client):
    xavier_client.post(ADD, {"display_name": "Mary Smith", "neuropathy_kind": "diabetic"})

    mary = Patient.objects.get(display_name="Mary Smith")
    assert (mary.date_of_birth, mary.record_number) == (None, "")


def test_shown_beside_the_name_on_the_worklist_page_and_report(frozen, xavier_client, alice_known):
    expected = "b. 3 Mar 1948 · #A1234"
    assert expected in text(row_html(xavier_client.get(WORKLIST), "Alice Archer"))
    assert expected in text(body(xavier_client.get(detail_url(alice_known))))
    report = reverse("tracker:report", args=[alice_known.public_id])
    assert expected in text(body(xavier_client.get(report)))


def test_only_the_known_part_is_shown(frozen, xavier_client, alice, bob):
    identify(alice, born=None)
    identify(bob, number="")

    response = xavier_client.get(WORKLIST)

    assert "#A1234" in text(row_html(response, "Alice Archer"))
    assert "b. " not in text(row_html(response, "Alice Archer"))
    assert "b. 3 Mar 1948" in text(row_html(response, "Bob Baker"))
    assert "#" not in text(row_html(response, "Bob Baker"))


@pytest.mark.parametrize("query", ["A1234", "a12", "1234"])
def test_the_search_finds_the_record_number_in_any_case(
    frozen, xavier_client, alice_known, bob, query
):
    assert names(xavier_client.get(WORKLIST, {"q": query})) == ["Alice Archer"]


def test_the_search_never_finds_another_practitioners_patient_by_number(
    frozen, xavier_client, alice, carol
):
    identify(carol, number="C999")
    assert names(xavier_client.get(WORKLIST, {"q": "C999"})) == []


def test_a_record_number_belongs_to_one_patient_whatever_its_case(
    frozen, xavier_client, alice_known, bob
):
    response = xavier_client.post(
        ADD, {"display_name": "Mary Smith", "neuropathy_kind": "diabetic", "record_number": "a1234"}
    )

    assert response.status_code == 200
    assert "Another patient already has this record number." in body(response)
    assert not Patient.objects.filter(display_name="Mary Smith").exists()

    refused = xavier_client.post(details_url(bob), {"record_number": "A1234"}, follow=True)
    bob.refresh_from_db()
    assert bob.record_number == ""
    assert any("Another patient already has this record number" in m for m in messages_of(refused))


def test_the_database_refuses_a_second_number_in_another_case(alice_known, bob):
    bob.record_number = "a1234"
    with pytest.raises(IntegrityError), transaction.atomic():
        bob.save()


def test_many_patients_may_have_no_number(alice, bob, carol):
    assert Patient.objects.filter(record_number="").count() == 3


def test_edit_details_saves_and_audits_without_the_values(frozen, xavier_client, alice):
    response = xavier_client.post(
        details_url(alice), {"date_of_birth": "1950-01-31", "record_number": "Z9"}, follow=True
    )

    alice.refresh_from_db()
    assert (alice.date_of_birth, alice.record_number) == (date(1950, 1, 31), "Z9")
    assert "Details saved." in messages_of(response)
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="details")
    assert event.patient_public_id == alice.public_id
    assert "Z9" not in event.detail and "1950" not in event.detail


def test_a_patient_keeps_their_own_number_when_editing(frozen, xavier_client, alice_known):
    xavier_client.post(details_url(alice_known), {"record_number": "a1234"})
    alice_known.refresh_from_db()
    assert alice_known.record_number == "a1234"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date_of_birth": "2026-06-17"}, "The date of birth is in the future"),
        ({"date_of_birth": "1899-12-31"}, "from 1 January 1900"),
        ({"date_of_birth": "1948-02-30"}, "That is not a real date"),
        ({"record_number": "x" * 31}, "at most 30 characters"),
    ],
)
def test_bad_details_are_refused_with_a_message_and_nothing_saved(
    frozen, xavier_client, alice_known, data, message
):
    response = xavier_client.post(details_url(alice_known), data, follow=True)

    alice_known.refresh_from_db()
    assert (alice_known.date_of_birth, alice_known.record_number) == (date(1948, 3, 3), "A1234")
    [shown] = messages_of(response)
    assert shown.startswith("The details were not saved.") and message in shown
    assert not AuditEvent.objects.filter(object_type="details").exists()


def test_another_practitioner_gets_a_404(frozen, yara_client, alice_known):
    assert yara_client.post(details_url(alice_known), {"record_number": "Y1"}).status_code == 404
    alice_known.refresh_from_db()
    assert alice_known.record_number == "A1234"


def test_never_on_the_patients_own_pages(frozen, alice_client, alice_known):
    make_entry(alice_known, NOW - timedelta(hours=1))
    for url in ("/log/", "/history/", "/account/", "/account/reminders/"):
        page = body(alice_client.get(url))
        assert "A1234" not in page, url
        assert "1948" not in page, url


def test_in_the_patients_own_data_download(frozen, alice_client, alice_known):
    data = json.loads(b"".join(alice_client.get("/account/my-data.json")))
    assert data["profile"]["date_of_birth"] == "1948-03-03"
    assert data["profile"]["clinic_record_number"] == "A1234"


@pytest.mark.usefixtures("riverside")
def test_never_in_a_reminder_email(alice_known, smtp_server):
    remind(alice_known)

    with freeze_at(JUST_AFTER):
        run()

    [message] = smtp_server.messages
    text_part, html_part = parts_of(message)
    for part in (text_part, html_part, message["Subject"]):
        for identity in ("A1234", "1948", "3 Mar", "03-03"):
            assert identity not in part, (identity, part)
