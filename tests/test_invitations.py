"""Adding a patient and the invitation link: single-use, 7 days, resend kills the old one."""

import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from unittest import mock
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from tracker.models import AuditAction, AuditEvent, Invitation, NeuropathyKind, Patient
from tracker.views.invitations import pop_invitation_link

ADD = reverse("tracker:add_patient")
NEW_PASSWORD = "slow walks by the river"
STAFF_PASSWORD = "given by the front desk"
LINK = re.compile(r"http://testserver/invite/[\w-]+/")
pytestmark = pytest.mark.django_db

T0 = datetime.fromisoformat("2025-03-03T09:00:00+00:00")


def add_dan(client, **changes):
    data = {"display_name": "Dan Dunn", "email": "Dan@Example.com", "neuropathy_kind": "diabetic"}
    return client.post(ADD, {**data, **changes})


def link_in(message):
    """The path of the one invitation link in an email."""
    links = LINK.findall(message.body)
    assert len(links) == 1, message.body
    return urlsplit(links[0]).path


def choose_password(client, path, password=NEW_PASSWORD, again=None):
    return client.post(path, {"new_password1": password, "new_password2": again or password})


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def dan():
    return Patient.objects.select_related("user").get(user__username="dan@example.com")


@pytest.fixture
def invited(xavier_client, mailoutbox):
    """Dan, added by Dr Xavier: returns the path of his invitation link."""
    add_dan(xavier_client)
    return link_in(mailoutbox[-1])


# Adding a patient


def test_add_patient_form_shows(xavier_client):
    response = xavier_client.get(ADD)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Add a patient</h1>" in body
    for label in ("Name", "Email address", "Kind of neuropathy", "Chemotherapy-induced"):
        assert label in body
    # No inline style or script; base.html's <script src> is a file, as the CSP allows.
    assert 'style="' not in body and not re.search(r"<script(?![^>]*\ssrc=)", body)


def test_practitioner_adds_patient_and_the_link_is_emailed(xavier, xavier_client, mailoutbox):
    with time_machine.travel(T0, tick=False):
        response = add_dan(xavier_client)
        # The link waits in the session for the patient page to show it once.
        saved = xavier_client.session["invitation_link"]

    patient = dan()
    assert response.status_code == 302
    assert response.url == patient.get_absolute_url()
    assert patient.user.email == "dan@example.com"
    assert not patient.user.has_usable_password()
    assert patient.display_name == "Dan Dunn"
    assert patient.practitioner == xavier
    assert patient.neuropathy_kind == NeuropathyKind.DIABETIC
    invitation = patient.invitations.get()
    assert invitation.created_by == xavier
    assert invitation.used_at is None and invitation.revoked_at is None
    assert invitation.expires_at == T0 + timedelta(days=7)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject == "Your Relief Tracker invitation"
    assert email.to == ["dan@example.com"]
    path = link_in(email)
    token = path.split("/")[-2]
    assert Invitation.hash(token) == invitation.token_hash
    assert "Hello Dan Dunn" in email.body
    assert "Dr Xavier" in email.body
    assert "Your username is: dan@example.com\n" in email.body
    assert "expires on 10 March 2025, 09:00 GMT" in email.body

    assert saved["url"] == f"http://testserver{path}"
    assert saved["patient"] == str(patient.public_id)
    assert "Dan Dunn was added." in messages_of(response)


def test_pop_invitation_link_gives_the_link_once(xavier_client, invited, alice):
    request = SimpleNamespace(session=xavier_client.session)
    patient = dan()

    shown = pop_invitation_link(request, patient)

    assert shown["url"] == f"http://testserver{invited}"
    assert shown["email"] == "dan@example.com"
    assert shown["expires_at"] == patient.invitations.get().expires_at
    assert pop_invitation_link(request, patient) is None
    assert "invitation_link" not in request.session


def test_pop_invitation_link_never_shows_a_link_on_another_patients_page(
    xavier_client, invited, alice
):
    request = SimpleNamespace(session=xavier_client.session)
    assert pop_invitation_link(request, alice) is None
    # Gone, not kept for later: it is never shown on the wrong page.
    assert pop_invitation_link(request, dan()) is None


