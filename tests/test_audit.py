"""The audit trail: one row per read or write of a patient's data, denials, sign-ins.

Each test runs one request inside `recorded()` and checks the exact rows it wrote.
"""

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import NOW, PASSWORD, freeze_at, make_patient, make_session
from tests.test_second_factor_throttle import code_now, wrong_code
from tracker import audit, security
from tracker.models import (
    AppendOnlyError,
    AuditAction,
    AuditEvent,
    AuditEventQuerySet,
    Patient,
    SymptomEntry,
    TreatmentSession,
)

INSERT_AUDIT = 'INSERT INTO "tracker_auditevent"'
VERIFY = "/accounts/verify/"
SETUP = "/accounts/two-factor/setup/"


def device_for(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


@contextmanager
def recorded():
    """The audit rows written inside the block, oldest first."""
    last = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    rows = []
    yield rows
    rows.extend(AuditEvent.objects.filter(pk__gt=last).order_by("pk"))


def summary(rows):
    return [(r.action, r.object_type, r.patient_public_id) for r in rows]


def make_entry(patient, **fields):
    values = {"recorded_at": timezone.now(), "pain": 3, "numbness": 4, "tingling": 5, **fields}
    return SymptomEntry.objects.create(patient=patient, **values)


def check_in(**changes):
    return {
        "pain": "5",
        "numbness": "4",
        "tingling": "3",
        "when": "now",
        "recorded_at": "",
        "locations": ["feet_left"],
        "note": "",
        "token": str(uuid.uuid4()),
        **changes,
    }


def edit_form(**changes):
    an_hour_ago = timezone.localtime() - timedelta(hours=1)
    data = {
        "pain": "5",
        "numbness": "4",
        "tingling": "3",
        "recorded_at": f"{an_hour_ago:%Y-%m-%dT%H:%M}",
    }
    return {**data, **changes}


SESSION_FORM = {
    "when": "2026-01-13T10:30",
    "status": "attended",
    "points_used": "ST36",
    "notes": "calm",
}


# --- Reads: exactly one row per request -------------------------------------------


def test_history_records_one_view_of_the_patients_own_data(alice_client, alice):
    make_entry(alice)
    with recorded() as rows:
        response = alice_client.get("/history/?page=1", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert summary(rows) == [(AuditAction.VIEW, "history", alice.public_id)]
    row = rows[0]
    assert (row.actor, row.actor_role, row.ip) == ("alice", "patient", "203.0.113.9")
    # The path only: a query string can carry search terms.
    assert row.path == "/history/"


@pytest.mark.parametrize(
    ("url", "action", "object_type"),
    [
        ("tracker:patient_detail", AuditAction.VIEW, "patient"),
        ("tracker:report", AuditAction.VIEW, "report"),
        ("tracker:export_csv", AuditAction.EXPORT, "csv"),
    ],
)
def test_each_practitioner_read_records_one_row(xavier_client, alice, url, action, object_type):
    make_entry(alice)
    with recorded() as rows:
        response = xavier_client.get(reverse(url, args=[alice.public_id]))

    assert response.status_code == 200
    assert summary(rows) == [(action, object_type, alice.public_id)]
    assert (rows[0].actor, rows[0].actor_role) == ("xavier", "practitioner")


def test_the_csv_row_names_the_period(xavier_client, alice):
    url = reverse("tracker:export_csv", args=[alice.public_id])
    with recorded() as rows:
        xavier_client.get(url, {"start": "2026-01-01"})

    assert rows[0].detail == "period: 2026-01-01 to any"


def test_a_refused_csv_period_exports_and_records_nothing(xavier_client, alice):
    url = reverse("tracker:export_csv", args=[alice.public_id])
    with recorded() as rows:
        response = xavier_client.get(url, {"start": "2026-02-01", "end": "2026-01-01"})

    assert response.status_code == 400
    assert rows == []


@pytest.mark.parametrize("name", ["tracker:edit_entry", "tracker:delete_entry"])
def test_opening_an_entry_to_change_it_records_one_view(alice_client, alice, name):
    entry = make_entry(alice)
    with recorded() as rows:
        response = alice_client.get(reverse(name, args=[entry.public_id]))

    assert response.status_code == 200
    assert summary(rows) == [(AuditAction.VIEW, "entry", alice.public_id)]
    assert rows[0].object_id == str(entry.public_id)


@pytest.mark.parametrize("name", ["tracker:edit_session", "tracker:delete_session"])
def test_opening_a_session_records_one_view(xavier_client, alice, name):
    session = make_session(alice, timezone.now())
    with recorded() as rows:
        response = xavier_client.get(reverse(name, args=[session.public_id]))

    assert response.status_code == 200
    assert summary(rows) == [(AuditAction.VIEW, "session", alice.public_id)]
    assert rows[0].object_id == str(session.public_id)


def test_the_worklist_records_each_patient_shown_in_one_insert(xavier_client, xavier):
    patients = [make_patient(f"p{i}", f"Patient {i:02}", xavier) for i in range(55)]
    with recorded() as rows, CaptureQueriesContext(connection) as queries:
        response = xavier_client.get("/practice/?sort=name")

    assert response.status_code == 200
    shown = {p.public_id for p in patients[:50]}  # one page of 50, by name
    assert {r.patient_public_id for r in rows} == shown
    assert len(rows) == 50
    assert {(r.action, r.object_type, r.path) for r in rows} == {
        (AuditAction.VIEW, "worklist", "/practice/")
    }
    inserts = [q for q in queries.captured_queries if q["sql"].startswith(INSERT_AUDIT)]
    assert len(inserts) == 1


def test_the_worklist_does_not_record_patients_filtered_out(xavier_client, alice, bob):
    with recorded() as rows:
        xavier_client.get("/practice/", {"q": "Alice"})

    assert summary(rows) == [(AuditAction.VIEW, "worklist", alice.public_id)]
    assert rows[0].path == "/practice/"  # the search term is not kept


# --- Writes: one row each, in the transaction of the change ------------------------


def test_a_check_in_records_one_create(alice_client, alice):
    with recorded() as rows:
        response = alice_client.post("/log/", check_in())

    assert response.status_code == 302
    entry = SymptomEntry.objects.get(patient=alice)
    assert summary(rows) == [(AuditAction.CREATE, "entry", alice.public_id)]
    assert rows[0].object_id == str(entry.public_id)


def test_an_edit_records_one_update(alice_client, alice):
    entry = make_entry(alice)
    data = edit_form(pain="9")
    with recorded() as rows:
        response = alice_client.post(reverse("tracker:edit_entry", args=[entry.public_id]), data)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.pain == 9
    assert summary(rows) == [(AuditAction.UPDATE, "entry", alice.public_id)]


def test_a_delete_records_one_delete(alice_client, alice):
    entry = make_entry(alice)
    with recorded() as rows:
        response = alice_client.post(reverse("tracker:delete_entry", args=[entry.public_id]))

    assert response.status_code == 302
    assert not SymptomEntry.objects.exists()
    assert summary(rows) == [(AuditAction.DELETE, "entry", alice.public_id)]
    assert rows[0].object_id == str(entry.public_id)


def test_session_add_edit_and_delete_record_one_row_each(xavier_client, alice):
    with recorded() as added:
        xavier_client.post(reverse("tracker:add_session", args=[alice.public_id]), SESSION_FORM)
    session = TreatmentSession.objects.get(patient=alice)
    with recorded() as edited:
        xavier_client.post(
            reverse("tracker:edit_session", args=[session.public_id]),
            {**SESSION_FORM, "points_used": "SP6"},
        )
    with recorded() as deleted:
        xavier_client.post(reverse("tracker:delete_session", args=[session.public_id]))

    assert not TreatmentSession.objects.exists()
    assert summary(added) == [(AuditAction.CREATE, "session", alice.public_id)]
    assert summary(edited) == [(AuditAction.UPDATE, "session", alice.public_id)]
    assert summary(deleted) == [(AuditAction.DELETE, "session", alice.public_id)]
    assert {r.object_id for r in added + edited + deleted} == {str(session.public_id)}


def test_adding_a_patient_and_resending_the_link_are_recorded(xavier_client, mailoutbox):
    data = {"display_name": "Dan Dunn", "email": "dan@example.com", "neuropathy_kind": "diabetic"}
    with recorded() as added:
        xavier_client.post(reverse("tracker:add_patient"), data)
    dan = Patient.objects.get(display_name="Dan Dunn")
    with recorded() as resent:
        xavier_client.post(reverse("tracker:resend_invitation", args=[dan.public_id]))

    assert summary(added) == [(AuditAction.CREATE, "patient", dan.public_id)]
    assert summary(resent) == [(AuditAction.CREATE, "invitation", dan.public_id)]


def test_a_failed_audit_write_leaves_no_entry(alice_client, alice, monkeypatch):
    def broken_insert(*args, **kwargs):
        raise DatabaseError("the audit table is unavailable")

    # Every audit row goes to the database through audit._insert.
    monkeypatch.setattr(audit, "_insert", broken_insert)
    alice_client.raise_request_exception = False

    response = alice_client.post("/log/", check_in())

    assert response.status_code == 500
    assert not SymptomEntry.objects.exists()


def test_a_failed_audit_write_leaves_the_entry_unchanged(alice_client, alice, monkeypatch):
    entry = make_entry(alice, pain=3)
    monkeypatch.setattr(audit, "_insert", lambda *a, **k: 1 / 0)
    alice_client.raise_request_exception = False

    data = edit_form(pain="9")
    response = alice_client.post(reverse("tracker:edit_entry", args=[entry.public_id]), data)

    assert response.status_code == 500
    entry.refresh_from_db()
    assert entry.pain == 3


def test_a_read_that_cannot_be_recorded_is_not_shown(alice_client, alice, monkeypatch):
    make_entry(alice, note="NOT-SHOWN-7c1d")
    monkeypatch.setattr(audit, "_insert", lambda *a, **k: 1 / 0)
    alice_client.raise_request_exception = False

    response = alice_client.get("/history/")

    assert response.status_code == 500
    assert "NOT-SHOWN-7c1d" not in response.content.decode()


# --- Denied: a 404 on someone else's record is recorded, without naming the patient -----


def test_a_practitioner_opening_another_practitioners_patient_is_denied(yara_client, alice):
    with recorded() as rows:
        response = yara_client.get(reverse("tracker:patient_detail", args=[alice.public_id]))

    assert response.status_code == 404
    assert summary(rows) == [(AuditAction.DENIED, "patient", None)]
    assert (rows[0].actor, rows[0].object_id) == ("yara", str(alice.public_id))


def test_a_patient_opening_another_patients_entry_is_denied(bob_client, alice):
    entry = make_entry(alice)
    with recorded() as rows:
        response = bob_client.get(reverse("tracker:edit_entry", args=[entry.public_id]))

    assert response.status_code == 404
    assert summary(rows) == [(AuditAction.DENIED, "entry", None)]
    assert (rows[0].actor, rows[0].object_id) == ("bob", str(entry.public_id))


def test_another_practitioners_session_is_denied(yara_client, alice):
    session = make_session(alice, timezone.now())
    with recorded() as rows:
        response = yara_client.post(reverse("tracker:delete_session", args=[session.public_id]))

    assert response.status_code == 404
    assert TreatmentSession.objects.exists()
    assert summary(rows) == [(AuditAction.DENIED, "session", None)]


def test_a_patient_on_a_practitioner_page_is_denied(alice_client, alice):
    with recorded() as rows:
        response = alice_client.get(reverse("tracker:report", args=[alice.public_id]))

    assert response.status_code == 404
    assert summary(rows) == [(AuditAction.DENIED, "page", None)]
    assert rows[0].object_id == str(alice.public_id)


# --- Signing in and out ----------------------------------------------------------


def test_signing_in_failing_and_signing_out_are_recorded(client, alice):
    with recorded() as failed:
        client.post("/accounts/login/", {"username": "alice", "password": "wrong guess"})
    with recorded() as signed_in:
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    with recorded() as signed_out:
        client.post("/accounts/logout/")

    assert [(r.action, r.actor, r.detail) for r in failed] == [
        (AuditAction.LOGIN_FAILED, "anonymous", "username: alice")
    ]
    assert [(r.action, r.actor, r.actor_role) for r in signed_in] == [
        (AuditAction.LOGIN, "alice", "patient")
    ]
    assert [(r.action, r.actor) for r in signed_out] == [(AuditAction.LOGOUT, "alice")]
    for row in failed + signed_in:
        assert row.ip == "127.0.0.1"
        assert "wrong guess" not in str(vars(row))
        assert PASSWORD not in str(vars(row))


# --- The second factor: "signed in" only when sign-in is complete ---------------------


def sign_in_with_password(client, username):
    client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def sign_in_rows(rows):
    return [(r.action, r.actor, r.actor_role, r.detail) for r in rows]


def test_a_practitioner_is_signed_in_only_after_the_code_and_each_code_is_recorded(client, xavier):
    device = device_for(xavier.user)
    with freeze_at(NOW) as clock:
        with recorded() as password:
            sign_in_with_password(client, "xavier")
        with recorded() as wrong:
            client.post(VERIFY, {"code": wrong_code(device)})
        with recorded() as too_soon:
            client.post(VERIFY, {"code": code_now(device)})
        clock.shift(timedelta(seconds=1))
        with recorded() as right:
            client.post(VERIFY, {"code": code_now(device)})

    assert password == []  # the password alone is not a sign-in
    assert sign_in_rows(wrong) == [
        (AuditAction.LOGIN_FAILED, "xavier", "practitioner", "wrong second-factor code")
    ]
    assert sign_in_rows(too_soon) == [
        (
            AuditAction.LOGIN_FAILED,
            "xavier",
            "practitioner",
            "second-factor code not checked: 1 s to wait after wrong codes",
        )
    ]
    assert sign_in_rows(right) == [
        (AuditAction.LOGIN, "xavier", "practitioner", "second factor: authenticator app")
    ]
    assert {r.path for r in wrong + too_soon + right} == {VERIFY}


def test_a_sign_in_with_a_backup_code_is_recorded_as_such(client, xavier):
    device_for(xavier.user)
    codes = security.new_backup_codes(xavier.user)
    sign_in_with_password(client, "xavier")
    with recorded() as rows:
        client.post(VERIFY, {"code": codes[0]})

    assert sign_in_rows(rows) == [
        (AuditAction.LOGIN, "xavier", "practitioner", "second factor: backup code")
    ]


def test_a_patient_with_a_device_is_signed_in_after_the_code(client, alice):
    device = device_for(alice.user)
    with recorded() as password:
        sign_in_with_password(client, "alice")
    with recorded() as code:
        client.post(VERIFY, {"code": code_now(device)})

    assert password == []
    assert sign_in_rows(code) == [
        (AuditAction.LOGIN, "alice", "patient", "second factor: authenticator app")
    ]


def test_a_first_sign_in_is_complete_when_the_new_app_gives_its_first_code(client, xavier):
    with recorded() as password:
        sign_in_with_password(client, "xavier")
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=xavier.user, confirmed=False)
    with recorded() as wrong:
        client.post(SETUP, {"code": wrong_code(device)})
    with recorded() as right:
        client.post(SETUP, {"code": code_now(device)})

    assert password == []
    assert sign_in_rows(wrong) == [
        (
            AuditAction.LOGIN_FAILED,
            "xavier",
            "practitioner",
            "wrong code from a new authenticator app",
        )
    ]
    assert sign_in_rows(right) == [
        (AuditAction.LOGIN, "xavier", "practitioner", "second factor: new authenticator app")
    ]


def test_a_patient_turning_on_two_step_sign_in_is_not_signing_in_again(alice_client, alice):
    alice_client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice.user)
    with recorded() as rows:
        alice_client.post(SETUP, {"code": code_now(device)})

    assert security.has_confirmed_device(alice.user)
    assert [r.action for r in rows] == []


