"""Cover and shared care (issue 16): a patient's care team.

The responsible practitioner (Patient.practitioner) adds and removes others; a member
sees and works with the patient as the responsible one does, until removed. Staff
change the team in the admin. Every change is an audit row. tests/test_access_matrix.py
checks every URL for a member ("zoe").
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import (
    body,
    detail_url,
    make_entry,
    make_patient,
    make_practitioner,
    verified_client_for,
)
from tracker.models import AuditAction, AuditEvent, CareTeamMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def zoe(db):
    return make_practitioner("zoe", "Dr Zoe")


@pytest.fixture
def zoe_client(zoe):
    return verified_client_for(zoe.user)


def add(client, patient, practitioner):
    url = reverse("tracker:add_team_member", args=[patient.public_id])
    return client.post(url, {"practitioner": practitioner.pk}, follow=True)


def remove(client, patient, practitioner):
    member = CareTeamMember.objects.get(patient=patient, practitioner=practitioner)
    url = reverse("tracker:remove_team_member", args=[patient.public_id, member.pk])
    return client.post(url, follow=True)


def test_a_member_sees_the_patient_once_added_and_not_after_removal(
    xavier_client, zoe_client, alice, bob, zoe
):
    make_entry(alice, timezone.now(), note="alice-note-42")
    assert zoe_client.get(detail_url(alice)).status_code == 404

    page = add(xavier_client, alice, zoe)

    assert "Dr Zoe is now in Alice Archer\u2019s care team" in body(page)
    detail = zoe_client.get(detail_url(alice))
    assert detail.status_code == 200 and "alice-note-42" in body(detail)
    worklist = body(zoe_client.get(reverse("tracker:worklist")))
    assert "Alice Archer" in worklist and "care team" in worklist
    assert "Bob Baker" not in worklist  # only the patients she covers
    assert zoe_client.get(detail_url(bob)).status_code == 404

    remove(xavier_client, alice, zoe)

    assert zoe_client.get(detail_url(alice)).status_code == 404
    assert "Alice Archer" not in body(zoe_client.get(reverse("tracker:worklist")))


def test_a_member_works_with_the_patient_like_the_responsible_practitioner(
    xavier_client, zoe_client, alice, zoe
):
    add(xavier_client, alice, zoe)
    url = reverse("tracker:add_session", args=[alice.public_id])

    data = {"status": "attended", "when": "2026-11-20T09:30", "points_used": "ST36"}
    response = zoe_client.post(url, data)

    assert response.status_code == 302
    assert alice.sessions.get().points_used == "ST36"
    assert zoe_client.get(reverse("tracker:export_csv", args=[alice.public_id])).status_code == 200


def test_only_the_responsible_practitioner_changes_the_team(
    xavier_client, zoe_client, alice, zoe, yara
):
    add(xavier_client, alice, zoe)

    refused = zoe_client.post(
        reverse("tracker:add_team_member", args=[alice.public_id]), {"practitioner": yara.pk}
    )

    assert refused.status_code == 403
    assert not CareTeamMember.objects.filter(practitioner=yara).exists()
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_type="care_team").exists()
    page = body(zoe_client.get(detail_url(alice)))
    assert "Only Dr Xavier or clinic staff change the team." in page
    assert "Add to care team" not in page


def test_another_practitioner_cannot_touch_the_team(yara_client, alice, zoe):
    url = reverse("tracker:add_team_member", args=[alice.public_id])
    assert yara_client.post(url, {"practitioner": zoe.pk}).status_code == 404
    assert not CareTeamMember.objects.exists()


def test_the_responsible_practitioner_a_member_twice_or_an_inactive_one_is_refused(
    xavier_client, xavier, alice, zoe
):
    add(xavier_client, alice, zoe)
    gone = make_practitioner("walt", "Dr Walt")
    gone.user.is_active = False
    gone.user.save()

    for practitioner in (xavier, zoe, gone):
        page = add(xavier_client, alice, practitioner)
        assert "That practitioner cannot be added" in body(page)
    assert CareTeamMember.objects.count() == 1
    choices = body(xavier_client.get(detail_url(alice)))
    assert "Dr Walt" not in choices


def test_every_change_is_on_the_record(xavier_client, alice, zoe):
    add(xavier_client, alice, zoe)
    remove(xavier_client, alice, zoe)

    rows = AuditEvent.objects.filter(object_type="care_team", patient_public_id=alice.public_id)
    assert sorted(rows.values_list("action", "detail")) == [
        (AuditAction.CREATE, "care team: zoe added"),
        (AuditAction.DELETE, "care team: zoe removed"),
    ]
    assert set(rows.values_list("actor", flat=True)) == {"xavier"}


def test_staff_change_the_team_in_the_admin_on_the_record(staff_client, staff, alice, zoe):
    url = reverse("admin:tracker_patient_change", args=[alice.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {
        **{name: form.initial.get(name, "") for name in form.fields},
        "user": alice.user.pk,
        "practitioner": alice.practitioner_id,
        "care_team-TOTAL_FORMS": "1",
        "care_team-INITIAL_FORMS": "0",
        "care_team-0-practitioner": zoe.pk,
        "care_team-0-patient": alice.pk,
    }
    data = {k: v for k, v in data.items() if v is not None}

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    member = CareTeamMember.objects.get()
    assert member.practitioner == zoe and member.added_by == staff
    assert AuditEvent.objects.filter(detail="care team: zoe added (admin)").count() == 1


def test_the_worklist_runs_the_same_queries_with_a_care_team_of_any_size(
    xavier_client, zoe_client, xavier, zoe
):
    def count():
        zoe_client.get(reverse("tracker:worklist"))
        with CaptureQueriesContext(connection) as queries:
            assert zoe_client.get(reverse("tracker:worklist")).status_code == 200
        return len(queries)

    for n in range(3):
        CareTeamMember.objects.create(
            patient=make_patient(f"p{n}", f"Patient {n}", xavier), practitioner=zoe
        )
    few = count()
    for n in range(3, 30):
        patient = make_patient(f"p{n}", f"Patient {n}", xavier)
        make_entry(patient, timezone.now())
        CareTeamMember.objects.create(patient=patient, practitioner=zoe)

    assert count() == few
