"""The worklist's row cache (issue 21): never stale, whatever writes the data or whenever.

- Every kind of write to a patient's data changes the patient's data_version, in the
  database itself: saves, bulk writes, queryset updates and deletes, raw SQL
  (migration 0019's triggers). A write to another patient's data does not.
- summaries_for() reads no patient data outside the tables those triggers watch.
- Rows from the cache equal rows computed afresh after any sequence of writes and
  clock steps (hypothesis), on SQLite and on PostgreSQL alike.
"""

import importlib
import itertools
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import NOW, make_entry, make_patient, make_practitioner, make_session
from tracker import models, scores, worklist
from tracker.models import (
    FlagReview,
    Patient,
    Practitioner,
    SessionStatus,
    SymptomEntry,
    TreatmentSession,
    WeeklyAnswer,
)
from tracker.reported import week_of

pytestmark = pytest.mark.usefixtures("frozen")

triggers = importlib.import_module("tracker.migrations.0019_patient_data_version")
examples = itertools.count()


def version(patient):
    return Patient.objects.values_list("data_version", flat=True).get(pk=patient.pk)


def review(patient, reviewer, at=NOW, flags=("missed",)):
    return FlagReview.objects.create(
        patient=patient, reviewer=reviewer, reviewed_at=at, flags=list(flags)
    )


def answer(patient, at=NOW, fell=True):
    return WeeklyAnswer.objects.create(
        patient=patient, week_of=week_of(at), answered_at=at, fell=fell, sleep_interference=3
    )


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- Every write changes the version ----------------------------------------------


def each_write(alice, xavier):
    """(what, a function doing it) for each way the app or anyone may write."""
    entry = make_entry(alice, NOW - timedelta(days=1))
    session = make_session(alice, NOW - timedelta(days=2))
    flag_review = review(alice, xavier)
    weekly = answer(alice)

    def save_patient():
        patient = Patient.objects.get(pk=alice.pk)
        patient.display_name = "Alice A. Archer"
        patient.save()

    def stale_save():
        # An instance read before another write saves its old version back: still new.
        patient = Patient.objects.get(pk=alice.pk)
        make_entry(alice, NOW - timedelta(hours=3))
        patient.record_number = "R-1"
        patient.save()

    return [
        ("entry added", lambda: make_entry(alice, NOW - timedelta(hours=1))),
        ("entries bulk-added", lambda: SymptomEntry.objects.bulk_create(
            [SymptomEntry(patient=alice, recorded_at=NOW, pain=1, numbness=1, tingling=1)])),
        ("entry changed", lambda: SymptomEntry.objects.filter(pk=entry.pk).update(pain=9)),
        ("entry deleted", lambda: SymptomEntry.objects.filter(pk=entry.pk).delete()),
        ("entry changed in SQL", lambda: raw(
            "UPDATE tracker_symptomentry SET pain = 8 WHERE patient_id = %s", [alice.pk])),
        ("session added", lambda: make_session(alice, NOW + timedelta(days=3))),
        ("session outcome", lambda: TreatmentSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.CANCELLED)),
        ("session deleted", lambda: TreatmentSession.objects.filter(pk=session.pk).delete()),
        ("review added", lambda: review(alice, xavier)),
        ("review undone", lambda: FlagReview.objects.filter(pk=flag_review.pk).update(
            undone_at=NOW)),
        ("weekly answer", lambda: answer(alice, NOW - timedelta(days=8))),
        ("weekly answer changed", lambda: WeeklyAnswer.objects.filter(pk=weekly.pk).update(
            fell=False)),
        ("weekly answer deleted", lambda: WeeklyAnswer.objects.filter(pk=weekly.pk).delete()),
        ("profile saved", save_patient),
        ("profile saved from a stale instance", stale_save),
        ("profile updated", lambda: Patient.objects.filter(pk=alice.pk).update(
            discharged_on=NOW.date())),
        ("profile changed in SQL", lambda: raw(
            "UPDATE tracker_patient SET display_name = 'A' WHERE id = %s", [alice.pk])),
        ("reviewer renamed", lambda: Practitioner.objects.filter(pk=xavier.pk).update(
            display_name="Dr X. Xavier")),
    ]  # fmt: skip


def test_every_kind_of_write_changes_the_patients_version(alice, bob, xavier):
    for what, write in each_write(alice, xavier):
        before, bobs = version(alice), version(bob)
        write()
        assert version(alice) != before, what
        assert version(bob) == bobs, f"{what} changed another patient's version"