# --- Append-only ---------------------------------------------------------------


@pytest.fixture
def row(alice):
    return AuditEvent.objects.create(actor="alice", action=AuditAction.VIEW, path="/history/")


def test_the_orm_refuses_to_change_or_delete_audit_rows(row):
    row.detail = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=row.pk).update(detail="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    # bulk_update runs inside an atomic block of its own; keep the test's transaction usable.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([row], ["detail"])

    assert AuditEvent.objects.get(pk=row.pk).detail == ""


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger exists on PostgreSQL only (migration 0003)",
)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tracker_auditevent SET detail = 'changed'",
        "DELETE FROM tracker_auditevent",
    ],
)
def test_postgresql_refuses_update_and_delete_below_the_orm(row, statement):
    refused = pytest.raises(DatabaseError, match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk)._raw_delete(connection.alias)

    assert AuditEvent.objects.get(pk=row.pk).detail == ""


# --- The admin: staff browse, nobody edits ------------------------------------------


def test_staff_can_browse_and_search_the_trail(staff_client, alice, row):
    AuditEvent.objects.create(
        actor="xavier",
        action=AuditAction.EXPORT,
        patient_public_id=alice.public_id,
        object_type="csv",
    )
    changelist = "/admin/tracker/auditevent/"

    assert staff_client.get(changelist).status_code == 200
    found = staff_client.get(changelist, {"q": str(alice.public_id)})
    assert found.status_code == 200
    assert found.context["cl"].result_count == 1
    filtered = staff_client.get(changelist, {"action__exact": "export"})
    assert filtered.context["cl"].result_count == 1
    page = staff_client.get(f"{changelist}{row.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_nobody_can_add_change_or_delete_in_the_admin(staff_client, row):
    base = "/admin/tracker/auditevent/"

    assert staff_client.get(f"{base}add/").status_code == 403
    assert staff_client.post(f"{base}{row.pk}/change/", {"detail": "x"}).status_code == 403
    assert staff_client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    staff_client.post(base, bulk)

    assert AuditEvent.objects.get(pk=row.pk).detail == ""


def test_rows_stay_when_the_patient_is_removed(xavier_client, alice):
    xavier_client.get(reverse("tracker:patient_detail", args=[alice.public_id]))
    public_id = alice.public_id
    alice.user.delete()

    assert AuditEvent.objects.filter(patient_public_id=public_id).count() == 1


# --- Patient data in the admin is audited like the app's pages -------------------------


ENTRIES_ADMIN = "/admin/tracker/symptomentry/"


def test_the_admin_list_of_entries_records_each_entry_shown(staff_client, alice, bob):
    make_entry(alice)
    make_entry(bob)
    with recorded() as rows, CaptureQueriesContext(connection) as queries:
        response = staff_client.get(ENTRIES_ADMIN)

    assert response.status_code == 200
    assert sorted(summary(rows), key=str) == sorted(
        [
            (AuditAction.VIEW, "entry", alice.public_id),
            (AuditAction.VIEW, "entry", bob.public_id),
        ],
        key=str,
    )
    assert {r.actor_role for r in rows} == {"staff"}
    inserts = [q for q in queries.captured_queries if q["sql"].startswith(INSERT_AUDIT)]
    assert len(inserts) == 1


def test_the_admin_records_opening_changing_and_deleting_an_entry(staff_client, alice):
    entry = make_entry(alice, pain=3)
    url = f"{ENTRIES_ADMIN}{entry.pk}/change/"
    local = timezone.localtime(entry.recorded_at)
    form = {
        "patient": alice.pk,
        "recorded_at_0": f"{local:%Y-%m-%d}",
        "recorded_at_1": f"{local:%H:%M:%S}",
        "pain": "8",
        "numbness": "4",
        "tingling": "5",
        "locations": "[]",
        "note": "",
    }
    with recorded() as opened:
        assert staff_client.get(url).status_code == 200
    with recorded() as changed:
        assert staff_client.post(url, form).status_code == 302
    with recorded() as deleted:
        staff_client.post(f"{ENTRIES_ADMIN}{entry.pk}/delete/", {"post": "yes"})

    assert summary(opened) == [(AuditAction.VIEW, "entry", alice.public_id)]
    assert summary(changed) == [(AuditAction.UPDATE, "entry", alice.public_id)]
    assert summary(deleted) == [(AuditAction.DELETE, "entry", alice.public_id)]
    assert not SymptomEntry.objects.exists()


def test_a_bulk_delete_in_the_admin_records_each_entry(staff_client, alice, bob):
    entries = [make_entry(alice), make_entry(bob)]
    data = {"action": "delete_selected", "_selected_action": [e.pk for e in entries], "post": "yes"}
    with recorded() as rows:
        staff_client.post(ENTRIES_ADMIN, data)

    assert not SymptomEntry.objects.exists()
    assert {(r.action, r.object_id) for r in rows} == {
        (AuditAction.DELETE, str(e.public_id)) for e in entries
    }


def test_an_admin_delete_whose_audit_write_fails_deletes_nothing(staff_client, alice, monkeypatch):
    entry = make_entry(alice)

    def broken(self, *args, **kwargs):
        raise DatabaseError("the audit table is unavailable")

    monkeypatch.setattr(AuditEventQuerySet, "bulk_create", broken)
    staff_client.raise_request_exception = False

    response = staff_client.post(f"{ENTRIES_ADMIN}{entry.pk}/delete/", {"post": "yes"})

    assert response.status_code == 500
    assert SymptomEntry.objects.filter(pk=entry.pk).exists()


# --- The admin's lists of people: users, patients, and the autocomplete boxes -----------

AUTOCOMPLETE = "/admin/autocomplete/"


def test_the_admin_autocomplete_records_each_patient_it_lists(staff_client, alice, bob):
    """The patient box of the session and entry forms: every patient's name, 20 at a time."""
    query = {"app_label": "tracker", "model_name": "treatmentsession", "field_name": "patient"}
    with recorded() as everyone:
        response = staff_client.get(AUTOCOMPLETE, {**query, "term": ""})
    with recorded() as searched:
        staff_client.get(AUTOCOMPLETE, {**query, "term": "Ali"})

    assert response.status_code == 200
    listed = {r["text"] for r in response.json()["results"]}
    assert listed == {"Alice Archer", "Bob Baker"}
    assert sorted(summary(everyone), key=str) == sorted(
        [
            (AuditAction.VIEW, "patient", alice.public_id),
            (AuditAction.VIEW, "patient", bob.public_id),
        ],
        key=str,
    )
    assert {(r.actor, r.path, r.detail) for r in everyone} == {
        ("sam", AUTOCOMPLETE, "admin autocomplete")
    }
    assert summary(searched) == [(AuditAction.VIEW, "patient", alice.public_id)]


def test_the_admin_autocomplete_of_users_records_each_user_it_lists(staff_client, alice):
    query = {"app_label": "tracker", "model_name": "patient", "field_name": "user", "term": "ali"}
    with recorded() as rows:
        response = staff_client.get(AUTOCOMPLETE, query)

    assert [r["text"] for r in response.json()["results"]] == ["alice"]
    assert summary(rows) == [(AuditAction.VIEW, "user", alice.public_id)]
    assert rows[0].object_id == str(alice.user.pk)


def test_the_admin_user_list_records_each_user_shown(staff_client, staff, alice, xavier):
    with recorded() as rows, CaptureQueriesContext(connection) as queries:
        response = staff_client.get("/admin/auth/user/")

    assert response.status_code == 200
    assert {(r.action, r.object_type, r.object_id, r.patient_public_id) for r in rows} == {
        (AuditAction.VIEW, "user", str(alice.user.pk), alice.public_id),
        (AuditAction.VIEW, "user", str(xavier.user.pk), None),
        (AuditAction.VIEW, "user", str(staff.pk), None),
    }
    inserts = [q for q in queries.captured_queries if q["sql"].startswith(INSERT_AUDIT)]
    assert len(inserts) == 1


def test_opening_a_user_in_the_admin_is_recorded(staff_client, alice):
    with recorded() as rows:
        response = staff_client.get(f"/admin/auth/user/{alice.user.pk}/change/")

    assert response.status_code == 200
    assert summary(rows) == [(AuditAction.VIEW, "user", alice.public_id)]


def test_the_admin_patient_list_records_each_patient_shown(staff_client, alice, bob):
    with recorded() as rows:
        staff_client.get("/admin/tracker/patient/")

    assert {r.patient_public_id for r in rows} == {alice.public_id, bob.public_id}
    assert {(r.action, r.object_type) for r in rows} == {(AuditAction.VIEW, "patient")}
