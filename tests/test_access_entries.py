"""access.get_entry_or_404: which check-in entries each user may open.

The rule is the patients' rule (access.patients_visible_to): a patient opens
their own entries, a practitioner those of their own patients, nobody else any.
Anything else is a 404 that is written to the audit trail as "denied".
"""

import uuid

import pytest
from django.http import Http404
from django.utils import timezone

from tests.conftest import make_entry
from tracker import access
from tracker.models import AuditAction, AuditEvent


def request_by(rf, user):
    request = rf.get("/history/")
    request.user = user
    return request


def test_a_patient_opens_their_own_entry(rf, alice):
    entry = make_entry(alice, timezone.now())
    assert access.get_entry_or_404(request_by(rf, alice.user), entry.public_id) == entry
    assert not AuditEvent.objects.exists()


def test_a_practitioner_opens_their_patients_entries(rf, alice, bob, xavier):
    for patient in (alice, bob):
        entry = make_entry(patient, timezone.now())
        assert access.get_entry_or_404(request_by(rf, xavier.user), entry.public_id) == entry


@pytest.mark.parametrize("name", ["bob", "yara", "staff"])
def test_anyone_else_gets_a_recorded_404(rf, alice, bob, yara, staff, name):
    entry = make_entry(alice, timezone.now())
    user = {"bob": bob.user, "yara": yara.user, "staff": staff}[name]

    with pytest.raises(Http404):
        access.get_entry_or_404(request_by(rf, user), entry.public_id)

    row = AuditEvent.objects.get()
    assert (row.action, row.object_type, row.object_id) == (
        AuditAction.DENIED,
        "entry",
        str(entry.public_id),
    )
    # The row does not link the id to Alice.
    assert row.patient_public_id is None


def test_an_unknown_entry_is_the_same_recorded_404(rf, alice):
    with pytest.raises(Http404):
        access.get_entry_or_404(request_by(rf, alice.user), uuid.uuid4())
    assert AuditEvent.objects.get().action == AuditAction.DENIED
