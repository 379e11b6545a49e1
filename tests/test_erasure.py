"""Erasing a patient (tracker/erasure.py): a patient with a row in every table that can
hold one, erased through the admin, then every table in the database read back for what
would identify them. Also: all or nothing, other patients untouched, purge_expired."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import (
    PASSWORD,
    client_for,
    freeze_at,
    make_entry,
    make_patient,
    make_practitioner,
    make_session,
)
from tracker import erasure, scores, security
from tracker.models import (
    AuditEvent,
    CareTeamMember,
    DeletionRequest,
    DeletionStatus,
    FlagReview,
    GlobalImpression,
    Invitation,
    Medicine,
    MedicineEvent,
    MedicineEventKind,
    MnsiAnswer,
    Patient,
    Reminder,
    SessionStatus,
    SideEffectReport,
    SymptomEntry,
    UserSession,
    WeeklyAnswer,
)
from tracker.reported import week_of

# Planted in the patient's records: none may be left anywhere once they are erased.
MARK = {
    "name": "Quillonia Marsh",
    "username": "quillon-7731",
    "email": "quillon.marsh@example.org",
    "record": "QMX-20931",
    "entry": "entry-note-q8w2",
    "clinic entry": "clinic-entry-note-z5k1",
    "session notes": "session-notes-r4t6",
    "points": "points-used-p9y3",
    "medicine": "Quillazepam",
    "dose": "dose-q7m 75 mg",
    "change": "change-note-c3v8",
    "review": "review-note-v6b2",
    "discharge": "discharge-note-d1n4",
    "reason": "erase-reason-e2h7",
    "declined": "decline-reason-k5s9",
}
# The audit trail is append-only: it keeps the name the patient signed in with (as the
# actor, and as typed in a failed sign-in), never anything else of theirs.
AUDIT_MAY_KEEP = {"username": {"actor", "detail"}, "email": {"detail"}}


def planted(patient, staff):
    """Everything a patient can have, with the markers in it. The patient signs in for
    real (sessions, lockout records, audit rows), fails once with their address, has an
    authenticator and backup codes, and staff have changed their records in the admin."""
    now = timezone.now()
    user = patient.user
    user.email = MARK["email"]
    user.save()
    patient.record_number = MARK["record"]
    patient.date_of_birth = date(1948, 3, 3)
    patient.save()
    practitioner = patient.practitioner
    entry = make_entry(patient, now - timedelta(days=3), note=MARK["entry"], locations=["other"])
    session = make_session(
        patient, now - timedelta(days=2), notes=MARK["session notes"], points_used=MARK["points"]
    )
    session.save_clinic_scores({"pain": 4, "numbness": 4, "tingling": 4}, practitioner)
    SymptomEntry.objects.filter(session=session).update(note=MARK["clinic entry"])
    make_session(patient, now + timedelta(days=5))
    medicine = Medicine.objects.create(patient=patient, name=MARK["medicine"], dose=MARK["dose"])
    MedicineEvent.objects.create(
        patient=patient,
        entry=entry,
        kind=MedicineEventKind.CHANGED,
        medicine=medicine,
        note=MARK["change"],
        occurred_at=entry.recorded_at,
    )
    WeeklyAnswer.objects.create(
        patient=patient, week_of=week_of(now), sleep_interference=6, fell=True, answered_at=now
    )
    GlobalImpression.objects.create(patient=patient, session=session, answer=2, answered_at=now)
    SideEffectReport.objects.create(
        patient=patient, session=session, effects=["bruise"], answered_at=now
    )
    MnsiAnswer.of(patient, [True] * 15, now).save()
    FlagReview.objects.create(
        patient=patient, reviewer=practitioner, reviewed_at=now, note=MARK["review"], flags=["fall"]
    )
    Reminder.objects.create(patient=patient, due_at=now)
    Invitation.issue(patient, practitioner, now)
    cover = make_practitioner("cover", "Dr Cover")
    CareTeamMember.objects.create(patient=patient, practitioner=cover, added_by=staff)
    patient.finish_course(timezone.localdate(), MARK["discharge"], practitioner)
    patient.reopen_course()
    Patient.objects.filter(pk=patient.pk).update(discharge_note=MARK["discharge"])
    # The admin's own history names objects by their __str__, the patient's name in it.
    for obj in (patient, session, user):
        LogEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=CHANGE,
            change_message="[]",
        )
    # A wrong password typed with the address, then a real sign-in (two sessions).
    Client().post("/accounts/login/", {"username": MARK["email"], "password": "wrong password"})
    signed_in = Client()
    signed_in.post("/accounts/login/", {"username": MARK["username"], "password": PASSWORD})
    assert signed_in.get("/account/my-data.json").status_code == 200
    DeletionRequest.objects.create(
        patient=patient,
        status=DeletionStatus.DECLINED,
        requested_at=now,
        decided_at=now,
        decline_reason=MARK["declined"],
    )
    asking = client_for(user)
    response = asking.post("/account/erase/", {"password": PASSWORD, "reason": MARK["reason"]})
    assert response.status_code == 302
    assert UserSession.objects.filter(user=user).count() >= 2
    # Two-step sign-in turned on afterwards (before, the request would need the code).
    security.new_backup_codes(user)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return DeletionRequest.objects.get(patient=patient, status=DeletionStatus.OPEN)


def tables():
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def every_value():
    """(table, column, value as text) for every non-null value in the database."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables():
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            cast = ", ".join(f"CAST({quote(c)} AS TEXT)" for c in columns)
            cursor.execute(f"SELECT {cast} FROM {quote(table)}")  # noqa: S608 (our own names)
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        yield table, column, value.lower()


