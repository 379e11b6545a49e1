"""Signing in: lockout, the second factor, session limits, ending sessions, a patient's own data."""

import json
from base64 import b32encode
from datetime import datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, client_for, make_user, verified_client_for
from tracker import security
from tracker.models import AuditAction, AuditEvent, SymptomEntry, TreatmentSession, UserSession

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
VERIFY = "/accounts/verify/"
SETUP = "/accounts/two-factor/setup/"
BACKUP = "/accounts/two-factor/backup-codes/"
PASSWORD_CHANGE = "/accounts/password/"
MY_DATA = "/account/my-data.json"
T0 = datetime.fromisoformat("2026-05-04T09:00:00+00:00")
NEW_PASSWORD = "a quiet walk by the canal"

pytestmark = pytest.mark.django_db


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client):
    return "_auth_user_id" in client.session


def device_for(user, **extra):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True, **extra)


def code_now(device):
    """The code the person's phone shows at this moment (time_machine moves it)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def session_key(client):
    return client.cookies["sessionid"].value


def patient_pages(alice):
    base = f"/practice/patients/{alice.public_id}/"
    return ["/practice/", base, base + "export.csv", base + "report/"]


# Lockout (django-axes)


def test_ten_wrong_passwords_pause_the_account_for_15_minutes(client, alice):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(9):
            assert sign_in(client, "alice", "not my password").status_code == 200
        tenth = sign_in(client, "alice", "not my password")
        assert tenth.status_code == 429
        assert AccessAttempt.objects.get(username="alice").failures_since_start == 10

        # The right password is refused during the cool-off, with a plain explanation.
        response = sign_in(client, "alice")
        assert response.status_code == 429
        body = response.content.decode()
        assert "Too many attempts" in body
        assert "try again in 15 minutes" in body
        assert "ask the clinic" in body
        assert not signed_in(client)

        # A try during the pause is refused, and not counted: it does not extend the pause.
        clock.shift(timedelta(minutes=14, seconds=59))
        assert sign_in(client, "alice").status_code == 429
        assert not signed_in(client)
        assert AccessAttempt.objects.get(username="alice").failures_since_start == 10

        # Not a permanent lock: 15 minutes after the tenth failure the right password works.
        clock.shift(timedelta(seconds=2))
        response = sign_in(client, "alice")
        assert response.status_code == 302
        assert signed_in(client)


def test_a_lockout_from_one_address_does_not_lock_the_patient_out_elsewhere(client, alice):
    for _ in range(10):
        sign_in(client, "alice", "guess", REMOTE_ADDR="203.0.113.9")
    assert sign_in(Client(), "alice", REMOTE_ADDR="203.0.113.9").status_code == 429
    home = Client()
    assert sign_in(home, "alice", REMOTE_ADDR="198.51.100.7").status_code == 302
    assert signed_in(home)


def test_failed_and_successful_sign_ins_are_logged(client, alice):
    sign_in(client, "alice", "wrong")
    assert AccessAttempt.objects.filter(username="alice", failures_since_start=1).exists()
    sign_in(client, "alice")
    assert AccessLog.objects.filter(username="alice").exists()


# Odd input at sign-in (issue 14, item 3)


@pytest.mark.parametrize("length", [151, 255, 256, 300, 10_000])
def test_a_username_too_long_for_any_account_gets_a_form_error_and_is_audited(client, length):
    """Over 255 characters, django-axes' insert failed: an anonymous 500, and no audit row."""
    tried = "a" * length
    response = sign_in(client, tried, "whatever")
    assert response.status_code == 200
    assert "A username has at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()  # refused before anything was written
    row = AuditEvent.objects.get()
    assert (row.action, row.actor, row.object_type) == (
        AuditAction.LOGIN_FAILED,
        "anonymous",
        "account",
    )
    assert row.detail.startswith(f"username refused ({length} characters): aaaa")
    assert len(row.detail) <= 255


def test_a_username_of_150_characters_is_an_ordinary_failed_sign_in(client):
    response = sign_in(client, "b" * 150, "whatever")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert AccessAttempt.objects.get().username == "b" * 150
    row = AuditEvent.objects.get()
    assert (row.action, row.detail) == (AuditAction.LOGIN_FAILED, "username: " + "b" * 150)


