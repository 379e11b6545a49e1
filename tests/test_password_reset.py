"""A forgotten password (issue 15): the reset link by email, from the sign-in page or the
practitioner.

The email goes through a real SMTP server (the smtp_server fixture) and the link in it
is followed as the patient would: the same answer whether or not the account exists,
limits per account and per client address, one hour, once, every other session ended,
open invitations revoked, the second factor still asked, and every step on the record.
"""

import re
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, client_for, make_entry
from tests.test_email import parts_of
from tracker.models import AuditAction, AuditEvent, Invitation
from tracker.views import recovery

FORGOT = reverse("password_reset")
DONE = reverse("password_reset_done")
NEW_PASSWORD = "a kettle on the stove"
LINK = re.compile(r"http://testserver/accounts/password/reset/[\w-]+/[\w-]+/")
pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_with_email(alice):
    alice.user.email = "alice@example.com"
    alice.user.save()
    return alice


def ask(client, typed, **extra):
    return client.post(FORGOT, {"identifier": typed}, **extra)


def link_in(message):
    text, html = parts_of(message)
    links = LINK.findall(text)
    assert len(links) == 1, text
    assert links[0] in html
    return urlsplit(links[0]).path


def choose(client, path, password=NEW_PASSWORD):
    """Open the link (Django moves its token into the session), then set the password."""
    opened = client.get(path)
    assert opened.status_code == 302, opened
    return client.post(opened.url, {"new_password1": password, "new_password2": password})


def reset_rows(**which):
    return AuditEvent.objects.filter(object_type=recovery.RESET, **which)


# Asking for a link