def test_invitation_sent_partial_shows_link_in_a_labelled_read_only_field(xavier_client, invited):
    request = SimpleNamespace(session=xavier_client.session)
    html = render_to_string(
        "tracker/invitation_sent.html", {"invitation_link": pop_invitation_link(request, dan())}
    )
    assert "Invitation sent to dan@example.com" in html
    assert "It will not be shown again." in html
    assert '<label class="form-label fw-semibold" for="invitation-link">' in html
    assert f'id="invitation-link" value="http://testserver{invited}" readonly' in html
    assert "style=" not in html and "<script" not in html and "onclick" not in html


def test_duplicate_email_is_rejected_whatever_the_case(xavier_client, invited, mailoutbox):
    response = add_dan(xavier_client, email="DAN@example.COM", display_name="Another Dan")

    assert response.status_code == 200
    assert "Someone already has an account with this email address" in response.content.decode()
    assert User.objects.filter(username__iexact="dan@example.com").count() == 1
    assert not Patient.objects.filter(display_name="Another Dan").exists()
    assert Invitation.objects.count() == 1
    assert len(mailoutbox) == 1


def test_email_of_an_existing_user_is_rejected(xavier_client, alice, mailoutbox):
    alice.user.email = "alice@example.com"
    alice.user.save()

    response = add_dan(xavier_client, email="Alice@Example.com")

    assert "Someone already has an account with this email address" in response.content.decode()
    assert Patient.objects.count() == 1
    assert not mailoutbox