def test_a_username_with_a_null_character_is_refused_and_audited(client):
    """PostgreSQL text cannot hold NUL: the form refuses it, and the audit row replaces it."""
    response = sign_in(client, "ali\x00ce", "whatever")
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    row = AuditEvent.objects.get()
    assert row.action == AuditAction.LOGIN_FAILED
    assert row.detail == "username refused (6 characters): ali\ufffdce"


# The second factor


@pytest.mark.parametrize("with_device", [True, False])
def test_a_practitioner_with_only_a_password_reaches_no_patient_data(
    client, xavier, alice, with_device
):
    if with_device:
        device_for(xavier.user)
    SymptomEntry.objects.create(
        patient=alice, recorded_at=timezone.now(), pain=3, numbness=3, tingling=3
    )
    assert sign_in(client, "xavier").status_code == 302
    assert signed_in(client)

    step = VERIFY if with_device else SETUP
    for url in patient_pages(alice):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(step + "?next="), url
        assert "Alice" not in response.content.decode()
    # Writes are refused too, and nothing is saved.
    response = client.post(
        f"/practice/patients/{alice.public_id}/sessions/new/", {"when": "2026-05-04T10:00"}
    )
    assert response.status_code == 302
    assert response.url == step
    assert not TreatmentSession.objects.exists()


def test_staff_need_the_second_factor_for_the_admin(client, staff):
    device_for(staff)
    sign_in(client, "sam")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


def test_a_wrong_code_is_refused_and_the_right_one_lets_the_practitioner_in(client, xavier, alice):
    device = device_for(xavier.user)
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, "xavier")
        response = client.post(VERIFY, {"code": "000000", "next": "/practice/"})
        assert response.status_code == 200
        assert "That code did not work" in response.content.decode()
        assert client.get("/practice/").status_code == 302

        # Each failure makes the next try wait longer (1 s, 2 s, 4 s...).
        response = client.post(VERIFY, {"code": code_now(device)})
        assert "Too many wrong codes" in response.content.decode()

        clock.shift(timedelta(seconds=5))
        before = session_key(client)
        response = client.post(VERIFY, {"code": code_now(device), "next": "/practice/"})
        assert response.status_code == 302
        assert response.url == "/practice/"
        assert session_key(client) != before  # a new key with the new rights
        assert "Alice Archer" in client.get("/practice/").content.decode()


def test_a_code_works_only_once(client, xavier):
    device = device_for(xavier.user)
    with time_machine.travel(T0, tick=False):
        code = code_now(device)
        sign_in(client, "xavier")
        assert client.post(VERIFY, {"code": code}).status_code == 302
        other = Client()
        sign_in(other, "xavier")
        assert other.post(VERIFY, {"code": code}).status_code == 200
        assert other.get("/practice/").status_code == 302


def test_verify_ignores_a_next_link_to_another_site(client, xavier):
    device = device_for(xavier.user)
    sign_in(client, "xavier")
    response = client.post(VERIFY, {"code": code_now(device), "next": "https://evil.example/"})
    assert response.url == "/"


def test_a_backup_code_works_once(client, xavier):
    device_for(xavier.user)
    codes = security.new_backup_codes(xavier.user)
    assert len(codes) == 10
    sign_in(client, "xavier")
    assert all(len(code) == 11 and code[5] == "-" for code in codes)  # 12345-67890
    typed = " " + codes[0].replace("-", " ")  # however it is typed
    response = client.post(VERIFY, {"code": typed, "next": "/practice/"}, follow=True)
    assert response.status_code == 200
    assert "9 left" in response.content.decode()

    again = Client()
    sign_in(again, "xavier")
    assert again.post(VERIFY, {"code": codes[0]}).status_code == 200
    assert again.get("/practice/").status_code == 302
    assert StaticToken.objects.count() == 9


def test_a_patient_without_a_device_is_not_asked(client, alice):
    sign_in(client, "alice")
    assert client.get("/log/").status_code == 200


def test_a_patient_with_a_device_is_asked_however_they_signed_in(alice):
    device_for(alice.user)
    by_password = Client()
    sign_in(by_password, "alice")
    # login() without the login page, as an invitation link or a password reset does.
    by_link = client_for(alice.user)
    for client in (by_password, by_link):
        response = client.get("/history/")
        assert response.status_code == 302
        assert response.url.startswith(VERIFY)


