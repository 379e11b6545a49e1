"""The patient's medicine list (issue 18): /account/medicines/."""

from datetime import date, timedelta

import pytest

from tests.conftest import NOW, make_entry
from tracker.models import AuditEvent, Medicine, MedicineEvent

pytestmark = pytest.mark.frozen_at(NOW)

LIST = "/account/medicines/"


def edit_url(medicine):
    return f"/account/medicines/{medicine.public_id}/"


def test_a_patient_adds_a_medicine(alice_client, alice, frozen):
    response = alice_client.post(
        LIST, {"name": "  Pregabalin  ", "dose": "75 mg  twice a day", "started": "2026-05-01"}
    )

    assert response["Location"] == LIST
    medicine = Medicine.objects.get()
    assert (medicine.patient, medicine.name, medicine.dose) == (
        alice,
        "Pregabalin",
        "75 mg twice a day",
    )
    assert medicine.started == date(2026, 5, 1)
    assert AuditEvent.objects.filter(object_type="medicine", action="create").count() == 1
    page = alice_client.get(LIST).content.decode()
    assert "Pregabalin" in page and "Since 1 May 2026" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "   "}, "Please give the medicine"),
        ({"name": "x" * 81}, "Please keep the name to 80 characters"),
        ({"name": "A", "dose": "y" * 81}, "Please keep this to 80 characters"),
        ({"name": "A", "started": "2026-13-01"}, "That is not a real date"),
        ({"name": "A", "started": "2026-06-20"}, "That date is in the future"),
        ({"name": "A", "started": "2026-06-01", "stopped": "2026-05-01"}, "before the start"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    alice_client, frozen, data, message
):
    response = alice_client.post(LIST, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Medicine.objects.exists()


def test_hostile_text_is_shown_as_text(alice_client, alice, frozen):
    alice_client.post(LIST, {"name": "<script>alert(1)</script>", "dose": "=cmd|' /C calc'!A0"})

    page = alice_client.get(LIST).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_stopping_a_medicine_keeps_it_on_the_list(alice_client, alice, frozen):
    medicine = Medicine.objects.create(patient=alice, name="Pregabalin")

    alice_client.post(edit_url(medicine), {"name": "Pregabalin", "stopped": "2026-06-10"})

    medicine.refresh_from_db()
    assert medicine.stopped == date(2026, 6, 10)
    page = alice_client.get(LIST).content.decode()
    assert "Stopped 10 June 2026" in page


def test_only_a_medicine_never_ticked_can_be_removed(alice_client, alice, frozen):
    mistake = Medicine.objects.create(patient=alice, name="Typo")
    taken = Medicine.objects.create(patient=alice, name="Pregabalin")
    entry = make_entry(alice, NOW - timedelta(hours=1))
    MedicineEvent.objects.create(
        patient=alice, entry=entry, kind="extra_dose", medicine=taken, occurred_at=entry.recorded_at
    )
    assert "Remove it from my list" in alice_client.get(edit_url(mistake)).content.decode()
    assert "Remove it from my list" not in alice_client.get(edit_url(taken)).content.decode()

    alice_client.post(f"{edit_url(mistake)}remove/")
    alice_client.post(f"{edit_url(taken)}remove/")

    assert list(Medicine.objects.values_list("name", flat=True)) == ["Pregabalin"]


def test_a_patient_cannot_open_or_change_another_patient_s_medicine(bob_client, alice, frozen):
    medicine = Medicine.objects.create(patient=alice, name="Alices-pregabalin")

    assert bob_client.get(edit_url(medicine)).status_code == 404
    assert bob_client.post(edit_url(medicine), {"name": "Changed"}).status_code == 404
    assert bob_client.post(f"{edit_url(medicine)}remove/").status_code == 404
    assert "Alices-pregabalin" not in bob_client.get(LIST).content.decode()
    medicine.refresh_from_db()
    assert medicine.name == "Alices-pregabalin"


def test_the_list_reads_the_same_whatever_its_length(
    alice_client, alice, frozen, django_assert_max_num_queries
):
    Medicine.objects.bulk_create(Medicine(patient=alice, name=f"Medicine {n}") for n in range(50))

    # Session, user, patient; the list; the audit row.
    with django_assert_max_num_queries(6):
        response = alice_client.get(LIST)
    assert response.content.decode().count("<strong>Medicine 4") == 11
