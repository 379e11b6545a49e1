import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.models import SymptomEntry, TreatmentSession


def make_entry(patient, **scores):
    values = {"pain": 3, "numbness": 3, "tingling": 3, **scores}
    return SymptomEntry.objects.create(patient=patient, recorded_at=timezone.now(), **values)


@pytest.mark.parametrize("symptom", ["pain", "numbness", "tingling"])
@pytest.mark.parametrize("score", [11, -1])
def test_database_refuses_scores_outside_0_to_10(alice, symptom, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(alice, **{symptom: score})
    assert SymptomEntry.objects.count() == 0


@pytest.mark.parametrize("score", [0, 10])
def test_database_accepts_the_ends_of_the_scale(alice, score):
    make_entry(alice, pain=score, numbness=score, tingling=score)
    assert SymptomEntry.objects.count() == 1


def test_database_refuses_a_note_over_1000_characters(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(alice, note="x" * 1001)
    make_entry(alice, note="é" * 1000)
    assert SymptomEntry.objects.count() == 1


@pytest.mark.parametrize(
    "change", [{"pain": 11}, {"numbness": -1}, {"tingling": 99}, {"note": "x" * 1001}]
)
def test_model_validation_refuses_what_the_constraints_refuse_without_asking_the_database(
    alice, change, django_assert_num_queries
):
    # validate_constraints() leaves these constraints to the field validators.
    entry = SymptomEntry(patient=alice, recorded_at=timezone.now(), pain=3, numbness=3, tingling=3)
    for field, value in change.items():
        setattr(entry, field, value)
    with django_assert_num_queries(0), pytest.raises(ValidationError) as refused:
        entry.full_clean(exclude=["patient"], validate_unique=False)  # as the form does
    assert set(refused.value.message_dict) == set(change)


def test_public_id_is_unique(alice):
    token = uuid.uuid4()
    make_entry(alice, public_id=token)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(alice, public_id=token)
    assert SymptomEntry.objects.count() == 1


def test_entries_get_distinct_public_ids(alice):
    first, second = make_entry(alice), make_entry(alice)
    assert first.public_id != second.public_id
    assert SymptomEntry.objects.count() == 2


def test_patient_urls_use_the_public_id(alice):
    assert str(alice.public_id) in alice.get_absolute_url()
    assert f"/{alice.pk}/" not in alice.get_absolute_url()


def test_a_session_is_held_from_its_start_in_sql_and_in_memory_alike(alice):
    # Attended sessions up to now are held; one attended, then moved ahead of a report's
    # "now", is not held by then. Booked ones are never held, past or future.
    now = timezone.now()
    earlier, starting, later, booked, unrecorded = (
        TreatmentSession.objects.create(
            patient=alice,
            practitioner=alice.practitioner,
            when=now + timedelta(minutes=m),
            status=status,
        )
        for m, status in (
            (-60, "attended"),
            (0, "attended"),
            (1, "attended"),
            (1, "booked"),
            (-30, "booked"),
        )
    )

    in_sql = set(TreatmentSession.objects.held(now))
    in_memory = {s for s in TreatmentSession.objects.all() if s.is_held(now)}

    assert in_sql == in_memory == {earlier, starting}
    assert set(TreatmentSession.objects.booked(now)) == {booked}
    assert set(TreatmentSession.objects.awaiting_outcome(now)) == {unrecorded}
    assert {s for s in TreatmentSession.objects.all() if s.is_awaiting_outcome(now)} == {unrecorded}
    assert alice.first_session_held(now) == earlier.when
    assert alice.first_session_held(now - timedelta(hours=2)) is None


@pytest.mark.parametrize(
    "sessions",
    [
        [],  # the first week decides
        [(2, "attended")],  # a session inside the first week: still the first week
        [(11, "attended"), (15, "attended")],  # the first session ends the window
        [(11, "booked"), (13, "missed")],  # only attended sessions count
    ],
)
def test_baseline_as_of_is_baseline_with_the_first_session_held_in_one_query(
    alice, sessions, django_assert_num_queries
):
    # Twenty days of changing scores from `start`; the baseline asked for as of every
    # twelve hours, from before the first entry to after the last session.
    start = timezone.now().replace(microsecond=0) - timedelta(days=30)
    for day in range(20):
        entry = make_entry(alice, pain=day % 11, numbness=(3 * day) % 11, tingling=(7 * day) % 11)
        SymptomEntry.objects.filter(pk=entry.pk).update(
            recorded_at=start + timedelta(days=day, hours=9)
        )
    for day, status in sessions:
        TreatmentSession.objects.create(
            patient=alice,
            practitioner=alice.practitioner,
            when=start + timedelta(days=day, hours=14),
            status=status,
        )
    found_any = False
    for step in range(-2, 60):
        as_of = start + timedelta(hours=12 * step)
        expected, _ = alice.baseline(alice.first_session_held(as_of), as_of)
        with django_assert_num_queries(1):
            found = alice.baseline_as_of(as_of)
        assert found == expected, as_of
        found_any = found_any or found is not None
    assert found_any