def test_a_device_turned_on_elsewhere_is_asked_for_within_a_minute(alice):
    with time_machine.travel(T0, tick=False) as clock:
        laptop = client_for(alice.user)
        assert laptop.get("/log/").status_code == 200
        device_for(alice.user)
        clock.shift(timedelta(seconds=61))
        laptop.get("/log/")
        response = laptop.get("/log/")
        assert response.status_code == 302
        assert response.url.startswith(VERIFY)


def test_while_unverified_only_the_second_step_learn_pages_and_sign_out_are_open(client, xavier):
    device_for(xavier.user)
    sign_in(client, "xavier")
    assert client.get(VERIFY).status_code == 200
    assert client.get("/learn/").status_code == 200
    for url in ("/account/", PASSWORD_CHANGE, BACKUP, SETUP):
        assert client.get(url).url.startswith(VERIFY), url
    assert client.post(LOGOUT).status_code == 302
    assert not signed_in(client)


def test_htmx_requests_are_sent_to_the_second_step_as_a_full_page(client, xavier):
    device_for(xavier.user)
    sign_in(client, "xavier")
    response = client.get("/practice/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(VERIFY)


def test_a_practitioner_enrols_on_first_sign_in_and_gets_backup_codes_once(client, xavier):
    sign_in(client, "xavier")
    assert client.get("/practice/").url.startswith(SETUP)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=xavier.user, confirmed=False)
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "style=" not in svg  # the CSP forbids inline styles
    assert 'role="img"' in svg and "<title>" in svg
    secret = b32encode(device.bin_key).decode()
    assert secret[:4] + " " + secret[4:8] in page

    response = client.post(SETUP, {"code": "123456"})
    assert "That code did not work" in response.content.decode()
    device.throttle_reset()

    response = client.post(SETUP, {"code": code_now(device), "next": "/practice/"})
    assert response.status_code == 200
    body = response.content.decode()
    codes = [
        f"{token[:5]}-{token[5:]}"
        for token in StaticToken.objects.filter(device__user=xavier.user).values_list(
            "token", flat=True
        )
    ]
    assert len(codes) == 10
    assert all(code in body for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/practice/").status_code == 200
    # Shown once: the setup page now sends them away, and the codes page shows none.
    assert client.get(SETUP).url == "/account/"
    assert codes[0] not in client.get(BACKUP).content.decode()


def test_backup_codes_can_be_replaced(xavier_client, xavier):
    old = security.new_backup_codes(xavier.user)
    response = xavier_client.post(BACKUP)
    new = [f"{t[:5]}-{t[5:]}" for t in StaticToken.objects.values_list("token", flat=True)]
    assert len(new) == 10 and not set(old) & set(new)
    assert all(code in response.content.decode() for code in new)
    other = Client()
    sign_in(other, "xavier")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert other.post(VERIFY, {"code": old[0]}).status_code == 200  # refused
        clock.shift(timedelta(seconds=2))  # the wait after a wrong code
        assert other.post(VERIFY, {"code": new[0]}).status_code == 302


def test_a_patient_may_turn_on_two_step_sign_in(alice_client, alice):
    assert "Turn on two-step sign-in" in alice_client.get("/account/").content.decode()
    alice_client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice.user)
    alice_client.post(SETUP, {"code": code_now(device)})
    assert security.has_confirmed_device(alice.user)
    assert alice_client.get("/log/").status_code == 200  # this session is verified
    other = Client()
    sign_in(other, "alice")
    assert other.get("/log/").url.startswith(VERIFY)


def test_a_user_with_no_role_is_neither_asked_nor_told_they_need_a_second_factor(client, db):
    # Signed in, but not yet linked to a patient or practitioner record, and not staff.
    make_user("nina")
    sign_in(client, "nina")
    assert "not set up yet" in client.get("/").content.decode()  # not sent to enrol

    account = client.get("/account/").content.decode()
    assert "Your account needs two-step sign-in" not in account
    assert "Turn on two-step sign-in" in account

    setup = client.get(SETUP).content.decode()
    assert "it needs a second step at sign-in" not in setup
    assert "Not now: back to my account" in setup