def test_the_sign_in_page_offers_the_way_to_a_new_password(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{FORGOT}"' in page
    assert "Forgot your password?" in page


@pytest.mark.parametrize("typed", ["alice@example.com", "ALICE@Example.COM", "Alice"])
def test_a_link_arrives_by_address_or_username_whatever_the_case(
    client, alice_with_email, smtp_server, typed
):
    response = ask(client, typed)

    assert response.status_code == 302 and response.url == DONE
    [message] = smtp_server.messages
    assert message["To"] == "alice@example.com"
    assert parseaddr(message["From"])[0] == "Relief Tracker"
    text, html = parts_of(message)
    assert "Alice Archer" in text and "alice" in text
    assert "1 hour" in text and "1 hour" in html
    link_in(message)


def test_the_email_carries_no_health_data(client, alice_with_email, smtp_server):
    make_entry(alice_with_email, timezone.now(), pain=7, note="burning at night")
    ask(client, "alice@example.com")

    [message] = smtp_server.messages
    text, html = parts_of(message)
    for body in (text, html):
        assert "burning" not in body
        assert "iabet" not in body  # Alice's neuropathy is diabetic
        assert "pain" not in body.lower()


@pytest.mark.parametrize("typed", ["alice@example.com", "nobody@example.com", "nobody"])
def test_the_answer_is_the_same_whether_or_not_the_account_exists(
    client, alice_with_email, smtp_server, typed
):
    response = ask(client, typed)
    done = client.get(response.url)

    assert response.status_code == 302 and response.url == DONE
    assert "If an account here uses that email address or username" in done.content.decode()
    assert len(smtp_server.messages) == (1 if typed.startswith("alice") else 0)


def test_nothing_is_sent_to_an_inactive_account_or_one_without_an_address(
    client, alice_with_email, bob, smtp_server
):
    alice_with_email.user.is_active = False
    alice_with_email.user.save()

    for typed in ("alice@example.com", "bob"):
        assert ask(client, typed).url == DONE
    assert smtp_server.messages == []
    assert reset_rows(detail=recovery.NO_ACCOUNT).count() == 2


def test_an_overlong_or_empty_answer_is_a_form_error(client):
    for typed in ("", "x" * 151):
        response = ask(client, typed)
        assert response.status_code == 200
        assert response.context["form"].errors["identifier"]


def test_a_mail_server_that_is_down_gives_the_same_answer(client, alice_with_email, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    response = ask(client, "alice@example.com")

    assert response.status_code == 302 and response.url == DONE
    assert reset_rows(detail=recovery.NOT_SENT_FAILED).count() == 1


# Limits


def test_an_account_gets_three_links_an_hour(client, alice_with_email, smtp_server):
    limit = recovery.EMAILS_PER_ACCOUNT_PER_HOUR
    for _ in range(limit + 2):
        assert ask(client, "alice@example.com").url == DONE  # the same answer every time

    assert len(smtp_server.messages) == limit
    assert reset_rows(detail=recovery.NOT_SENT_LIMIT).count() == 2
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        ask(client, "alice")
    assert len(smtp_server.messages) == limit + 1


def test_one_client_address_asking_again_and_again_is_stopped(client, alice_with_email, mailoutbox):
    for n in range(recovery.REQUESTS_PER_ADDRESS_PER_HOUR):
        ask(client, f"someone{n}@example.com")

    response = ask(client, "alice@example.com")

    assert response.status_code == 429
    assert "Too many requests came from this connection" in response.content.decode()
    assert mailoutbox == []
    # Another address is not held up.
    other = ask(client, "alice@example.com", REMOTE_ADDR="203.0.113.9")
    assert other.url == DONE and len(mailoutbox) == 1


# Following the link


def test_the_link_sets_a_new_password_and_signs_in(client, alice_with_email, smtp_server):
    ask(client, "alice@example.com")
    path = link_in(smtp_server.messages[0])

    page = client.get(client.get(path).url)
    assert "Choose a new password" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    response = choose(client, path)

    assert response.status_code == 302
    user = alice_with_email.user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    landing = client.get(response.url, follow=True)
    assert landing.wsgi_request.user == user
    assert "Your new password is set." in landing.content.decode()


def test_the_link_works_once(client, alice_with_email, smtp_server):
    ask(client, "alice@example.com")
    path = link_in(smtp_server.messages[0])
    choose(client, path)

    again = Client().get(path)

    assert again.status_code == 200
    assert "This link does not work" in again.content.decode()
    assert reset_rows(action=AuditAction.DENIED).count() == 1


def test_the_link_expires_after_an_hour(client, alice_with_email, smtp_server):
    ask(client, "alice@example.com")
    path = link_in(smtp_server.messages[0])

    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        late = client.get(path)
    assert "This link does not work" in late.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        assert client.get(path).status_code == 302


def test_a_reset_ends_every_other_session(client, alice_with_email, smtp_server):
    phone = client_for(alice_with_email.user)
    assert phone.get(reverse("tracker:log")).status_code == 200
    ask(client, "alice@example.com")

    choose(client, link_in(smtp_server.messages[0]))

    after = phone.get(reverse("tracker:log"))
    assert after.status_code == 302 and after.url.startswith(reverse("login"))


def test_a_reset_revokes_open_invitations(client, xavier_client, smtp_server):
    # Dan was invited but never chose a password; he asks for a reset instead.
    xavier_client.post(
        reverse("tracker:add_patient"),
        {"display_name": "Dan Dunn", "email": "dan@example.com", "neuropathy_kind": "other"},
    )
    invitation = Invitation.objects.get()
    smtp_server.messages.clear()

    ask(client, "dan@example.com")
    choose(client, link_in(smtp_server.messages[0]))

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_the_second_factor_is_still_asked_after_a_reset(client, xavier, smtp_server):
    xavier.user.email = "xavier@clinic.example.org"
    xavier.user.save()
    TOTPDevice.objects.create(user=xavier.user, name="phone", confirmed=True)
    ask(client, "xavier")

    response = choose(client, link_in(smtp_server.messages[0]))
    worklist = client.get(reverse("tracker:worklist"))

    assert response.status_code == 302
    assert worklist.status_code == 302
    assert worklist.url.startswith(reverse("two_factor_verify"))


def test_every_step_is_on_the_record(client, alice_with_email, smtp_server):
    ask(client, "alice@example.com")
    choose(client, link_in(smtp_server.messages[0]))

    rows = AuditEvent.objects.filter(patient_public_id=alice_with_email.public_id)
    details = list(rows.order_by("pk").values_list("action", "detail"))
    assert (AuditAction.CREATE, recovery.SENT) in details
    assert (AuditAction.VIEW, "reset link opened") in details
    assert (AuditAction.UPDATE, "password set from a reset link; other sessions ended") in details


# The practitioner sends the link


def test_the_practitioner_can_send_a_reset_link(xavier_client, alice_with_email, smtp_server):
    url = reverse("tracker:send_password_reset", args=[alice_with_email.public_id])

    response = xavier_client.post(url, follow=True)

    assert "was sent to alice@example.com" in response.content.decode()
    [message] = smtp_server.messages
    assert message["To"] == "alice@example.com"
    row = reset_rows(detail=recovery.SENT).get()
    assert row.actor == "xavier"


def test_no_reset_link_is_claimed_for_a_patient_without_an_address(
    xavier_client, alice, mailoutbox
):
    url = reverse("tracker:send_password_reset", args=[alice.public_id])

    response = xavier_client.post(url, follow=True)

    assert "Nothing was sent" in response.content.decode()
    assert mailoutbox == []


def test_a_practitioner_cannot_send_a_link_to_another_practitioner_s_patient(
    yara_client, alice_with_email, mailoutbox
):
    url = reverse("tracker:send_password_reset", args=[alice_with_email.public_id])
    assert yara_client.post(url).status_code == 404
    assert mailoutbox == []