def test_missing_answers_add_nothing(xavier_client, mailoutbox):
    response = xavier_client.post(ADD, {"display_name": "", "email": "not-an-email"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "No patient was added yet" in body
    assert "Please give the patient\u2019s name." in body
    assert "That does not look like an email address" in body
    assert "Please choose the kind of neuropathy" in body
    assert not Patient.objects.exists() and not Invitation.objects.exists()
    assert not mailoutbox


def test_an_empty_form_is_answered_with_errors(xavier_client):
    response = xavier_client.post(ADD, {})
    assert "No patient was added yet" in response.content.decode()
    # The email address may be left out: a patient without one joins by a printed sheet.
    assert set(response.context["form"].errors) == {"display_name", "neuropathy_kind"}
    assert not Patient.objects.exists()


def test_patient_added_even_when_the_email_fails(xavier_client):
    with mock.patch("tracker.views.invitations.send_mail", side_effect=OSError("no SMTP")):
        response = add_dan(xavier_client)

    assert response.status_code == 302
    assert dan().invitations.count() == 1
    assert xavier_client.session["invitation_link"]["url"].startswith("http://testserver/invite/")
    assert any("The email could not be sent" in m for m in messages_of(response))


def test_yara_adds_her_own_patient_whom_xavier_cannot_see(yara, yara_client, xavier_client):
    response = add_dan(yara_client)

    patient = dan()
    assert response.status_code == 302
    assert patient.practitioner == yara
    assert xavier_client.get(patient.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("actor", ["alice_client", "staff_client"])
def test_patients_and_staff_cannot_add_patients(request, actor, mailoutbox):
    client = request.getfixturevalue(actor)
    assert client.get(ADD).status_code == 404
    assert add_dan(client).status_code == 404
    assert not User.objects.filter(username="dan@example.com").exists()
    assert not mailoutbox


def test_anonymous_is_sent_to_sign_in(client):
    response = add_dan(client)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    "path", ["/accounts/signup/", "/accounts/register/", "/register/", "/signup/"]
)
def test_there_is_no_open_sign_up(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"username": "eve", "password": NEW_PASSWORD}).status_code == 404
    assert not User.objects.filter(username="eve").exists()


# Accepting the invitation


def test_invited_patient_chooses_password_and_lands_on_log(invited):
    client = Client()
    page = client.get(invited)
    body = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Choose your password</h1>" in body
    assert "Your username is <strong>dan@example.com</strong>" in body
    assert "at least 12 characters" in body
    assert "no-store" in page["Cache-Control"]
    assert dan().invitations.get().used_at is None  # Opening the link does not use it.

    response = choose_password(client, invited)

    patient = dan()
    assert response.status_code == 302
    assert response.url == "/account/reminders/?welcome=1"
    assert patient.user.check_password(NEW_PASSWORD)
    assert patient.invitations.get().used_at is not None
    assert int(client.session["_auth_user_id"]) == patient.user.pk
    landing = client.get(response.url)
    assert landing.status_code == 200
    assert "Welcome, Dan Dunn." in landing.content.decode()


def test_link_used_twice_explains_itself_and_changes_nothing(invited):
    choose_password(Client(), invited)
    used_at = dan().invitations.get().used_at

    stranger = Client()
    page = stranger.get(invited)
    second = choose_password(stranger, invited, password="someone else took over")

    for response in (page, second):
        body = response.content.decode()
        assert response.status_code == 200
        assert "This link has already been used." in body
        assert "new_password1" not in body
        # The page's own link, not the menu's "Sign in" (on every signed-out page).
        assert re.search(r'<a [^>]*href="/accounts/login/"[^>]*>Go to the sign-in page</a>', body)
    patient = dan()
    assert patient.user.check_password(NEW_PASSWORD)
    assert patient.invitations.get().used_at == used_at
    assert "_auth_user_id" not in stranger.session


def test_link_expires_at_exactly_seven_days(xavier_client, mailoutbox):
    with time_machine.travel(T0, tick=False):
        add_dan(xavier_client)
    path = link_in(mailoutbox[0])

    with time_machine.travel(T0 + timedelta(days=7, microseconds=-1), tick=False):
        assert "<h1>Choose your password</h1>" in Client().get(path).content.decode()

    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        client = Client()
        page = client.get(path)
        late = choose_password(client, path)

    for response in (page, late):
        body = response.content.decode()
        assert response.status_code == 200
        assert "This link has expired. Links work for 7 days." in body
        assert "new_password1" not in body
    patient = dan()
    assert not patient.user.has_usable_password()
    assert patient.invitations.get().used_at is None
    assert "_auth_user_id" not in client.session


def test_resend_kills_the_old_link_and_the_new_one_works(xavier_client, invited, mailoutbox):
    patient = dan()
    response = xavier_client.post(reverse("tracker:resend_invitation", args=[patient.public_id]))

    assert response.status_code == 302
    assert response.url == patient.get_absolute_url()
    assert "A new link was sent. Earlier links no longer work." in messages_of(response)
    assert len(mailoutbox) == 2
    new = link_in(mailoutbox[1])
    assert new != invited
    assert xavier_client.session["invitation_link"]["url"] == f"http://testserver{new}"
    old_invitation, new_invitation = patient.invitations.order_by("created_at")
    assert old_invitation.revoked_at is not None and new_invitation.revoked_at is None

    client = Client()
    stale = choose_password(client, invited)
    assert "A newer link was sent; use the newest one" in stale.content.decode()
    assert not dan().user.has_usable_password()

    assert choose_password(client, new).url == "/account/reminders/?welcome=1"
    assert dan().user.check_password(NEW_PASSWORD)


def test_resend_refused_once_the_patient_has_an_account(xavier_client, invited, mailoutbox):
    choose_password(Client(), invited)
    patient = dan()

    response = xavier_client.post(reverse("tracker:resend_invitation", args=[patient.public_id]))

    assert response.status_code == 302
    assert any("already has an account" in m for m in messages_of(response))
    assert patient.invitations.count() == 1
    assert len(mailoutbox) == 1


def test_resend_is_post_only(xavier_client, alice):
    url = reverse("tracker:resend_invitation", args=[alice.public_id])
    assert xavier_client.get(url).status_code == 405
    assert not Invitation.objects.exists()


def test_yara_cannot_resend_for_xaviers_patient(yara_client, alice, mailoutbox):
    alice.user.set_unusable_password()
    alice.user.save()

    response = yara_client.post(reverse("tracker:resend_invitation", args=[alice.public_id]))

    assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert not mailoutbox


def test_wrong_user_signed_in_is_refused_and_the_link_kept(alice, alice_client, invited):
    page = alice_client.get(invited)
    posted = choose_password(alice_client, invited)

    for response in (page, posted):
        body = response.content.decode()
        assert response.status_code == 200
        assert "You are signed in as alice." in body
        assert "Sign out first, then open the link again." in body
        # The page's own sign-out button, not the menu's (on every signed-in page).
        assert re.search(
            r'<form method="post" action="/accounts/logout/">(?:(?!</form>).)*'
            r"Sign out and open the link</button>",
            body,
            re.S,
        )
        assert "new_password1" not in body
    patient = dan()
    assert not patient.user.has_usable_password()
    assert patient.invitations.get().used_at is None
    assert int(alice_client.session["_auth_user_id"]) == alice.user.pk


def test_signing_out_returns_to_the_link(alice_client, invited):
    response = alice_client.post(reverse("logout"), {"next": invited})
    assert response.status_code == 302
    assert response.url == invited
    assert "<h1>Choose your password</h1>" in alice_client.get(invited).content.decode()


def test_weak_password_is_refused_and_the_link_kept(invited):
    client = Client()
    short = choose_password(client, invited, password="short1")
    mismatch = choose_password(client, invited, again="slow walks by the rover")

    assert "This password is too short" in short.content.decode()
    # Shown under the field that has the rules, not under the repeat.
    assert list(short.context["form"].errors) == ["new_password1"]
    assert list(mismatch.context["form"].errors) == ["new_password2"]
    assert "Your password is not set yet" in client.post(invited, {}).content.decode()
    assert "The two passwords are not the same" in mismatch.content.decode()
    for response in (short, mismatch):
        assert response.status_code == 200
        assert "Your password is not set yet" in response.content.decode()
    patient = dan()
    assert not patient.user.has_usable_password()
    assert patient.invitations.get().used_at is None
    assert "_auth_user_id" not in client.session


def test_unknown_link_is_not_valid(client):
    response = client.get(reverse("tracker:accept_invitation", args=["made-up"]))
    assert response.status_code == 200
    assert "This link is not valid." in response.content.decode()
    # No form in the page itself (the footer has the signed-out language switcher).
    assert "<form" not in response.content.decode().split("<main")[1].split("</main>")[0]


def test_link_of_a_deactivated_patient_is_not_valid(invited):
    user = dan().user
    user.is_active = False
    user.save()

    response = choose_password(Client(), invited)

    assert "This link is not valid." in response.content.decode()
    assert not User.objects.get(pk=user.pk).has_usable_password()


# A leftover link after a password was set some other way (issue 14, item 2): whoever holds
# the email must not be able to replace the password and be signed in.

HAS_PASSWORD = "This account already has a password"


def staff_sets_password(staff_client, user, password=STAFF_PASSWORD):
    """Staff set the password on the admin's own page for it."""
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    return staff_client.post(url, {"password1": password, "password2": password})


def assert_link_refused(path, password_now):
    """Open the link and submit it as a stranger: refused, nothing changed, nobody signed in."""
    stranger = Client()
    page = stranger.get(path)
    taken = choose_password(stranger, path, password="someone else took over")
    for response in (page, taken):
        body = response.content.decode()
        assert response.status_code == 200
        assert "<h1>This link does not work</h1>" in body
        assert "new_password1" not in body
    user = dan().user
    assert user.check_password(password_now)
    assert not user.check_password("someone else took over")
    assert "_auth_user_id" not in stranger.session


def test_a_password_set_by_staff_in_the_admin_ends_the_emailed_link(staff_client, invited):
    response = staff_sets_password(staff_client, dan().user)

    assert response.status_code == 302
    invitation = dan().invitations.get()
    assert invitation.revoked_at is not None and invitation.used_at is None
    assert_link_refused(invited, STAFF_PASSWORD)


def test_set_password_and_save_anywhere_ends_the_link(invited):
    user = dan().user
    user.set_password(STAFF_PASSWORD)
    user.save()

    assert dan().invitations.get().revoked_at is not None
    assert_link_refused(invited, STAFF_PASSWORD)


def test_a_save_of_the_password_field_alone_ends_the_link(invited):
    user = dan().user
    user.set_password(STAFF_PASSWORD)
    user.save(update_fields=["password"])

    assert dan().invitations.get().revoked_at is not None


def test_saves_that_give_no_usable_password_keep_the_link(invited):
    user = dan().user
    user.first_name = "Daniel"
    user.save()
    user.set_unusable_password()  # a new unusable hash: still no password to sign in with
    user.save()

    assert dan().invitations.get().revoked_at is None
    assert choose_password(Client(), invited).url == "/account/reminders/?welcome=1"


def test_a_password_written_without_a_save_is_still_refused_and_audited(invited):
    # A queryset update (or a fix in SQL) sends no signal: the link stays open in the
    # table, and accepting it must look at the account itself.
    User.objects.filter(username="dan@example.com").update(password=make_password(STAFF_PASSWORD))

    assert_link_refused(invited, STAFF_PASSWORD)

    page = Client().get(invited)
    assert HAS_PASSWORD in page.content.decode()
    refusals = AuditEvent.objects.filter(action=AuditAction.DENIED, object_type="invitation")
    # The stranger's GET and POST, and the GET just now.
    assert refusals.count() == 3
    assert {(e.actor, e.patient_public_id) for e in refusals} == {("anonymous", dan().public_id)}
    assert dan().invitations.get().used_at is None


def test_a_patient_changing_their_password_ends_a_leftover_link(alice, alice_client):
    # A link left open from before this rule, while Alice already had a password.
    Invitation.issue(alice, alice.practitioner, timezone.now())

    response = alice_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert alice.invitations.get().revoked_at is not None


def test_accepting_uses_that_link_and_revokes_any_other_open_one(xavier, invited):
    patient = dan()
    # Two links open at once: two "resend" clicks at the same moment can leave that.
    other = Invitation.objects.create(
        patient=patient,
        token_hash=Invitation.hash("a-second-open-link"),
        created_by=xavier,
        expires_at=timezone.now() + Invitation.VALID_FOR,
    )

    assert choose_password(Client(), invited).url == "/account/reminders/?welcome=1"

    accepted = patient.invitations.exclude(pk=other.pk).get()
    other.refresh_from_db()
    assert accepted.used_at is not None and accepted.revoked_at is None
    assert other.revoked_at is not None and other.used_at is None
    assert_link_refused("/invite/a-second-open-link/", NEW_PASSWORD)


# Links in emails come from SITE_URL, never from the request (issue 14, item 10): the
# Host header is the client's to choose, and a link to the attacker's host would carry
# the patient's token there.

SITE = "https://relief.example-clinic.org"


@pytest.fixture
def hostile_host(settings):
    """Headers naming the attacker's host and port, which ALLOWED_HOSTS lets through here
    (as a wildcard, or a proxy that passes any Host on, would); the site itself is SITE."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example"]
    settings.SITE_URL = SITE
    return {"Host": "evil.example:8443", "X-Forwarded-Host": "evil.example:8443"}


def site_links(text):
    return re.findall(r"https?://[^/\s\"]+/invite/[\w-]+/", text)


def test_the_emailed_link_uses_the_site_url_whatever_the_host_header(
    xavier_client, hostile_host, mailoutbox
):
    data = {"display_name": "Dan Dunn", "email": "dan@example.com", "neuropathy_kind": "diabetic"}
    response = xavier_client.post(ADD, data, headers=hostile_host)

    assert response.status_code == 302
    assert response.wsgi_request.get_host() == "evil.example:8443"  # the request did name it
    (email,) = mailoutbox
    assert "evil.example" not in email.body
    (link,) = site_links(email.body)
    assert link.startswith(f"{SITE}/invite/")
    # The link the practitioner is shown to copy is the same.
    assert xavier_client.session["invitation_link"]["url"] == link
    assert Invitation.hash(link.split("/")[-2]) == dan().invitations.get().token_hash


def test_a_resent_link_uses_the_site_url_whatever_the_host_header(
    xavier_client, invited, hostile_host, mailoutbox
):
    url = reverse("tracker:resend_invitation", args=[dan().public_id])
    response = xavier_client.post(url, headers=hostile_host)

    assert response.status_code == 302
    assert "evil.example" not in mailoutbox[-1].body
    (link,) = site_links(mailoutbox[-1].body)
    assert link.startswith(f"{SITE}/invite/")