# Session limits


def test_idle_limits_depend_on_the_role(alice_client, xavier_client, staff_client):
    for client, seconds in (
        (alice_client, 14 * 24 * 3600),
        (xavier_client, 30 * 60),
        (staff_client, 30 * 60),
    ):
        client.get("/")
        assert client.session.get_expiry_age() == seconds


def test_a_user_with_no_role_has_the_patients_idle_limit(db):
    client = client_for(make_user("nina"))
    client.get("/")
    assert client.session.get_expiry_age() == 14 * 24 * 3600


def test_a_practitioner_is_signed_out_after_30_minutes_idle(xavier):
    with time_machine.travel(T0, tick=False) as clock:
        client = verified_client_for(xavier.user)
        clock.shift(timedelta(minutes=29))
        assert client.get("/practice/").status_code == 200
        clock.shift(timedelta(minutes=29))  # active: the half hour starts again
        assert client.get("/practice/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/practice/")
        assert response.status_code == 302
        assert response.url.startswith(LOGIN)


def test_a_patient_is_signed_out_after_14_days_idle(alice):
    with time_machine.travel(T0, tick=False) as clock:
        client = client_for(alice.user)
        clock.shift(timedelta(days=13))
        assert client.get("/log/").status_code == 200
        clock.shift(timedelta(days=13))
        assert client.get("/log/").status_code == 200
        clock.shift(timedelta(days=14, minutes=1))
        assert client.get("/log/").url.startswith(LOGIN)


def test_a_practitioner_is_signed_out_after_12_hours_even_when_active(xavier):
    with time_machine.travel(T0, tick=False) as clock:
        client = verified_client_for(xavier.user)
        for _ in range(35):  # every 20 minutes for 11 h 40
            clock.shift(timedelta(minutes=20))
            assert client.get("/practice/").status_code == 200
        clock.shift(timedelta(minutes=21))  # 12 h 01
        response = client.get("/practice/", follow=True)
        assert response.redirect_chain[0][0] == LOGIN + "?next=/practice/"
        assert "signed out after 12 hours" in response.content.decode()
        assert not signed_in(client)


def test_a_patient_has_no_absolute_limit(alice):
    with time_machine.travel(T0, tick=False) as clock:
        client = client_for(alice.user)
        for _ in range(30):
            clock.shift(timedelta(days=1))
            assert client.get("/log/").status_code == 200


def test_signing_in_gives_a_new_session_key(client, alice):
    session = client.session
    session["before"] = "sign-in"
    session.save()
    before = session_key(client)
    sign_in(client, "alice")
    assert session_key(client) != before
    assert not Session.objects.filter(session_key=before).exists()


# Ending sessions


