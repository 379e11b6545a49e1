from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tracker.models import Patient, Practitioner, SymptomEntry, TreatmentSession


def seed(**options):
    call_command("seed_demo", force=True, stdout=StringIO(), **options)


def snapshot():
    return (
        sorted(Patient.objects.values_list("user__username", "practitioner__user__username")),
        SymptomEntry.objects.count(),
        TreatmentSession.objects.count(),
        sorted(
            SymptomEntry.objects.values_list(
                "patient__display_name", "pain", "numbness", "tingling", "recorded_at"
            )
        ),
    )


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_logins():
    seed()
    practitioner = User.objects.get(username="demo.practitioner")
    patient = User.objects.get(username="demo.patient")
    assert practitioner.check_password("neuropathy-demo")
    assert patient.check_password("neuropathy-demo")
    assert patient.patient.practitioner == practitioner.practitioner
    assert Practitioner.objects.count() == 2
    assert Patient.objects.count() >= 12


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    seed()
    first = snapshot()
    seed()
    assert snapshot() == first


@pytest.mark.django_db
def test_seed_demo_has_8_to_12_weeks_of_entries_and_weekly_sessions():
    seed()
    demo = Patient.objects.get(user__username="demo.patient")
    entries = demo.entries.order_by("recorded_at")
    span = entries.last().recorded_at - entries.first().recorded_at
    assert 8 * 7 - 1 <= span.days <= 12 * 7
    sessions = list(demo.sessions.order_by("when").values_list("when", flat=True))
    gaps = {(b.date() - a.date()).days for a, b in zip(sessions, sessions[1:], strict=False)}
    assert gaps == {7}
    new = Patient.objects.get(user__username="lucy.fernandes")
    assert new.entries.count() == 3


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off():
    with pytest.raises(CommandError, match="Debug is off"):
        call_command("seed_demo", stdout=StringIO())
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_if_empty_leaves_a_clinic_with_data_alone(alice):
    seed(if_empty=True)
    assert Patient.objects.count() == 1
