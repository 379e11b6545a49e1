"""Patients without email, and the printed sign-in sheet (issue 15).

A practitioner adds a patient with no address (the username is made up), prints a
sheet with a short code and its QR code, and the patient joins by typing the code.
The same sheet, for a patient who has a password, lets them choose a new one at
the desk. A sheet works once, for 7 days, and a newer one replaces it.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, client_for, make_entry
from tracker import usernames
from tracker.models import (
    SHEET_CODE_ALPHABET,
    AuditEvent,
    Invitation,
    InvitationChannel,
    InvitationPurpose,
    Patient,
    grouped,
    sheet_code_typed,
)

ADD = reverse("tracker:add_patient")
NEW_PASSWORD = "slow walks by the river"
SHEET_LINK = re.compile(
    r"testserver/s/<wbr><span class=\"text-nowrap\">([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})/"
)
pytestmark = pytest.mark.django_db


def add_ellen(client, **changes):
    data = {"display_name": "Ellen Ede", "email": "", "neuropathy_kind": "chemotherapy"}
    return client.post(ADD, {**data, **changes})


def ellen():
    return Patient.objects.select_related("user").get(display_name="Ellen Ede")


def print_sheet(client, patient):
    response = client.post(reverse("tracker:sign_in_sheet", args=[patient.public_id]))
    assert response.status_code == 200
    return response


def code_on(sheet):
    [code] = SHEET_LINK.findall(sheet.content.decode())
    return code


def choose(client, code, password=NEW_PASSWORD):
    path = reverse("tracker:sheet_link", args=[code])
    return client.post(path, {"new_password1": password, "new_password2": password})


# Sheet codes and made-up usernames, on their own


def test_a_typed_code_is_read_whatever_the_case_spaces_and_dashes():
    assert sheet_code_typed("k7qm-4xpd-9tnc") == "K7QM4XPD9TNC"
    assert sheet_code_typed(" K7QM 4XPD 9TNC ") == "K7QM4XPD9TNC"
    assert grouped("K7QM4XPD9TNC") == "K7QM-4XPD-9TNC"
    # Too short, or a character that is not on any sheet (0, O, 1, I, L, U, V).
    for typed in ("K7QM-4XPD-9TN", "K7QM-4XPD-9TN0", "K7QM-4XPD-9TNL", "x" * 43):
        assert sheet_code_typed(typed) is None
    assert not set("01ILOUV") & set(SHEET_CODE_ALPHABET)


def test_a_made_up_username_is_a_word_and_four_digits_and_avoids_taken_ones():
    seen = []

    def taken(name):
        seen.append(name)
        return len(seen) < 3  # the first two are taken

    name = usernames.new_username(taken)
    assert re.fullmatch(r"[a-z]+-[1-9]\d{3}", name)
    assert name == seen[2]
    with pytest.raises(RuntimeError):
        usernames.new_username(lambda name: True)


# A patient without email


def test_a_patient_can_be_added_without_email(xavier_client, mailoutbox):
    response = add_ellen(xavier_client)

    patient = ellen()
    assert response.status_code == 302 and response.url == patient.get_absolute_url()
    assert re.fullmatch(r"[a-z]+-[1-9]\d{3}", patient.user.username)
    assert patient.user.email == "" and not patient.user.has_usable_password()
    assert mailoutbox == [] and not Invitation.objects.exists()
    page = xavier_client.get(response.url).content.decode()
    assert f"with the username {patient.user.username}" in page
    assert "has not joined yet" in page and "no email address" in page
    assert "Print a sign-in sheet" in page and "Add an email address" in page
    assert "Send a new invitation link" not in page


def test_two_patients_without_email_get_different_usernames(xavier_client):
    add_ellen(xavier_client)
    add_ellen(xavier_client, display_name="Fred Fry")
    names = set(Patient.objects.filter(user__email="").values_list("user__username", flat=True))
    assert len(names) == 2


def test_a_resend_to_a_patient_without_email_does_not_claim_it_was_sent(xavier_client, mailoutbox):
    add_ellen(xavier_client)
    url = reverse("tracker:resend_invitation", args=[ellen().public_id])

    page = xavier_client.post(url, follow=True).content.decode()

    assert "Nothing was sent" in page and "Print a sign-in sheet" in page
    assert "was sent" not in page.replace("Nothing was sent", "")
    assert mailoutbox == [] and not Invitation.objects.exists()


def test_an_email_address_can_be_added_later(xavier_client, mailoutbox):
    add_ellen(xavier_client)
    patient = ellen()
    url = reverse("tracker:add_email", args=[patient.public_id])

    page = xavier_client.post(url, {"email": "Ellen@Example.org"}, follow=True).content.decode()

    patient.user.refresh_from_db()
    assert patient.user.email == "ellen@example.org"
    assert "You can now send Ellen Ede an invitation link" in page
    assert "Send a new invitation link" in page
    assert AuditEvent.objects.filter(detail="email address added").count() == 1
    # Now an invitation can go out, and she signs in by either name.
    xavier_client.post(reverse("tracker:resend_invitation", args=[patient.public_id]))
    assert mailoutbox[-1].to == ["ellen@example.org"]
    assert (
        f"Your username is: {patient.user.username} (you can also sign in with your email "
        "address)" in mailoutbox[-1].body
    )


def test_an_address_taken_in_another_case_is_refused(xavier_client, alice):
    alice.user.email = "alice@example.com"
    alice.user.save()
    add_ellen(xavier_client)
    url = reverse("tracker:add_email", args=[ellen().public_id])

    page = xavier_client.post(url, {"email": "ALICE@example.com"}, follow=True).content.decode()

    assert "Someone already has an account with this email address" in page
    assert ellen().user.email == ""


def test_an_existing_address_is_not_changed_from_the_patient_page(xavier_client, alice):
    alice.user.email = "alice@example.com"
    alice.user.save()
    url = reverse("tracker:add_email", args=[alice.public_id])

    page = xavier_client.post(url, {"email": "someone@else.org"}, follow=True).content.decode()

    alice.user.refresh_from_db()
    assert alice.user.email == "alice@example.com"
    assert "Clinic staff can change it" in page


def test_a_bad_address_is_explained(xavier_client):
    add_ellen(xavier_client)
    url = reverse("tracker:add_email", args=[ellen().public_id])
    page = xavier_client.post(url, {"email": "not an address"}, follow=True).content.decode()
    assert "That does not look like an email address" in page


# The sheet


def test_the_sheet_shows_the_username_a_short_link_and_its_qr_code(xavier_client):
    add_ellen(xavier_client)
    patient = ellen()
    make_entry(patient, timezone.now(), pain=8, note="tingling toes at night")

    sheet = print_sheet(xavier_client, patient)

    body = sheet.content.decode()
    assert patient.user.username in body
    code = code_on(sheet)
    assert f'testserver/s/<wbr><span class="text-nowrap">{code}/</span>' in body
    assert '<svg role="img" aria-label="QR code' in body
    expires = timezone.localtime(Invitation.objects.get().expires_at)
    assert expires - timezone.localtime() > timedelta(days=6, hours=23)
    assert f"{expires:%-d %B %Y}" in body
    assert "no-store" in sheet["Cache-Control"]
    # Names and the way in only: nothing clinical.
    assert "tingling toes" not in body and "hemotherapy" not in body
    invitation = Invitation.objects.get()
    assert invitation.channel == InvitationChannel.SHEET
    assert invitation.purpose == InvitationPurpose.JOIN
    assert AuditEvent.objects.filter(object_type="sign_in_sheet").count() == 1


def test_the_patient_joins_by_typing_the_code(xavier_client):
    add_ellen(xavier_client)
    code = code_on(print_sheet(xavier_client, ellen()))
    patient_phone = Client()

    page = patient_phone.get(reverse("tracker:sheet_link", args=[code.lower().replace("-", "")]))
    assert "Choose your password" in page.content.decode()
    response = choose(patient_phone, code.lower())

    assert response.status_code == 302
    user = ellen().user
    assert user.check_password(NEW_PASSWORD)
    assert patient_phone.get(reverse("tracker:log")).status_code == 200
    assert AuditEvent.objects.filter(detail="password set from a sign-in sheet").count() == 1
    # And signs in next time with the username from the sheet, in any case.
    later = Client().post(
        reverse("login"), {"username": user.username.upper(), "password": NEW_PASSWORD}
    )
    assert later.status_code == 302 and later.url == "/"


def test_a_sheet_works_once(xavier_client):
    add_ellen(xavier_client)
    code = code_on(print_sheet(xavier_client, ellen()))
    choose(Client(), code)

    again = choose(Client(), code, password="another long password")

    assert "already been used" in again.content.decode()
    assert ellen().user.check_password(NEW_PASSWORD)


def test_a_sheet_expires_after_seven_days(xavier_client):
    add_ellen(xavier_client)
    code = code_on(print_sheet(xavier_client, ellen()))

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        late = choose(Client(), code)

    assert "This link has expired" in late.content.decode()
    assert not ellen().user.has_usable_password()


def test_a_new_sheet_replaces_the_old_one(xavier_client):
    add_ellen(xavier_client)
    old = code_on(print_sheet(xavier_client, ellen()))
    new = code_on(print_sheet(xavier_client, ellen()))

    assert old != new
    assert "A newer link was sent" in choose(Client(), old).content.decode()
    assert choose(Client(), new).status_code == 302


def test_a_sheet_lets_a_patient_who_forgot_the_password_choose_a_new_one(xavier_client, alice):
    old_phone = client_for(alice.user)
    sheet = print_sheet(xavier_client, alice)
    assert "Choose a new password" in sheet.content.decode()
    code = code_on(sheet)
    at_the_desk = Client()

    page = at_the_desk.get(reverse("tracker:sheet_link", args=[code]))
    assert "Choose a new password" in page.content.decode()
    response = choose(at_the_desk, code)

    assert response.status_code == 302
    alice.user.refresh_from_db()
    assert alice.user.check_password(NEW_PASSWORD) and not alice.user.check_password(PASSWORD)
    # Her other sessions end.
    assert old_phone.get(reverse("tracker:log")).status_code == 302
    assert Invitation.objects.get().purpose == InvitationPurpose.RESET


def test_an_emailed_invitation_still_cannot_replace_a_password(xavier_client, alice):
    # Only a sheet printed for an account with a password can change it: an old
    # invitation link cannot (the takeover the invitation checks guard against).
    invitation, token = Invitation.issue(alice, alice.practitioner, timezone.now())
    invitation.purpose = InvitationPurpose.JOIN
    invitation.save()

    response = Client().post(
        reverse("tracker:accept_invitation", args=[token]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert "already has a password" in response.content.decode()
    alice.user.refresh_from_db()
    assert alice.user.check_password(PASSWORD)


def test_a_new_password_by_email_revokes_an_open_sheet(xavier_client, alice):
    code = code_on(print_sheet(xavier_client, alice))
    alice.user.set_password("remembered it after all")
    alice.user.save()

    assert "A newer link was sent" in choose(Client(), code).content.decode()


def test_a_practitioner_cannot_print_a_sheet_for_another_practitioner_s_patient(yara_client, alice):
    url = reverse("tracker:sign_in_sheet", args=[alice.public_id])
    assert yara_client.post(url).status_code == 404
    assert not Invitation.objects.exists()


def test_an_unknown_code_gets_the_plain_page(client):
    response = client.get(reverse("tracker:sheet_link", args=["AAAA-BBBB-CCCC"]))
    assert response.status_code == 200
    assert "This link is not valid" in response.content.decode()


def test_a_patient_with_a_second_factor_is_still_asked_for_it_after_a_sheet(xavier_client, alice):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=alice.user, name="phone", confirmed=True)
    code = code_on(print_sheet(xavier_client, alice))
    at_the_desk = Client()

    choose(at_the_desk, code)
    log = at_the_desk.get(reverse("tracker:log"))

    assert log.status_code == 302 and log.url.startswith(reverse("two_factor_verify"))