def test_signing_out_kills_the_old_cookie(xavier_client):
    old = session_key(xavier_client)
    xavier_client.post(LOGOUT)
    replay = Client()
    replay.cookies["sessionid"] = old
    response = replay.get("/practice/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_signing_out_ends_the_users_other_sessions(alice, bob_client):
    phone, laptop = client_for(alice.user), client_for(alice.user)
    phone.post(LOGOUT)
    assert laptop.get("/log/").url.startswith(LOGIN)
    assert bob_client.get("/log/").status_code == 200  # other people are not affected
    assert not UserSession.objects.filter(user=alice.user).exists()


def change_password(client):
    return client.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_a_password_change_ends_other_sessions_and_keeps_this_one(alice):
    here, elsewhere = client_for(alice.user), client_for(alice.user)
    before = session_key(here)
    response = change_password(here)
    assert response.status_code == 302
    assert response.url == "/account/"
    assert here.get("/log/").status_code == 200
    assert elsewhere.get("/log/").url.startswith(LOGIN)
    # This session has a new key, tracked, so that signing out later ends it too.
    assert session_key(here) != before
    assert not Session.objects.filter(session_key=before).exists()
    here.get("/log/")
    assert UserSession.objects.filter(session_key=session_key(here)).exists()


def test_a_password_change_ends_even_untracked_sessions(alice):
    """Django's session hash check: a session made before the change no longer matches."""
    here, elsewhere = client_for(alice.user), client_for(alice.user)
    UserSession.objects.all().delete()
    change_password(here)
    assert here.get("/log/").status_code == 200
    assert elsewhere.get("/log/").url.startswith(LOGIN)


def test_a_password_change_keeps_the_second_factor(xavier_client):
    change_password(xavier_client)
    assert xavier_client.get("/practice/").status_code == 200


def test_a_password_set_by_staff_ends_the_users_sessions(alice, alice_client):
    alice.user.set_password(NEW_PASSWORD)
    alice.user.save()
    assert alice_client.get("/log/").url.startswith(LOGIN)


def test_deactivation_ends_the_users_sessions(alice, alice_client):
    key = session_key(alice_client)
    alice.user.is_active = False
    alice.user.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert alice_client.get("/log/").url.startswith(LOGIN)


def test_dead_sessions_are_forgotten_at_the_next_sign_in(alice):
    with time_machine.travel(T0, tick=False) as clock:
        client_for(alice.user)
        clock.shift(timedelta(days=15))
        client_for(alice.user)
    assert UserSession.objects.filter(user=alice.user).count() == 1


def test_the_fixture_clients_are_verified(xavier_client):
    assert DEVICE_ID_SESSION_KEY in xavier_client.session


# Account page and a patient's own data


def test_the_account_page_offers_what_each_role_needs(alice_client, xavier_client):
    patient = alice_client.get("/account/").content.decode()
    assert "Download all my data (JSON)" in patient
    assert "Change my password" in patient
    practitioner = xavier_client.get("/account/").content.decode()
    assert "Download all my data" not in practitioner
    assert "On: after your password" in practitioner


def test_my_data_holds_all_of_my_data_and_nothing_else(alice_client, alice, bob):
    SymptomEntry.objects.create(
        patient=alice,
        recorded_at=timezone.now(),
        pain=7,
        numbness=2,
        tingling=5,
        locations=["feet_left"],
        note="Burning after the walk",
    )
    SymptomEntry.objects.create(
        patient=bob, recorded_at=timezone.now(), pain=1, numbness=1, tingling=1, note="Bob's own"
    )
    TreatmentSession.objects.create(
        patient=alice,
        practitioner=alice.practitioner,
        when=timezone.now(),
        points_used="ST36, SP6",
        notes="Practitioner only: consider referral",
    )
    response = alice_client.get(MY_DATA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="relief-tracker-my-')
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    data = json.loads(text)
    assert data["profile"]["name"] == "Alice Archer"
    assert data["profile"]["practitioner"] == "Dr Xavier"
    assert data["profile"]["neuropathy_kind"] == "Diabetic"
    [entry] = data["entries"]
    assert (entry["pain"], entry["numbness"], entry["tingling"]) == (7, 2, 5)
    assert entry["locations"] == ["Left foot"]
    assert entry["note"] == "Burning after the walk"
    assert entry["entered_in_clinic_by"] is None
    assert data["sessions"] == [
        {"when": data["sessions"][0]["when"], "status": "Booked", "points_used": "ST36, SP6"}
    ]
    assert "referral" not in text and "notes" not in data["sessions"][0]
    assert "Bob" not in text


def test_staff_can_remove_a_lost_device_but_not_read_its_secret(staff_client, xavier):
    device = device_for(xavier.user)
    security.new_backup_codes(xavier.user)
    token = StaticToken.objects.first().token
    page = staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    backup = StaticToken.objects.first().device
    static = staff_client.get(f"/admin/otp_static/staticdevice/{backup.pk}/change/")
    assert static.status_code == 200
    assert token not in static.content.decode()
    staff_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_signing_out_before_the_second_step_ends_only_that_session(xavier_client, xavier):
    """Someone with only the password cannot sign the practitioner out everywhere."""
    intruder = Client()
    sign_in(intruder, "xavier")
    intruder.post(LOGOUT)
    assert not signed_in(intruder)
    assert xavier_client.get("/practice/").status_code == 200


def test_the_test_clients_logout_ends_the_users_sessions(alice):
    phone, laptop = client_for(alice.user), client_for(alice.user)
    phone.logout()
    assert laptop.get("/log/").url.startswith(LOGIN)
