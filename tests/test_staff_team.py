"""The Team page (issue 23, part B): staff invite practitioners and staff, deactivate those
who left and move their patients, outside the Django admin."""

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from tests.conftest import (
    client_for,
    make_patient,
    make_practitioner,
    make_user,
    verified_client_for,
)
from tracker.models import AuditEvent, Invitation, Patient, Practitioner
from tracker.views import staff

TEAM = "/clinic/team/"
INVITE = "/clinic/team/invite/"


def member_url(user, action=""):
    return f"/clinic/team/{user.pk}/{action + '/' if action else ''}"


def test_the_team_page_lists_practitioners_and_staff_but_no_patients(
    staff_client, xavier, yara, alice, bob, carol, staff
):
    page = staff_client.get(TEAM).content.decode()
    assert "Dr Xavier" in page and "Dr Yara" in page and "sam" in page
    assert "Alice" not in page and "alice" not in page
    row = re.search(r"Dr Xavier.*?</tr>", page, re.S).group(0)
    assert ">2</td>" in row  # Alice and Bob


@pytest.mark.parametrize("count", [2, 20])
def test_the_team_page_runs_the_same_queries_for_2_or_20_practitioners(
    staff_client, count, django_assert_max_num_queries
):
    for i in range(count):
        make_patient(f"p{i}", f"Patient {i}", make_practitioner(f"dr{i}", f"Dr {i}"))
    staff_client.get(TEAM)
    with django_assert_max_num_queries(8):
        assert staff_client.get(TEAM).status_code == 200


