"""Asking to be erased (tracker/views/erasure.py) and deciding in the admin (tracker/admin.py)."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import PASSWORD, body, client_for, make_entry, text, verified_client_for
from tracker.models import AuditEvent, DeletionRequest, DeletionStatus, Patient

URL = "/account/erase/"


def admin_url(deletion_request, part=""):
    return f"/admin/tracker/deletionrequest/{deletion_request.pk}/{part}"


def ask(patient, reason=""):
    return DeletionRequest.objects.create(
        patient=patient, reason=reason, requested_at=timezone.now()
    )


# --- The patient's side -----------------------------------------------------------


def test_the_page_says_what_is_erased_and_what_may_be_kept(alice_client, settings):
    settings.CLINIC_RETENTION_YEARS = 8
    shown = text(body(alice_client.get(URL)))
    assert "What is erased" in shown
    assert "What the clinic may have to keep" in shown
    assert "this clinic: 8 years" in shown
    assert "Your password" in shown


def test_it_needs_the_password_and_asks_nothing_without_it(alice, alice_client):
    response = alice_client.post(URL, {"password": "not my password", "reason": "moving"})
    assert response.status_code == 200
    assert "That is not your password" in text(body(response))
    assert not DeletionRequest.objects.exists()
    assert AuditEvent.objects.filter(action="denied", object_type="deletion request").exists()


def test_an_empty_form_is_refused_with_a_message(alice_client):
    response = alice_client.post(URL, {})
    assert response.status_code == 200
    assert "Please type your password." in text(body(response))
    assert not DeletionRequest.objects.exists()


def test_a_reason_too_long_is_refused(alice_client):
    response = alice_client.post(URL, {"password": PASSWORD, "reason": "x" * 1001})
    assert response.status_code == 200
    assert "Please keep it to 1000 characters" in text(body(response))
    assert not DeletionRequest.objects.exists()


def test_the_patient_asks_and_sees_it_waiting(alice, alice_client):
    response = alice_client.post(URL, {"password": PASSWORD, "reason": "I moved away"})
    assert response.status_code == 302 and response.url == "/account/"
    made = DeletionRequest.objects.get()
    assert (made.patient, made.status, made.reason) == (alice, DeletionStatus.OPEN, "I moved away")
    assert AuditEvent.objects.filter(
        action="create", object_type="deletion request", object_id=str(made.pk)
    ).exists()
    shown = text(body(alice_client.get("/account/")))
    assert "You asked on" in shown and "The clinic has not answered yet" in shown
    # Nothing is erased until staff carry it out.
    assert Patient.objects.filter(pk=alice.pk).exists()


def test_only_one_open_request_at_a_time(alice, alice_client):
    ask(alice)
    response = alice_client.post(URL, {"password": PASSWORD})
    assert response.status_code == 302
    assert DeletionRequest.objects.count() == 1
    response = alice_client.get(URL, follow=True)
    assert "already asked" in text(body(response))


def test_the_database_refuses_a_second_open_request(alice, bob):
    ask(alice)
    ask(bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        ask(alice)


def test_a_declined_request_names_its_reason_and_the_patient_may_ask_again(
    alice, alice_client, staff
):
    DeletionRequest.objects.create(
        patient=alice,
        status=DeletionStatus.DECLINED,
        requested_at=timezone.now(),
        decided_at=timezone.now(),
        decided_by=staff,
        decline_reason="We must keep your records until 2034.",
    )
    shown = text(body(alice_client.get("/account/")))
    assert "did not erase your account" in shown
    assert "We must keep your records until 2034." in shown
    assert alice_client.post(URL, {"password": PASSWORD}).status_code == 302
    assert DeletionRequest.objects.filter(status=DeletionStatus.OPEN).count() == 1


def test_the_database_refuses_a_decline_without_reason(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        DeletionRequest.objects.create(
            patient=alice,
            status=DeletionStatus.DECLINED,
            requested_at=timezone.now(),
            decided_at=timezone.now(),
        )


def test_another_patient_sees_nothing_of_it(alice, bob_client):
    ask(alice, reason="alice-reason-3k")
    assert "alice-reason-3k" not in body(bob_client.get("/account/"))
    assert "You asked on" not in text(body(bob_client.get("/account/")))


def test_the_patient_may_withdraw_an_open_request(alice, alice_client, staff_client):
    made = ask(alice)
    response = alice_client.post("/account/erase/withdraw/", follow=True)
    assert "Your request is withdrawn. Nothing was erased." in text(body(response))
    made.refresh_from_db()
    assert made.status == DeletionStatus.WITHDRAWN and made.decided_by == alice.user
    assert AuditEvent.objects.filter(detail="withdrawn", object_id=str(made.pk)).exists()
    assert "Ask to erase my account" in text(body(response))
    # Withdrawn: staff can no longer carry it out.
    staff_client.post(admin_url(made, "carry-out/"))
    assert Patient.objects.filter(pk=alice.pk).exists()


def test_withdrawing_touches_only_the_patient_s_own_request(alice, bob_client):
    made = ask(alice)
    response = bob_client.post("/account/erase/withdraw/", follow=True)
    assert "nothing to withdraw" in text(body(response))
    made.refresh_from_db()
    assert made.status == DeletionStatus.OPEN


# --- Staff in the admin -------------------------------------------------------------


def test_staff_see_open_requests_with_the_retention_warning(alice, staff_client, settings):
    settings.CLINIC_RETENTION_YEARS = 8
    made = ask(alice)
    listed = body(staff_client.get("/admin/tracker/deletionrequest/?status__exact=open"))
    assert "Alice Archer" in listed
    page = text(body(staff_client.get(admin_url(made, "change/"))))
    assert "within the clinic's retention period" in page
    assert "Carry out" in page and "Decline" in page
    assert AuditEvent.objects.filter(action="view", object_type="deletion request").exists()


def test_carry_out_asks_for_confirmation_first(alice, staff_client):
    make_entry(alice, timezone.now(), note="kept until confirmed")
    made = ask(alice)
    page = text(body(staff_client.get(admin_url(made, "carry-out/"))))
    assert "check-ins: 1" in page
    assert "legal duty" in page
    # The open request itself is not counted as an earlier one.
    assert "earlier requests" not in page
    assert 'value="Yes, erase this account and its data"' in body(
        staff_client.get(admin_url(made, "carry-out/"))
    )
    assert Patient.objects.filter(pk=alice.pk).exists()
    staff_client.post(admin_url(made, "carry-out/"))
    assert not Patient.objects.filter(pk=alice.pk).exists()


def test_decline_suggests_the_retention_reason_and_needs_one(alice, staff_client):
    made = ask(alice)
    page = body(staff_client.get(admin_url(made, "decline/")))
    assert "The clinic must keep your health records" in page
    response = staff_client.post(admin_url(made, "decline/"), {"reason": "  "})
    assert response.status_code == 200
    assert "Please give the patient a reason." in body(response)
    made.refresh_from_db()
    assert made.status == DeletionStatus.OPEN


def test_declining_tells_the_patient_why(alice, alice_client, staff_client):
    made = ask(alice)
    response = staff_client.post(admin_url(made, "decline/"), {"reason": "Kept until 2034."})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == DeletionStatus.DECLINED and made.decided_at is not None
    assert AuditEvent.objects.filter(detail="declined", object_id=str(made.pk)).exists()
    assert "Kept until 2034." in text(body(alice_client.get("/account/")))
    # Decided once: carrying it out now changes nothing.
    staff_client.post(admin_url(made, "carry-out/"))
    assert Patient.objects.filter(pk=alice.pk).exists()


@pytest.mark.parametrize("who", ["alice", "xavier"])
def test_only_staff_decide(who, alice, xavier):
    made = ask(alice)
    client = client_for(alice.user) if who == "alice" else verified_client_for(xavier.user)
    for part in ("carry-out/", "decline/"):
        response = client.post(admin_url(made, part), {"reason": "no"})
        assert response.status_code == 302 and "/admin/login/" in response.url
    made.refresh_from_db()
    assert made.status == DeletionStatus.OPEN
    assert Patient.objects.filter(pk=alice.pk).exists()


def test_staff_without_the_permission_cannot_decide(alice, db):
    from django.contrib.auth.models import Permission

    from tests.conftest import make_user

    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_deletionrequest"))
    client = verified_client_for(clerk)
    made = ask(alice)
    assert client.get(admin_url(made, "change/")).status_code == 200
    assert client.post(admin_url(made, "carry-out/")).status_code == 403
    assert Patient.objects.filter(pk=alice.pk).exists()


def test_an_unknown_request_goes_back_with_a_message(staff_client):
    response = staff_client.get("/admin/tracker/deletionrequest/999/carry-out/", follow=True)
    assert "no longer open" in body(response)


# --- The patient is told by e-mail (a real SMTP server) ------------------------------


def with_address(patient, address="alice@example.org"):
    patient.user.email = address
    patient.user.save()
    return patient


def test_the_patient_is_told_by_email_once_the_erasure_is_done(
    alice, staff_client, smtp_server, django_capture_on_commit_callbacks
):
    made = ask(with_address(alice))

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(admin_url(made, "carry-out/"))

    (message,) = smtp_server.messages
    assert message["To"] == "alice@example.org"
    assert message["Subject"] == "Your account was erased"
    words = message.get_body(("plain",)).get_content()
    assert "Hello Alice Archer" in words and "You can no longer sign in" in words
    assert not Patient.objects.filter(pk=alice.pk).exists()


def test_a_decline_by_email_points_to_the_account_page_without_the_reason(
    alice, staff_client, smtp_server, django_capture_on_commit_callbacks, settings
):
    made = ask(with_address(alice))

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(admin_url(made, "decline/"), {"reason": "Kept until 2034."})

    (message,) = smtp_server.messages
    words = message.get_body(("plain",)).get_content()
    assert f"{settings.SITE_URL}/account/" in words
    assert "2034" not in words  # the reason is read signed in, not in a mailbox


def test_no_address_no_email_and_a_mail_server_down_undoes_nothing(
    alice, bob, staff_client, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    without = ask(alice)
    down = ask(with_address(bob, "bob@example.org"))

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(admin_url(without, "carry-out/"))
        staff_client.post(admin_url(down, "carry-out/"))

    assert not Patient.objects.filter(pk__in=[alice.pk, bob.pk]).exists()
