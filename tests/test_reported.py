"""What patients report beside the scores (issue 18): the database's own rules."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.models import (
    GlobalImpression,
    Medicine,
    MedicineEvent,
    MedicineEventKind,
    SessionStatus,
    SideEffectReport,
    SymptomEntry,
    TreatmentSession,
    WeeklyAnswer,
)
from tracker.reported import week_of


def refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


@pytest.fixture
def session(alice):
    return TreatmentSession.objects.create(
        patient=alice,
        practitioner=alice.practitioner,
        when=timezone.now() - timedelta(days=1),
        status=SessionStatus.ATTENDED,
    )


@pytest.mark.parametrize("sleep", [-1, 11])
def test_the_database_refuses_sleep_interference_outside_0_to_10(alice, sleep):
    refused(
        lambda: WeeklyAnswer.objects.create(
            patient=alice,
            week_of=date(2026, 11, 30),
            sleep_interference=sleep,
            answered_at=timezone.now(),
        )
    )
    assert not WeeklyAnswer.objects.exists()


def test_one_weekly_answer_a_week(alice):
    now = timezone.now()
    WeeklyAnswer.objects.create(patient=alice, week_of=date(2026, 11, 30), answered_at=now)
    refused(
        lambda: WeeklyAnswer.objects.create(
            patient=alice, week_of=date(2026, 11, 30), fell=True, answered_at=now
        )
    )
    WeeklyAnswer.objects.create(patient=alice, week_of=date(2026, 12, 7), answered_at=now)
    assert WeeklyAnswer.objects.count() == 2


@pytest.mark.parametrize("answer", [0, 8])
def test_the_database_refuses_an_impression_of_change_outside_1_to_7(alice, session, answer):
    refused(
        lambda: GlobalImpression.objects.create(
            patient=alice, session=session, answer=answer, answered_at=timezone.now()
        )
    )


def test_one_impression_of_change_per_session(alice, session):
    now = timezone.now()
    GlobalImpression.objects.create(patient=alice, session=session, answer=1, answered_at=now)
    refused(
        lambda: GlobalImpression.objects.create(
            patient=alice, session=session, answer=7, answered_at=now
        )
    )


def test_one_side_effect_report_per_session(alice, session):
    now = timezone.now()
    SideEffectReport.objects.create(patient=alice, session=session, effects=[], answered_at=now)
    refused(
        lambda: SideEffectReport.objects.create(
            patient=alice, session=session, effects=["bruise"], answered_at=now
        )
    )


def test_a_medicine_has_a_name_and_stops_after_it_starts(alice):
    refused(lambda: Medicine.objects.create(patient=alice, name=""))
    refused(
        lambda: Medicine.objects.create(
            patient=alice, name="Pregabalin", started=date(2026, 5, 2), stopped=date(2026, 5, 1)
        )
    )
    Medicine.objects.create(
        patient=alice, name="Pregabalin", started=date(2026, 5, 1), stopped=date(2026, 5, 1)
    )


def test_one_event_of_each_kind_per_check_in_and_only_known_kinds(alice):
    entry = SymptomEntry.objects.create(
        patient=alice, recorded_at=timezone.now(), pain=1, numbness=1, tingling=1
    )

    def event(kind):
        return MedicineEvent.objects.create(
            patient=alice, entry=entry, kind=kind, occurred_at=entry.recorded_at
        )

    event(MedicineEventKind.EXTRA_DOSE)
    event(MedicineEventKind.CHANGED)
    refused(lambda: event(MedicineEventKind.EXTRA_DOSE))
    refused(lambda: event("overdose"))
    entry.delete()
    assert not MedicineEvent.objects.exists()


@pytest.mark.parametrize(
    ("local", "monday"),
    [
        ("2026-11-30 00:00", date(2026, 11, 30)),  # Monday
        ("2026-12-06 23:59", date(2026, 11, 30)),  # Sunday night
        ("2026-12-07 00:00", date(2026, 12, 7)),
    ],
)
def test_the_week_starts_on_monday_in_clinic_time(settings, local, monday):
    moment = timezone.make_aware(timezone.datetime.fromisoformat(local))
    assert week_of(moment) == monday