def test_inviting_a_practitioner_by_email_sends_a_link_that_sets_the_password(
    staff_client, staff, client, settings
):
    settings.SITE_URL = "http://testserver"
    response = staff_client.post(
        INVITE,
        {
            "display_name": "Dr Nia  Okafor",
            "role": "practitioner",
            "email": "Nia@Example.org",
            "channel": "email",
        },
    )
    nia = User.objects.get(username="nia@example.org")
    assert response.url == member_url(nia)
    assert nia.practitioner.display_name == "Dr Nia Okafor"
    assert not nia.has_usable_password() and not nia.is_staff
    assert AuditEvent.objects.filter(action="create", object_type="account", object_id=nia.pk)
    [message] = mail.outbox
    [link] = re.findall(r"http://testserver(/invite/\S+/)", message.body)
    # Shown once on her page.
    assert link in staff_client.get(member_url(nia)).content.decode()
    assert link not in staff_client.get(member_url(nia)).content.decode()

    form = client.get(link)
    assert "Choose your password" in form.content.decode()
    done = client.post(
        link, {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"}
    )
    nia.refresh_from_db()
    assert nia.check_password("a long new passphrase")
    # Next: the authenticator app, as for any practitioner's first sign-in.
    assert client.get(done.url).url.startswith("/accounts/two-factor/setup/")
    # The link worked once.
    assert "already been used" in Client().get(link).content.decode()


def test_inviting_staff_by_printed_sheet_shows_a_code_that_works(staff_client, client, settings):
    settings.SITE_URL = "http://testserver"
    response = staff_client.post(
        INVITE, {"display_name": "Rita Desk", "role": "staff", "email": "", "channel": "sheet"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "sign-in-sheet" in page
    assert "{#" not in page  # a template comment left showing
    rita = User.objects.get(first_name="Rita Desk")
    assert rita.is_staff and not hasattr(rita, "practitioner")
    assert rita.username in page
    [code] = re.findall(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", page)
    assert (
        client.post(
            f"/s/{code.lower()}/",
            {
                "new_password1": "tea and biscuits at four",
                "new_password2": "tea and biscuits at four",
            },
        ).status_code
        == 302
    )
    rita.refresh_from_db()
    assert rita.check_password("tea and biscuits at four")


def test_email_invitation_needs_an_address_and_a_free_one(staff_client, alice):
    page = staff_client.post(
        INVITE, {"display_name": "X", "role": "practitioner", "email": "", "channel": "email"}
    ).content.decode()
    assert "Type their email address" in page
    alice.user.email = "alice@example.org"
    alice.user.save()
    page = staff_client.post(
        INVITE,
        {"display_name": "X", "role": "staff", "email": "ALICE@example.org", "channel": "email"},
    ).content.decode()
    assert "already has an account" in page
    page = staff_client.post(
        INVITE, {"display_name": "X", "role": "owner", "email": "", "channel": "fax"}
    ).content.decode()
    assert "Nobody was invited yet" in page
    assert not Invitation.objects.exists()


def test_deactivating_a_practitioner_ends_sessions_and_lists_patients_to_move(
    staff_client, xavier, alice, bob, yara
):
    xavier_client = verified_client_for(xavier.user)
    assert xavier_client.get("/practice/").status_code == 200
    assert (
        "Deactivate Dr Xavier?"
        in staff_client.get(member_url(xavier.user, "deactivate")).content.decode()
    )
    response = staff_client.post(member_url(xavier.user, "deactivate"), follow=True)
    page = response.content.decode()
    assert "is deactivated and signed out everywhere" in page
    assert "Alice Archer" in page and "Bob Baker" in page
    xavier.user.refresh_from_db()
    assert not xavier.user.is_active
    assert xavier_client.get("/practice/").status_code == 302
    assert AuditEvent.objects.filter(object_type="account", detail__startswith="deactivated")
    # Twice: told so, nothing more.
    again = staff_client.post(member_url(xavier.user, "deactivate"), follow=True)
    assert "already deactivated" in again.content.decode()
    # The Team page points at the patients waiting.
    assert "Patients waiting to be moved" in staff_client.get(TEAM).content.decode()

    # One patient, then the rest, to Dr Yara: one audit row per patient.
    staff_client.post(
        member_url(xavier.user, "reassign"), {"to": yara.pk, "patient": str(alice.public_id)}
    )
    alice.refresh_from_db()
    assert alice.practitioner == yara
    staff_client.post(member_url(xavier.user, "reassign"), {"to": yara.pk})
    assert set(
        Patient.objects.filter(practitioner=yara).values_list("display_name", flat=True)
    ) == {"Alice Archer", "Bob Baker"}
    moved = AuditEvent.objects.filter(action="update", object_type="patient")
    assert {e.patient_public_id for e in moved} == {alice.public_id, bob.public_id}
    # Yara sees them now.
    assert (
        verified_client_for(yara.user).get(f"/practice/patients/{alice.public_id}/").status_code
        == 200
    )


def test_reassigning_refuses_bad_targets_and_ids_without_an_error(
    staff_client, xavier, alice, yara
):
    url = member_url(xavier.user, "reassign")
    yara.user.is_active = False
    yara.user.save()
    for data in ({"to": yara.pk}, {"to": xavier.pk}, {"to": "abc"}, {}):
        response = staff_client.post(url, data, follow=True)
        assert "Please choose an active practitioner" in response.content.decode()
    zed = make_practitioner("zed", "Dr Zed")
    response = staff_client.post(url, {"to": zed.pk, "patient": "not-a-uuid"}, follow=True)
    assert "Nothing was moved" in response.content.decode()
    alice.refresh_from_db()
    assert alice.practitioner == xavier
    assert staff_client.post("/clinic/team/999999/reassign/", {"to": zed.pk}).status_code == 404


def test_staff_cannot_deactivate_themselves_or_the_last_staff_member(staff_client, staff):
    response = staff_client.post(member_url(staff, "deactivate"), follow=True)
    assert "cannot deactivate your own account" in response.content.decode()
    staff.refresh_from_db()
    assert staff.is_active
    # Another staff member, the only other one: may be deactivated while sam remains...
    rita = make_user("rita", is_staff=True)
    staff_client.post(member_url(rita, "deactivate"))
    rita.refresh_from_db()
    assert not rita.is_active


def test_two_staff_deactivating_each_other_leave_one_active(db, rf):
    """The race the lock is for: Sam deactivates Rita while Rita's request to deactivate
    Sam is under way. Her request then finds Sam the last active staff member."""
    sam = make_user("sam2", is_staff=True)
    rita = make_user("rita", is_staff=True)
    # Sam's request went first.
    verified_client_for(sam).post(member_url(rita, "deactivate"))
    # Rita's request passed its checks before that (her user object still active).
    request = rf.post(member_url(sam, "deactivate"))
    request.user = rita
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    response = staff.deactivate(request, user_id=sam.pk)
    assert response.status_code == 302
    sam.refresh_from_db()
    assert sam.is_active
    assert "last active staff member" in str(list(request._messages)[0])


def test_unknown_or_patient_ids_are_a_recorded_404(staff_client, alice):
    for url in (
        member_url(alice.user),
        "/clinic/team/999999/",
        member_url(alice.user, "deactivate"),
    ):
        assert staff_client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="account").count() == 3
    alice.user.refresh_from_db()
    assert alice.user.is_active


def test_a_deactivated_invitee_s_link_stops_working(staff_client, client, settings):
    settings.SITE_URL = "http://testserver"
    staff_client.post(
        INVITE,
        {
            "display_name": "Dr Lee",
            "role": "practitioner",
            "email": "lee@example.org",
            "channel": "email",
        },
    )
    [link] = re.findall(r"http://testserver(/invite/\S+/)", mail.outbox[0].body)
    lee = User.objects.get(username="lee@example.org")
    staff_client.post(member_url(lee, "deactivate"))
    assert "Choose your password" not in client.get(link).content.decode()


def test_a_new_link_replaces_the_old_one(staff_client, settings):
    settings.SITE_URL = "http://testserver"
    staff_client.post(
        INVITE,
        {
            "display_name": "Dr Lee",
            "role": "practitioner",
            "email": "lee@example.org",
            "channel": "email",
        },
    )
    lee = User.objects.get(username="lee@example.org")
    staff_client.post(member_url(lee, "invite"), {"channel": "email"})
    assert len(mail.outbox) == 2
    assert Invitation.objects.filter(account=lee, revoked_at__isnull=True).count() == 1


def test_staff_land_on_the_team_page(staff_client):
    assert staff_client.get("/").url == TEAM


def test_patient_invitations_still_name_no_account(alice):
    invitation, _ = Invitation.issue(alice, alice.practitioner, alice.created_at)
    assert invitation.user == alice.user and invitation.account is None


def test_the_admin_practitioner_form_offers_only_accounts_without_a_profile(
    staff_client, xavier, alice
):
    free = make_user("newdoc")
    page = staff_client.get("/admin/tracker/practitioner/add/").content.decode()
    options = re.findall(r'<option value="(\d+)"', page)
    assert str(free.pk) in options
    assert str(alice.user.pk) not in options
    assert str(xavier.user.pk) not in options
    # Changing Xavier keeps his own account on offer.
    page = staff_client.get(f"/admin/tracker/practitioner/{xavier.pk}/change/").content.decode()
    assert str(xavier.user.pk) in re.findall(r'<option value="(\d+)"[^>]*', page)


def test_sessions_of_a_deactivated_member_are_deleted(staff_client, yara):
    other = client_for(yara.user)
    other.get("/")
    before = Session.objects.count()
    staff_client.post(member_url(yara.user, "deactivate"))
    assert Session.objects.count() < before
    assert not Practitioner.objects.get(pk=yara.pk).user.is_active