def found(needles):
    """{needle name: [(table, column)]} where each needle (lower case) occurs."""
    hits = {}
    for table, column, value in every_value():
        for name, needle in needles.items():
            if needle.lower() in value:
                hits.setdefault(name, set()).add((table, column))
    return hits


def identifiers(patient):
    """The patient's markers and public id, as text and as SQLite stores it (hex)."""
    return {
        **MARK,
        "public id": str(patient.public_id),
        "public id (hex)": patient.public_id.hex,
    }


def not_allowed(hits):
    """The hits outside what the audit trail may keep."""
    audit = AuditEvent._meta.db_table
    left = {}
    for name, places in hits.items():
        for table, column in places:
            if table == audit and column in AUDIT_MAY_KEEP.get(name, ()):
                continue
            if table == audit and name.startswith("public id") and column == "patient_public_id":
                continue
            left.setdefault(name, set()).add((table, column))
    return left


def references(model_table, pk):
    """(table, column) of every foreign key to model_table that still holds pk."""
    quote = connection.ops.quote_name
    held = []
    with connection.cursor() as cursor:
        for table in tables():
            relations = connection.introspection.get_relations(cursor, table)
            for column, (_, target) in relations.items():
                if target != model_table:
                    continue
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quote(table)} WHERE {quote(column)} = %s",  # noqa: S608
                    [pk],
                )
                if cursor.fetchone()[0]:
                    held.append((table, column))
    return held


def sessions_of(user_pk):
    return [
        s.session_key
        for s in Session.objects.all()
        if s.get_decoded().get("_auth_user_id") == str(user_pk)
    ]


def counts_of(patient):
    return {
        "entries": patient.entries.count(),
        "sessions": patient.sessions.count(),
        "medicines": patient.medicines.count(),
        "weekly": patient.weekly_answers.count(),
        "user": User.objects.filter(pk=patient.user_id).count(),
    }


@pytest.fixture
def erin(xavier):
    return make_patient(MARK["username"], MARK["name"], xavier)


def carry_out_as(staff_client, deletion_request):
    return staff_client.post(f"/admin/tracker/deletionrequest/{deletion_request.pk}/carry-out/")


@pytest.mark.django_db(transaction=False)
def test_nothing_that_identifies_the_patient_is_left_in_any_table(
    erin, bob, carol, staff, staff_client
):
    make_entry(bob, timezone.now(), note="bob-keeps-this-note")
    deletion_request = planted(erin, staff)
    needles = identifiers(erin)
    user_pk, patient_pk = erin.user.pk, erin.pk
    # The scan sees what it looks for: each marker is somewhere before the erasure.
    before = found(needles)
    assert set(MARK) <= set(before), set(MARK) - set(before)
    # SQLite stores a UUID as 32 hex digits, PostgreSQL with its dashes.
    assert {"public id", "public id (hex)"} & set(before)
    assert sessions_of(user_pk)

    response = carry_out_as(staff_client, deletion_request)

    assert response.status_code == 302
    assert not not_allowed(found(needles))
    assert not references(User._meta.db_table, user_pk)
    assert not references(Patient._meta.db_table, patient_pk)
    assert not sessions_of(user_pk)
    # What stays: the request, naming nobody, and one audit row that says it was done.
    deletion_request.refresh_from_db()
    assert deletion_request.status == DeletionStatus.DONE
    assert deletion_request.patient is None
    assert deletion_request.reason == ""
    row = AuditEvent.objects.get(object_type="erasure")
    assert (row.actor, row.action, row.object_id) == ("sam", "delete", str(deletion_request.pk))
    assert MARK["name"] not in row.detail
    # Other patients are untouched.
    assert bob.entries.get().note == "bob-keeps-this-note"
    assert Patient.objects.filter(pk__in=[bob.pk, carol.pk]).count() == 2