def test_a_write_that_moves_an_entry_to_another_patient_changes_both(alice, bob):
    entry = make_entry(alice, NOW - timedelta(days=1))
    alices, bobs = version(alice), version(bob)

    SymptomEntry.objects.filter(pk=entry.pk).update(patient=bob)

    assert version(alice) != alices
    assert version(bob) != bobs


def test_a_new_patient_never_starts_at_a_version_seen_before(xavier):
    # Rows cached for a patient of a rolled-back test (or a restored database) share
    # its primary key, never its version: versions are drawn, not counted.
    seen = set()
    for i in range(20):
        patient = make_patient(f"p{i}", f"P {i}", xavier)
        seen.add(version(patient))
    assert len(seen) == 20


def test_renaming_someone_who_reviewed_nobody_changes_nothing(alice, xavier, yara):
    review(alice, yara)
    before = version(alice)

    Practitioner.objects.filter(pk=xavier.pk).update(display_name="Dr Xavier X")
    assert version(alice) == before
    Practitioner.objects.filter(pk=yara.pk).update(display_name="Dr Yara")  # the same name
    assert version(alice) == before


# --- The triggers watch every table a row reads -----------------------------------


def test_summaries_read_no_patient_data_the_triggers_do_not_watch(alice, xavier):
    make_entry(alice, NOW - timedelta(days=1))
    make_session(alice, NOW - timedelta(days=2))
    review(alice, xavier)
    answer(alice)

    with CaptureQueriesContext(connection) as ctx:
        worklist.summaries_for([alice.pk], NOW, 7)

    read = set(re.findall(r'"?(tracker_[a-z]+)"?', " ".join(q["sql"] for q in ctx)))
    # The patient row has its own trigger; the practitioner's name its own.
    watched = set(triggers.TOUCHING) | {"tracker_patient", "tracker_practitioner"}
    assert read - watched == set()
    assert set(triggers.TOUCHING) <= read  # the list is not longer than it needs to be


# --- Cached rows equal fresh rows ---------------------------------------------------


def row_key(row):
    """All a worklist row shows or sorts by, as plain values."""
    patient = row.patient
    return (
        patient.pk,
        patient.display_name,
        patient.record_number,
        patient.discharged_on,
        patient.last_entry_at,
        patient.next_session_at,
        patient.first_awaiting_at,
        row.baseline,
        tuple(row.recent),
        tuple(row.weeks),
        row.flags,
        row.latest_scores,
        row.review,
        row.reviewed,
        row.reviewer_name,
        row.review_note,
        row.can_undo,
        row.needs_attention,
        tuple(row.progress),
        row.daily_means,
        row.worst_change,
        row.reliable_change,
        tuple((f["name"], f["label"]) for f in row.flag_list),
    )


def assert_cached_rows_are_fresh(patients, cache):
    now = timezone.now()
    cached = [row_key(r) for r in worklist.cached_rows_for(patients, now, 7, cache=cache)]
    fresh = [row_key(r) for r in worklist.rows_for(patients, now, 7)]
    assert cached == fresh


STEPS = st.one_of(
    # Seconds: a few, about the hour, about a day, several days.
    st.tuples(
        st.just("wait"),
        st.one_of(
            st.integers(1, 120),
            st.integers(3000, 4000),
            st.integers(40_000, 90_000),
            st.integers(100_000, 800_000),
        ),
    ),
    # Minutes before now; negative: dated ahead (no form allows it; the cache guards it).
    st.tuples(st.just("entry"), st.integers(0, 2), st.integers(0, 10), st.integers(0, 60 * 24 * 9)),
    st.tuples(st.just("entry"), st.integers(0, 2), st.integers(0, 10), st.integers(-30, -1)),
    st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 10)),
    st.tuples(st.just("delete entry"), st.integers(0, 2)),
    st.tuples(st.just("book"), st.integers(0, 2), st.integers(1, 60 * 24 * 4)),
    st.tuples(st.just("attend"), st.integers(0, 2)),
    st.tuples(st.just("review"), st.integers(0, 2)),
    st.tuples(st.just("undo"), st.integers(0, 2)),
    st.tuples(st.just("fall"), st.integers(0, 2), st.integers(0, 300)),
    st.tuples(st.just("fall"), st.integers(0, 2), st.integers(-30, -1)),
    st.tuples(st.just("discharge"), st.integers(0, 2)),
    st.tuples(st.just("rename reviewer"), st.integers(0, 2)),
)


