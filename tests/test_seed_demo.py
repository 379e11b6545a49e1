from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker import followup
from tracker.access import STAFF, role_of
from tracker.management.commands.seed_demo import DEMO_TOTP_KEY, DEMO_TOTP_SECRET
from tracker.models import (
    GlobalImpression,
    Medicine,
    MedicineEvent,
    Patient,
    Practitioner,
    SideEffectReport,
    SymptomEntry,
    TreatmentSession,
    WeeklyAnswer,
)
from tracker.reported import week_of


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


@pytest.mark.django_db
def test_seed_demo_gives_the_demo_practitioners_a_published_authenticator():
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    for username in ("demo.practitioner", "demo.practitioner2", "demo.staff"):
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert device.key == DEMO_TOTP_KEY
    assert f"secret for an authenticator app: {DEMO_TOTP_SECRET}" in out.getvalue()
    assert "otpauth://totp/" in out.getvalue()
    seed()
    assert TOTPDevice.objects.count() == 3


@pytest.mark.django_db
def test_the_demo_clinic_has_a_staff_member_whose_home_is_the_team_page(client):
    call_command("seed_demo", force=True, stdout=StringIO())
    staff = User.objects.get(username="demo.staff")
    assert staff.is_staff and not staff.is_superuser
    assert role_of(staff) == STAFF
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=staff).persistent_id
    session.save()

    page = client.get("/", follow=True)

    assert page.redirect_chain[-1][0] == "/clinic/team/"
    assert "Dr Maya Chen" in page.content.decode()
    assert "Dr Samir Haddad" in page.content.decode()


@pytest.mark.django_db
def test_demo_otp_code_prints_a_code_that_signs_the_demo_practitioner_in(settings):
    seed()
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_otp_code", stdout=out, stderr=StringIO())
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    device = TOTPDevice.objects.get(user__username="demo.practitioner")
    assert device.verify_token(code)


@pytest.mark.django_db
def test_demo_otp_code_refuses_with_debug_off():
    seed()
    with pytest.raises(CommandError, match="Debug is off"):
        call_command("demo_otp_code", stdout=StringIO())


def reported_snapshot():
    return (
        sorted(Medicine.objects.values_list("patient__display_name", "name", "dose")),
        sorted(MedicineEvent.objects.values_list("patient__display_name", "kind", "occurred_at")),
        sorted(WeeklyAnswer.objects.values_list("patient__display_name", "week_of", "fell")),
        GlobalImpression.objects.count(),
        SideEffectReport.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_gives_some_patients_medicines_events_and_answers():
    seed()
    demo = Patient.objects.get(user__username="demo.patient")
    assert demo.medicines.count() == 2
    assert demo.medicine_events.count() == 4
    # No fall for the demo patient: the worklist's journeys expect Alex unflagged.
    assert not demo.weekly_answers.filter(fell=True).exists()
    assert demo.global_impressions.count() >= 5
    assert any(r.had_any for r in SideEffectReport.objects.filter(patient=demo))
    # A fall this week: George is flagged "Fall since last review" on the worklist.
    george = Patient.objects.get(user__username="george.papadopoulos")
    assert WeeklyAnswer.objects.filter(patient=george, fell=True).count() == 2
    first = reported_snapshot()
    seed()
    assert reported_snapshot() == first


@pytest.mark.django_db
def test_the_demo_patient_is_asked_this_week_s_questions_at_their_first_check_in():
    seed()
    patient = Patient.objects.get(user__username="demo.patient")
    now = timezone.now()

    assert not patient.weekly_answers.filter(week_of=week_of(now)).exists()
    assert followup.due_after(patient.entries.latest("created_at"), now).week == week_of(now)
    # Earlier weeks were answered.
    assert patient.weekly_answers.filter(week_of__lt=week_of(now)).count() >= 6