def test_the_scan_fails_when_a_step_is_left_out(erin, staff, staff_client, monkeypatch):
    """Without the admin-history step, the patient's name stays in django_admin_log."""
    deletion_request = planted(erin, staff)
    steps = [step for step in erasure.STEPS if step[0] != "admin history"]
    monkeypatch.setattr(erasure, "STEPS", steps)
    carry_out_as(staff_client, deletion_request)
    left = not_allowed(found(identifiers(erin)))
    assert ("django_admin_log", "object_repr") in left["name"]


def test_a_failure_at_the_last_step_leaves_everything_as_it_was(
    erin, staff, staff_client, monkeypatch
):
    deletion_request = planted(erin, staff)
    before = counts_of(erin)
    rows_before = {name: len(places) for name, places in found(identifiers(erin)).items()}

    def broken(*args, **kwargs):
        raise RuntimeError("the audit row could not be written")

    # The audit row is written last, after every delete.
    monkeypatch.setattr(erasure.audit, "record", broken)
    with pytest.raises(RuntimeError):
        erasure.carry_out(deletion_request, staff_client_request(staff))

    assert counts_of(erin) == before
    assert {name: len(p) for name, p in found(identifiers(erin)).items()} == rows_before
    deletion_request.refresh_from_db()
    assert deletion_request.status == DeletionStatus.OPEN
    assert UserSession.objects.filter(user=erin.user).exists()
    assert sessions_of(erin.user.pk)


def staff_client_request(staff):
    from django.test import RequestFactory

    request = RequestFactory().post("/admin/")
    request.user = staff
    return request


def test_carrying_out_twice_erases_once(erin, staff, staff_client):
    deletion_request = planted(erin, staff)
    carry_out_as(staff_client, deletion_request)
    response = carry_out_as(staff_client, deletion_request)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(object_type="erasure").count() == 1


def test_other_patients_keep_every_row(erin, bob, carol, staff, staff_client):
    for patient in (bob, carol):
        make_entry(patient, timezone.now(), note=f"{patient.display_name} note")
        make_session(patient, timezone.now() - timedelta(days=1), notes="kept")
        Medicine.objects.create(patient=patient, name="Kept")
    before = {p.pk: counts_of(p) for p in (bob, carol)}
    carry_out_as(staff_client, planted(erin, staff))
    assert {p.pk: counts_of(p) for p in (bob, carol)} == before
    assert User.objects.filter(username__in=["bob", "carol", "xavier", "sam"]).count() == 4


# --- Retention and purge_expired ---------------------------------------------------


def test_records_are_kept_for_the_years_after_the_last_care(alice, settings):
    settings.CLINIC_RETENTION_YEARS = 8
    today = timezone.localdate()
    assert erasure.kept_until(alice) == erasure.years_after(today, 8)
    later = timezone.now() + timedelta(days=30)
    make_session(alice, later)
    until = erasure.years_after(timezone.localdate(later), 8)
    assert erasure.kept_until(alice) == until
    assert erasure.within_retention(alice, today)
    assert not erasure.within_retention(alice, until)
    assert "legal duty" in erasure.retention_words(alice, today)
    assert erasure.retention_words(alice, until) == ""