def run_step(step, patients, reviewer, clock):
    """Do one step at the clock's time (clock: time_machine's, to move it on)."""
    now = timezone.now
    kind, *args = step
    patient = patients[args[0]] if kind != "wait" else None
    if kind == "wait":
        clock.shift(timedelta(seconds=args[0]))
    elif kind == "entry":
        make_entry(patient, now() - timedelta(minutes=args[2]), pain=args[1], numbness=args[1] // 2)
    elif kind == "edit":
        SymptomEntry.objects.filter(pk__in=patient.entries.values("pk")[:1]).update(pain=args[1])
    elif kind == "delete entry":
        SymptomEntry.objects.filter(pk__in=patient.entries.order_by("-recorded_at")
                                    .values("pk")[:1]).delete()  # fmt: skip
    elif kind == "book":
        make_session(patient, now() + timedelta(minutes=args[1]), status=SessionStatus.BOOKED)
    elif kind == "attend":
        TreatmentSession.objects.filter(
            patient=patient, status=SessionStatus.BOOKED, when__lte=now()
        ).update(status=SessionStatus.ATTENDED)
    elif kind == "review":
        review(patient, reviewer, at=now(), flags=scores.FLAG_NAMES)
    elif kind == "undo":
        FlagReview.objects.filter(patient=patient, undone_at=None).update(undone_at=now())
    elif kind == "fall":
        WeeklyAnswer.objects.update_or_create(
            patient=patient,
            week_of=week_of(now()),
            defaults={"answered_at": now() - timedelta(minutes=args[1]), "fell": True},
        )
    elif kind == "discharge":
        Patient.objects.filter(pk=patient.pk).update(discharged_on=now().date())
    elif kind == "rename reviewer":
        Practitioner.objects.filter(pk=reviewer.pk).update(display_name=f"Dr {now():%H%M%S}")


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEPS, min_size=1, max_size=12))
def test_cached_rows_equal_fresh_rows_after_any_writes_and_clock_steps(frozen, steps):
    # The patients of each example are new: the cache is the example's own.
    cache = worklist.RowCache(100)
    example = next(examples)
    with time_machine.travel(NOW, tick=False) as clock:
        reviewer = make_practitioner(f"r{example}", "Dr Reviewer")
        patients = [make_patient(f"h{example}-{i}", f"Patient {i}", reviewer) for i in range(3)]
        mine = Patient.objects.filter(practitioner=reviewer).order_by("pk")
        # A day's entry for two weeks, a session held, one booked just ahead.
        for day in range(14, 0, -1):
            make_entry(patients[0], NOW - timedelta(days=day), pain=4 + day % 3)
        make_session(patients[0], NOW - timedelta(days=1), status=SessionStatus.ATTENDED)
        make_session(patients[1], NOW + timedelta(hours=5), status=SessionStatus.BOOKED)
        make_entry(patients[2], NOW - timedelta(days=6, hours=23))  # missed within the hour
        assert_cached_rows_are_fresh(mine, cache)
        for step in steps:
            run_step(step, patients, reviewer, clock)
            assert_cached_rows_are_fresh(mine, cache)


# --- The cache itself ---------------------------------------------------------------


def test_a_row_is_kept_until_the_data_or_the_clock_changes_it(alice):
    make_entry(alice, NOW - timedelta(days=6, hours=20))  # "missed" opens in 4 hours
    cache = worklist.RowCache(10)
    patients = Patient.objects.filter(pk=alice.pk)

    [first] = worklist.cached_rows_for(patients, NOW, 7, cache=cache)
    [again] = worklist.cached_rows_for(patients, NOW + timedelta(hours=3), 7, cache=cache)
    assert again.summary is first.summary
    assert not again.flags.missed

    [later] = worklist.cached_rows_for(patients, NOW + timedelta(hours=4), 7, cache=cache)
    assert later.summary is not first.summary
    assert later.flags.missed


def date_ahead(kind, patient, at):
    if kind == "entry":
        make_entry(patient, at, pain=9)
    elif kind == "fall":
        answer(patient, at=at)
    else:  # an attended session dated ahead by mistake: it counts once its time comes
        make_session(patient, at, status=SessionStatus.ATTENDED)


