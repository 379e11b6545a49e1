"""tracker/prepared.py: SQL built once per connection gives the rows the ORM gives."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import NOW, make_entry
from tracker.models import SymptomEntry, WeeklyAnswer
from tracker.prepared import Prepared
from tracker.symptoms import NAMES


def entries_between(patient_id, start, end):
    return (
        SymptomEntry.objects.filter(patient_id=patient_id, recorded_at__gte=start)
        .filter(recorded_at__lt=end)
        .order_by("recorded_at")
        .values_list("recorded_at", *NAMES, "note", "locations")
    )


def test_the_rows_are_the_orm_s_for_every_set_of_values(alice, bob):
    for day in range(12):
        at = NOW - timedelta(days=day, hours=day % 5)
        make_entry(alice, at, pain=day % 11, note=f"day {day}", locations=["feet_left"])
        make_entry(bob, at + timedelta(minutes=7), tingling=(day * 3) % 11)
    prepared = Prepared(entries_between, int, datetime, datetime)
    for patient in (alice, bob):
        for start_day, end_day in ((11, 0), (5, 2), (3, 3), (20, 15)):
            start, end = NOW - timedelta(days=start_day), NOW - timedelta(days=end_day)
            expected = [tuple(row) for row in entries_between(patient.pk, start, end)]
            assert prepared.rows(patient.pk, start, end) == expected
    # Datetimes come back aware and JSON as lists, through the compiler's converters.
    first = prepared.first(alice.pk, NOW - timedelta(days=30), NOW + timedelta(days=1))
    assert first[0].tzinfo is not None and first[-1] == ["feet_left"]


def test_the_sql_is_built_once_per_connection(alice):
    builds = []

    def build(patient_id, week):
        builds.append(week)
        return WeeklyAnswer.objects.filter(patient_id=patient_id, week_of=week).values_list("pk")

    prepared = Prepared(build, int, date)
    WeeklyAnswer.objects.create(patient=alice, week_of=date(2026, 6, 15), answered_at=NOW)
    with CaptureQueriesContext(connection) as queries:
        assert prepared.rows(alice.pk, date(2026, 6, 15)) != []
        assert prepared.rows(alice.pk, date(2026, 6, 8)) == []
        assert prepared.rows(alice.pk + 1000, date(2026, 6, 15)) == []
    assert len(builds) == 1 and len(queries) == 3


def test_none_and_missing_arguments_are_refused(alice):
    prepared = Prepared(entries_between, int, datetime, datetime)
    with pytest.raises(ValueError):
        prepared.rows(alice.pk, None, NOW)
    with pytest.raises(ValueError):
        prepared.rows(alice.pk, NOW)
    # A build that leaves an argument out cannot be run with it.
    ignoring = Prepared(
        lambda pk, at: SymptomEntry.objects.filter(pk=pk).values_list("pk"), int, datetime
    )
    with pytest.raises(ValueError, match="not parameters"):
        ignoring.rows(1, NOW)