def test_29_february_is_kept_until_28_february():
    assert erasure.years_after(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert erasure.years_after(date(2024, 2, 29), -8) == date(2016, 2, 29)


def discharged_long_ago(patient, years_ago, today):
    on = erasure.years_after(today, -years_ago)
    with freeze_at(timezone.make_aware(datetime(on.year, on.month, on.day, 10))):
        Patient.objects.filter(pk=patient.pk).update(created_at=timezone.now())
        make_entry(patient, timezone.now(), note="old entry")
    Patient.objects.filter(pk=patient.pk).update(discharged_on=on, discharge_note="done")


def test_purge_expired_is_a_dry_run_by_default_and_prints_counts_only(alice, bob, carol, settings):
    settings.CLINIC_RETENTION_YEARS = 8
    today = timezone.localdate()
    discharged_long_ago(alice, 9, today)
    discharged_long_ago(bob, 7, today)  # within the period
    out = StringIO()
    call_command("purge_expired", stdout=out)
    text = out.getvalue()
    assert "Would erase" in text and "1 patient " in text
    assert "check-ins: 1" in text
    assert "Alice" not in text and "alice" not in text
    assert Patient.objects.count() == 3


def test_purge_expired_apply_erases_only_finished_courses_past_the_period(
    alice, bob, carol, settings
):
    settings.CLINIC_RETENTION_YEARS = 8
    today = timezone.localdate()
    discharged_long_ago(alice, 9, today)
    discharged_long_ago(bob, 7, today)
    # Discharged long ago but came back: a session last month keeps the records.
    discharged_long_ago(carol, 9, today)
    make_session(carol, timezone.now() - timedelta(days=30))
    out = StringIO()
    call_command("purge_expired", "--apply", stdout=out)
    assert "Erased: 1 patient " in out.getvalue()
    assert set(Patient.objects.values_list("display_name", flat=True)) == {
        "Bob Baker",
        "Carol Carter",
    }
    assert not User.objects.filter(username="alice").exists()
    row = AuditEvent.objects.get(object_type="erasure")
    assert row.actor == "anonymous" and "retention period" in row.detail


def test_purge_expired_with_nothing_to_do(db):
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "0 patients" in out.getvalue()


def test_every_model_that_points_at_a_patient_has_its_erasure_step():
    """A new model with a foreign key to Patient needs its step in erasure.OWNED (or a
    reason here not to): a cascade would delete its rows, but never count them, and a
    SET_NULL would leave them behind."""
    from django.apps import apps

    pointing = {
        model
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.many_to_one and field.concrete and field.related_model is Patient
    }
    # Kept, naming nobody once carried out (tracker/deletion.py).
    pointing.discard(DeletionRequest)
    assert pointing == {model for _, model, _ in erasure.OWNED}


def test_the_audit_rows_left_behind_hold_no_health_data(erin, staff, staff_client, xavier_client):
    """What the practitioner did (a review, a session's outcome, a finished course) is in
    the trail as that it happened: which flags, which outcome, which date stay on the
    patient's own rows, which the erasure removes."""
    now = timezone.now()
    make_entry(erin, now - timedelta(hours=3), pain=9, numbness=9, tingling=9)
    booked = make_session(erin, now - timedelta(hours=2), status=SessionStatus.BOOKED)
    patient_url = f"/practice/patients/{erin.public_id}"
    xavier_client.post(f"{patient_url}/review/", {"note": ""})
    xavier_client.post(f"/practice/sessions/{booked.public_id}/outcome/", {"status": "attended"})
    xavier_client.post(f"{patient_url}/finish/", {"discharged_on": now.date().isoformat()})
    details = set(
        AuditEvent.objects.filter(patient_public_id=erin.public_id).values_list("detail", flat=True)
    )
    assert {"flags reviewed", "outcome recorded", "course finished"} <= details

    carry_out_as(staff_client, planted(erin, staff))

    words = [f.name for f in scores.FLAGS] + list(SessionStatus.values) + [now.date().isoformat()]
    left = " ".join(AuditEvent.objects.values_list("detail", flat=True))
    assert not [word for word in words if word in left], left


def test_deleting_a_patient_in_the_admin_erases_them_as_a_request_would(erin, staff, staff_client):
    planted(erin, staff)
    needles = identifiers(erin)
    user_pk = erin.user.pk

    response = staff_client.post(f"/admin/tracker/patient/{erin.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Patient.objects.filter(pk=erin.pk).exists()
    assert not User.objects.filter(pk=user_pk).exists()
    # Not even the admin's note of the deletion keeps the name, nor the lockout records.
    assert not not_allowed(found(needles))
    row = AuditEvent.objects.get(object_type="erasure")
    assert (row.actor, row.detail) == ("sam", "deleted in the admin")