@pytest.mark.parametrize("kind", ["entry", "fall", "session"])
def test_a_row_is_recomputed_when_something_dated_ahead_comes_due(alice, kind):
    for day in range(10, 0, -1):
        make_entry(alice, NOW - timedelta(days=day), pain=3)
    date_ahead(kind, alice, NOW + timedelta(minutes=20))
    cache = worklist.RowCache(10)
    patients = Patient.objects.filter(pk=alice.pk)
    [first] = worklist.cached_rows_for(patients, NOW, 7, cache=cache)

    for minutes in (19, 21):
        now = NOW + timedelta(minutes=minutes)
        [cached] = worklist.cached_rows_for(patients, now, 7, cache=cache)
        [fresh] = worklist.rows_for(patients, now, 7)
        assert row_key(cached) == row_key(fresh)
        assert (cached.summary is first.summary) == (minutes == 19)


def test_a_clock_set_back_does_not_use_a_row_from_its_future(alice):
    make_entry(alice, NOW - timedelta(hours=1), pain=9)
    cache = worklist.RowCache(10)
    patients = Patient.objects.filter(pk=alice.pk)

    [now] = worklist.cached_rows_for(patients, NOW, 7, cache=cache)
    [before] = worklist.cached_rows_for(patients, NOW - timedelta(hours=2), 7, cache=cache)

    assert now.flags.severe
    assert before.summary is not now.summary
    assert not before.flags.severe


def test_the_cache_keeps_at_most_its_size(xavier):
    patients = [make_patient(f"s{i}", f"S {i}", xavier) for i in range(5)]
    cache = worklist.RowCache(3)

    worklist.cached_rows_for(Patient.objects.filter(pk__in=[p.pk for p in patients]), NOW, 7,
                             cache=cache)  # fmt: skip

    assert len(cache) == 3


def test_rows_in_another_language_are_worded_in_it(alice):
    make_entry(alice, NOW - timedelta(days=9))  # missed
    cache = worklist.RowCache(10)
    patients = Patient.objects.filter(pk=alice.pk)
    [english] = worklist.cached_rows_for(patients, NOW, 7, cache=cache)
    english_label = english.flag_list[0]["label"]
    with translation.override("es"):
        [spanish] = worklist.cached_rows_for(patients, NOW, 7, cache=cache)
        spanish_label = spanish.flag_list[0]["label"]

    assert spanish.summary is english.summary
    assert spanish_label != english_label


# --- The summary statement, built once ------------------------------------------------


def test_the_summary_sql_built_once_gives_what_the_orm_gives(alice, bob, carol, xavier):
    for day in range(20, 0, -2):
        make_entry(alice, NOW - timedelta(days=day, hours=day), pain=day % 11)
    make_entry(alice, NOW + timedelta(hours=2))  # dated ahead
    make_session(alice, NOW - timedelta(days=9), status=SessionStatus.ATTENDED)
    make_session(alice, NOW - timedelta(hours=3), status=SessionStatus.BOOKED)  # awaiting
    make_session(alice, NOW + timedelta(days=2), status=SessionStatus.BOOKED)
    review(alice, xavier, at=NOW - timedelta(days=1))
    answer(alice, at=NOW - timedelta(days=3))
    answer(alice, at=NOW + timedelta(hours=5), fell=False)  # dated ahead
    make_entry(bob, NOW - timedelta(days=30))
    ids = [alice.pk, bob.pk, carol.pk]
    annotations = list(Patient.objects.with_summary(NOW).with_clock_changes(NOW).query.annotations)
    names = [f.attname for f in Patient._meta.concrete_fields] + annotations

    for now in (NOW, NOW - timedelta(days=5), NOW + timedelta(days=3)):
        orm = Patient.objects.filter(pk__in=ids).with_summary(now).with_clock_changes(now)
        expected = {p.pk: [getattr(p, n) for n in names] for p in orm}
        got = {p.pk: [getattr(p, n) for n in names] for p in models.patients_with_summary(ids, now)}
        assert got == expected
        if now == NOW:  # every kind of value is there to compare
            assert None not in [expected[alice.pk][names.index(n)] for n in annotations]
    assert models.patients_with_summary([], NOW) == []
    assert models.SUMMARY.statement(connection) is models.SUMMARY.statement(connection)  # once
