"""A small run of the benchmark clinic generator, so the harness never rots."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tracker.models import Patient, Practitioner, SymptomEntry, TreatmentSession


def seed(**options):
    call_command("seed_bench", patients=6, practitioners=2, days=60, stdout=StringIO(), **options)


def snapshot():
    return sorted(
        SymptomEntry.objects.values_list(
            "patient__user__username", "recorded_at", "pain", "numbness", "tingling", "public_id"
        )
    ), sorted(TreatmentSession.objects.values_list("patient__user__username", "when"))


@pytest.mark.django_db
def test_it_makes_the_asked_for_clinic():
    seed()
    assert Practitioner.objects.count() == 2
    assert Patient.objects.count() == 6
    per_practitioner = {p.patients.count() for p in Practitioner.objects.all()}
    assert per_practitioner == {3}
    entries = SymptomEntry.objects.count()
    # About one entry a day per patient, with gaps.
    assert 6 * 60 * 0.5 <= entries <= 6 * 60 * 1.6
    # Weekly sessions from day 14, plus one booked ahead.
    assert TreatmentSession.objects.count() == 6 * len(range(14, 60 + 7, 7))


@pytest.mark.django_db
def test_it_is_deterministic():
    seed()
    first = snapshot()
    seed(reset=True)
    assert snapshot() == first


@pytest.mark.django_db
def test_it_refuses_a_database_with_real_patients(alice):
    with pytest.raises(CommandError, match="did not make"):
        seed()
    assert Patient.objects.count() == 1
