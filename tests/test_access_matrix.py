"""The access matrix over every URL: seven people x (GET, POST).

For each: the expected status, that nobody's response body carries data they
must not see, and that no response to a signed-in person may be stored by a
browser or a proxy. Two guard tests walk the URL resolver so a new URL cannot
ship without both its GET and its POST row here.
"""

import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import client_for, make_practitioner, verified_client_for
from tracker.models import CareTeamMember, Medicine, SymptomEntry, TreatmentSession

LOGIN = "/accounts/login/"
# zoe is a practitioner in Alice's care team (cover): she sees Alice as Xavier does,
# but only Xavier, the responsible practitioner, changes the team.
ACTORS = ("anon", "alice", "bob", "xavier", "yara", "staff", "zoe")

# GET, status per actor in ACTORS order (anon, alice, bob, xavier, yara, staff, zoe).
# 302 means "to the login page" for anonymous (checked) and "on to somewhere
# else" (their home, or the next step) for signed-in users.
GET = {
    "tracker:home": (302, 302, 302, 302, 302, 302, 302),
    # The benchmark's trivial signed-in page.
    "tracker:ping": (302, 200, 200, 200, 200, 200, 200),
    # The app on the home screen: the same for everyone, signed in or not.
    "tracker:manifest": (200, 200, 200, 200, 200, 200, 200),
    "tracker:service_worker": (200, 200, 200, 200, 200, 200, 200),
    "tracker:offline": (200, 200, 200, 200, 200, 200, 200),
    "tracker:log": (302, 200, 200, 404, 404, 404, 404),
    "tracker:history": (302, 200, 200, 404, 404, 404, 404),
    # Alice's own entry: only Alice may change or delete it.
    "tracker:edit_entry": (302, 200, 404, 404, 404, 404, 404),
    "tracker:delete_entry": (302, 200, 404, 404, 404, 404, 404),
    # The questions after Alice's check-in: hers alone (this week's are due).
    "tracker:follow_up": (302, 200, 404, 404, 404, 404, 404),
    "tracker:worklist": (302, 404, 404, 200, 200, 404, 200),
    # Alice's page: only her practitioner, Xavier, may open it.
    "tracker:patient_detail": (302, 404, 404, 200, 404, 404, 200),
    "tracker:add_patient": (302, 404, 404, 200, 200, 404, 200),
    # POST only; the patient is looked up after the method check.
    "tracker:resend_invitation": (302, 404, 404, 405, 405, 404, 405),
    "tracker:send_password_reset": (302, 404, 404, 405, 405, 404, 405),
    "tracker:sign_in_sheet": (302, 404, 404, 405, 405, 404, 405),
    "tracker:add_email": (302, 404, 404, 405, 405, 404, 405),
    "tracker:add_team_member": (302, 404, 404, 405, 405, 404, 405),
    "tracker:remove_team_member": (302, 404, 404, 405, 405, 404, 405),
    "tracker:add_session": (302, 404, 404, 200, 404, 404, 200),
    "tracker:edit_session": (302, 404, 404, 200, 404, 404, 200),
    "tracker:delete_session": (302, 404, 404, 200, 404, 404, 200),
    # POST only; the session is looked up after the method check.
    "tracker:record_outcome": (302, 404, 404, 405, 405, 404, 405),
    "tracker:export_csv": (302, 404, 404, 200, 404, 404, 200),
    "tracker:report": (302, 404, 404, 200, 404, 404, 200),
    # FHIR: Alice's bundle for her practitioners; each patient their own; the
    # definitions (no patient data) for everyone.
    "tracker:fhir_bundle": (302, 404, 404, 200, 404, 404, 200),
    "tracker:my_fhir_bundle": (302, 200, 200, 404, 404, 404, 404),
    "tracker:fhir_questionnaire": (200, 200, 200, 200, 200, 200, 200),
    "tracker:fhir_code_system": (200, 200, 200, 200, 200, 200, 200),
    # Issue 16, POST only: reviews, finishing and re-opening a course, identity details.
    "tracker:review": (302, 404, 404, 405, 405, 404, 405),
    "tracker:undo_review": (302, 404, 404, 405, 405, 404, 405),
    "tracker:finish_course": (302, 404, 404, 405, 405, 404, 405),
    "tracker:reopen_course": (302, 404, 404, 405, 405, 404, 405),
    "tracker:edit_details": (302, 404, 404, 405, 405, 404, 405),
    # An unknown token: everyone gets the page that explains the link is not valid.
    "tracker:accept_invitation": (200, 200, 200, 200, 200, 200, 200),
    "tracker:sheet_link": (200, 200, 200, 200, 200, 200, 200),
    # Reminders: the patient's own; suggesting is POST only, for the patient's practitioner.
    "tracker:reminders": (302, 200, 200, 404, 404, 404, 404),
    "tracker:use_suggestion": (302, 405, 405, 404, 404, 404, 404),
    "tracker:suggest_reminders": (302, 404, 404, 405, 405, 404, 405),
    # A bad token: everyone gets the plain page saying the link is not valid.
    "tracker:unsubscribe": (400, 400, 400, 400, 400, 400, 400),
    # The medicine list: each patient their own; Alice's medicine is hers to change.
    "tracker:medicines": (302, 200, 200, 404, 404, 404, 404),
    "tracker:edit_medicine": (302, 200, 404, 404, 404, 404, 404),
    "tracker:remove_medicine": (302, 405, 405, 404, 404, 404, 404),
    "tracker:learn_index": (200, 200, 200, 200, 200, 200, 200),
    "tracker:learn_page": (200, 200, 200, 200, 200, 200, 200),
    # The Team page (issue 23 B), staff only. The ids are Sam's own account: a practitioner's
    # page lists their patients' names to move them (tests/test_staff_team.py), which would
    # count as a leak here. Sam may not deactivate himself: sent back to his page.
    "tracker:staff_team": (302, 404, 404, 404, 404, 200, 404),
    "tracker:staff_invite": (302, 404, 404, 404, 404, 200, 404),
    "tracker:staff_member": (302, 404, 404, 404, 404, 200, 404),
    "tracker:staff_invite_again": (302, 404, 404, 404, 404, 405, 404),
    "tracker:staff_deactivate": (302, 404, 404, 404, 404, 302, 404),
    "tracker:staff_reassign": (302, 404, 404, 404, 404, 405, 404),
    "login": (200, 302, 302, 302, 302, 302, 302),
    # A forgotten password: open to everyone, signed in or not; an unknown link is refused.
    "password_reset": (200, 200, 200, 200, 200, 200, 200),
    "password_reset_done": (200, 200, 200, 200, 200, 200, 200),
    "password_reset_confirm": (200, 200, 200, 200, 200, 200, 200),
    # Logging out is POST only; a GET must not sign anyone out.
    "logout": (405, 405, 405, 405, 405, 405, 405),
    # The second step: everyone here is past it, or has no device, so it sends them on.
    "two_factor_verify": (302, 302, 302, 302, 302, 302, 302),
    # Patients may turn it on; practitioners and staff already have a device.
    "two_factor_setup": (302, 200, 200, 302, 302, 302, 302),
    # Only with an authenticator; patients without one are sent to set it up.
    "backup_codes": (302, 302, 302, 200, 200, 200, 200),
    "password_change": (302, 200, 200, 200, 200, 200, 200),
    "account": (302, 200, 200, 200, 200, 200, 200),
    # Issue 20: the account's language choice and the signed-out switcher take POST only.
    "choose_language": (302, 405, 405, 405, 405, 405, 405),
    "set_language": (405, 405, 405, 405, 405, 405, 405),
    # A patient's own data: each patient gets their own; nobody else has any.
    "my_data": (302, 200, 200, 404, 404, 404, 404),
    # Asking to be erased: each patient for themself; nobody else has an account to erase here.
    "erase_account": (302, 200, 200, 404, 404, 404, 404),
    # POST only; a patient without an open request is told so and sent back.
    "withdraw_erasure": (302, 405, 405, 404, 404, 404, 404),
}

# POST with an empty form, same order. 405: the page does not take POST.
# 200: the form comes back with its errors. 302: sent on (to the login page
# for anonymous, checked).
POST = {
    "tracker:home": (405, 405, 405, 405, 405, 405, 405),
    "tracker:ping": (302, 405, 405, 405, 405, 405, 405),
    "tracker:manifest": (405, 405, 405, 405, 405, 405, 405),
    "tracker:service_worker": (405, 405, 405, 405, 405, 405, 405),
    "tracker:offline": (405, 405, 405, 405, 405, 405, 405),
    "tracker:log": (302, 200, 200, 404, 404, 404, 404),
    "tracker:history": (302, 405, 405, 404, 404, 404, 404),
    "tracker:edit_entry": (302, 200, 404, 404, 404, 404, 404),
    "tracker:delete_entry": (302, 302, 404, 404, 404, 404, 404),
    # Nothing answered is still an answer: the questions are stored as skipped.
    "tracker:follow_up": (302, 302, 404, 404, 404, 404, 404),
    "tracker:worklist": (302, 404, 404, 405, 405, 404, 405),
    "tracker:patient_detail": (302, 404, 404, 405, 405, 404, 405),
    "tracker:add_patient": (302, 404, 404, 200, 200, 404, 200),
    # Alice already has a password: her practitioner is told so and sent back.
    "tracker:resend_invitation": (302, 404, 404, 302, 404, 404, 302),
    # Alice has no email address in this world: her practitioner is told, and sent back.
    "tracker:send_password_reset": (302, 404, 404, 302, 404, 404, 302),
    # The sheet itself, for Xavier's patient only.
    "tracker:sign_in_sheet": (302, 404, 404, 200, 404, 404, 200),
    # An empty address: the error is shown on the patient page.
    "tracker:add_email": (302, 404, 404, 302, 404, 404, 302),
    # Only the responsible practitioner changes the care team: a member is refused.
    "tracker:add_team_member": (302, 404, 404, 302, 404, 404, 403),
    "tracker:remove_team_member": (302, 404, 404, 302, 404, 404, 403),
    "tracker:add_session": (302, 404, 404, 200, 404, 404, 200),
    "tracker:edit_session": (302, 404, 404, 200, 404, 404, 200),
    "tracker:delete_session": (302, 404, 404, 302, 404, 404, 302),
    # No outcome chosen: Xavier is told so on Alice's page; nothing changes.
    "tracker:record_outcome": (302, 404, 404, 302, 404, 404, 302),
    "tracker:export_csv": (302, 404, 404, 405, 405, 404, 405),
    "tracker:report": (302, 404, 404, 405, 405, 404, 405),
    "tracker:fhir_bundle": (302, 404, 404, 405, 405, 404, 405),
    "tracker:my_fhir_bundle": (302, 405, 405, 404, 404, 404, 404),
    "tracker:fhir_questionnaire": (405, 405, 405, 405, 405, 405, 405),
    "tracker:fhir_code_system": (405, 405, 405, 405, 405, 405, 405),
    "tracker:accept_invitation": (200, 200, 200, 200, 200, 200, 200),
    "tracker:sheet_link": (200, 200, 200, 200, 200, 200, 200),
    # Alice has no flags, no review, an open course: each says so on her page. An
    # empty discharge form is refused with a message there; empty details are none.
    "tracker:review": (302, 404, 404, 302, 404, 404, 302),
    "tracker:undo_review": (302, 404, 404, 302, 404, 404, 302),
    "tracker:finish_course": (302, 404, 404, 302, 404, 404, 302),
    "tracker:reopen_course": (302, 404, 404, 302, 404, 404, 302),
    "tracker:edit_details": (302, 404, 404, 302, 404, 404, 302),
    # An empty form comes back with its errors; with no suggestion, "Use this" sends back.
    "tracker:reminders": (302, 200, 200, 404, 404, 404, 404),
    "tracker:use_suggestion": (302, 302, 302, 404, 404, 404, 404),
    "tracker:suggest_reminders": (302, 404, 404, 200, 404, 404, 200),
    "tracker:unsubscribe": (400, 400, 400, 400, 400, 400, 400),
    # An empty form comes back with its errors; Alice's medicine was never ticked.
    "tracker:medicines": (302, 200, 200, 404, 404, 404, 404),
    "tracker:edit_medicine": (302, 200, 404, 404, 404, 404, 404),
    "tracker:remove_medicine": (302, 302, 404, 404, 404, 404, 404),
    "tracker:learn_index": (405, 405, 405, 405, 405, 405, 405),
    "tracker:learn_page": (405, 405, 405, 405, 405, 405, 405),
    # An empty invitation form comes back with its errors; Sam has a password already, may
    # not deactivate himself, and has no patients to move: each is told so on his page.
    "tracker:staff_team": (302, 404, 404, 404, 404, 405, 404),
    "tracker:staff_invite": (302, 404, 404, 404, 404, 200, 404),
    "tracker:staff_member": (302, 404, 404, 404, 404, 405, 404),
    "tracker:staff_invite_again": (302, 404, 404, 404, 404, 302, 404),
    "tracker:staff_deactivate": (302, 404, 404, 404, 404, 302, 404),
    "tracker:staff_reassign": (302, 404, 404, 404, 404, 302, 404),
    "login": (200, 302, 302, 302, 302, 302, 302),
    # An empty form comes back with its error; the done page takes no POST.
    "password_reset": (200, 200, 200, 200, 200, 200, 200),
    "password_reset_done": (405, 405, 405, 405, 405, 405, 405),
    "password_reset_confirm": (200, 200, 200, 200, 200, 200, 200),
    "logout": (302, 302, 302, 302, 302, 302, 302),
    # Nobody here is half-way through signing in: each is sent on.
    "two_factor_verify": (302, 302, 302, 302, 302, 302, 302),
    # Patients may enrol (an empty code comes back with its error); the others already have.
    "two_factor_setup": (302, 200, 200, 302, 302, 302, 302),
    # New backup codes for those with a second factor; patients without one are sent to set up.
    "backup_codes": (302, 302, 302, 200, 200, 200, 200),
    "password_change": (302, 200, 200, 200, 200, 200, 200),
    "account": (302, 405, 405, 405, 405, 405, 405),
    # An empty form: refused with a message on the account page (staff have no choice);
    # the switcher without a language changes nothing and goes back to the sign-in page.
    "choose_language": (302, 302, 302, 302, 302, 302, 302),
    "set_language": (302, 302, 302, 302, 302, 302, 302),
    "my_data": (302, 405, 405, 404, 404, 404, 404),
    # An empty form comes back with its errors (the password is required); nothing is asked.
    "erase_account": (302, 200, 200, 404, 404, 404, 404),
    "withdraw_erasure": (302, 302, 302, 404, 404, 404, 404),
}

# Words planted in each person's records; who may see which.
SECRETS = {
    "alice": ["Alice", "alice-note-7f3"],
    "alice-session": ["alice-session-note-1a"],
    "alice-medicine": ["alice-medicine-4e8"],
    "bob": ["Bob Baker", "bob-note-2c9"],
    "carol": ["Carol", "carol-note-5d1"],
}
MAY_SEE = {
    "anon": set(),
    "alice": {"alice", "alice-medicine"},
    "bob": {"bob"},
    "xavier": {"alice", "alice-session", "alice-medicine", "bob"},
    "yara": {"carol"},
    "staff": set(),
    "zoe": {"alice", "alice-session", "alice-medicine"},
}


@pytest.fixture
def world(alice, bob, carol, yara, staff):
    """Everyone's records, and a way to sign in one actor (only the one a case asks for:
    signing in all seven for every case made this module the slowest in the suite)."""
    now = timezone.now()
    entry = SymptomEntry.objects.create(
        patient=alice, recorded_at=now, pain=4, numbness=5, tingling=6, note="alice-note-7f3"
    )
    SymptomEntry.objects.create(
        patient=bob, recorded_at=now, pain=1, numbness=1, tingling=1, note="bob-note-2c9"
    )
    SymptomEntry.objects.create(
        patient=carol, recorded_at=now, pain=2, numbness=2, tingling=2, note="carol-note-5d1"
    )
    session = TreatmentSession.objects.create(
        patient=alice, practitioner=alice.practitioner, when=now, notes="alice-session-note-1a"
    )
    Medicine.objects.create(patient=alice, name="alice-medicine-4e8", dose="75 mg")
    zoe = make_practitioner("zoe", "Dr Zoe")
    CareTeamMember.objects.create(patient=alice, practitioner=zoe)
    patients = {"alice": alice.user, "bob": bob.user}
    second_factor = {"xavier": alice.practitioner.user, "yara": yara.user, "staff": staff}
    second_factor["zoe"] = zoe.user

    def sign_in(actor):
        if actor == "anon":
            return Client()
        if actor in patients:
            return client_for(patients[actor])
        return verified_client_for(second_factor[actor])

    return alice, entry, session, sign_in


def leaks(actor, body):
    return [
        word
        for owner, words in SECRETS.items()
        if owner not in MAY_SEE[actor]
        for word in words
        if word in body
    ]


def body_of(response):
    content = b"".join(response) if response.streaming else response.content
    return content.decode(errors="replace")


def url_for(name, alice, entry, session):
    """The URL for name, about Alice, her entry or her session where it takes an id."""
    kwargs = {
        "tracker:patient_detail": {"public_id": alice.public_id},
        "tracker:edit_entry": {"public_id": entry.public_id},
        "tracker:delete_entry": {"public_id": entry.public_id},
        "tracker:follow_up": {"public_id": entry.public_id},
        "tracker:edit_medicine": {"public_id": medicine_of(alice)},
        "tracker:remove_medicine": {"public_id": medicine_of(alice)},
        "tracker:resend_invitation": {"public_id": alice.public_id},
        "tracker:send_password_reset": {"public_id": alice.public_id},
        "tracker:sign_in_sheet": {"public_id": alice.public_id},
        "tracker:add_email": {"public_id": alice.public_id},
        "tracker:add_team_member": {"public_id": alice.public_id},
        "tracker:remove_team_member": {
            "public_id": alice.public_id,
            # The world's member (Zoe); other callers of url_for may have none.
            "member_id": CareTeamMember.objects.filter(patient=alice)
            .values_list("pk", flat=True)
            .first()
            or 0,
        },
        "tracker:sheet_link": {"token": "AAAA-BBBB-CCCC"},
        "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-real-token"},
        "tracker:add_session": {"public_id": alice.public_id},
        "tracker:edit_session": {"public_id": session.public_id},
        "tracker:delete_session": {"public_id": session.public_id},
        "tracker:record_outcome": {"public_id": session.public_id},
        "tracker:export_csv": {"public_id": alice.public_id},
        "tracker:report": {"public_id": alice.public_id},
        "tracker:fhir_bundle": {"public_id": alice.public_id},
        "tracker:review": {"public_id": alice.public_id},
        "tracker:undo_review": {"public_id": alice.public_id},
        "tracker:finish_course": {"public_id": alice.public_id},
        "tracker:reopen_course": {"public_id": alice.public_id},
        "tracker:edit_details": {"public_id": alice.public_id},
        "tracker:accept_invitation": {"token": "not-a-real-token"},
        "tracker:suggest_reminders": {"public_id": alice.public_id},
        "tracker:unsubscribe": {"token": "not-a-real-token"},
        "tracker:learn_page": {"slug": "tracking-your-symptoms"},
    }.get(name, {})
    if name.startswith("tracker:staff_") and name not in (
        "tracker:staff_team",
        "tracker:staff_invite",
    ):
        # Other callers of url_for may have no Sam: an id nobody has.
        sam = User.objects.filter(username="sam").values_list("pk", flat=True).first()
        kwargs = {"user_id": sam or 0}
    return reverse(name, kwargs=kwargs)


def medicine_of(alice):
    """The public id of Alice's medicine in the world, or a made-up one where there is none."""
    return Medicine.objects.filter(patient=alice).values_list("public_id", flat=True).first() or (
        uuid.UUID(int=0)
    )


def statuses(table, name):
    """{actor: expected status} for one URL's row of GET or POST."""
    return dict(zip(ACTORS, table[name], strict=True))


def cache_directives(response):
    """The Cache-Control directive names, lower case ("max-age=0" gives "max-age")."""
    header = response.headers.get("Cache-Control", "")
    return {part.split("=")[0].strip().lower() for part in header.split(",") if part.strip()}


def check_not_stored(response, actor, method, url):
    directives = cache_directives(response)
    shown = f"{actor} {method} {url}: Cache-Control {response.headers.get('Cache-Control')!r}"
    assert {"no-store", "private"} <= directives, shown
    assert "public" not in directives, shown


def check(response, expected, actor, method, url):
    assert response.status_code == expected, f"{actor} {method} {url}"
    if expected == 302 and actor == "anon":
        assert response.url.startswith(LOGIN), f"{actor} {method} {url} -> {response.url}"
    assert not leaks(actor, body_of(response)), f"{actor} {method} {url}"
    if actor != "anon":
        # Health pages left in a shared computer's browser cache; redirects and 404s too.
        check_not_stored(response, actor, method, url)


@pytest.mark.parametrize("name", GET)
@pytest.mark.parametrize("actor", ACTORS)
def test_get_shows_nobody_else_s_data(world, name, actor):
    alice, entry, session, sign_in = world
    url = url_for(name, alice, entry, session)
    check(sign_in(actor).get(url), statuses(GET, name)[actor], actor, "GET", url)


@pytest.mark.parametrize("name", POST)
@pytest.mark.parametrize("actor", ACTORS)
def test_post_status_and_nobody_else_s_data(world, name, actor):
    alice, entry, session, sign_in = world
    url = url_for(name, alice, entry, session)
    check(sign_in(actor).post(url), statuses(POST, name)[actor], actor, "POST", url)


def named_urls(resolver=None, namespace=""):
    """Every named URL the project serves, except the Django admin's own."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            ns = pattern.namespace or ""
            yield from named_urls(pattern, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_is_in_the_get_matrix():
    missing = set(named_urls()) - set(GET)
    assert not missing, f"Add these URLs to GET in tests/test_access_matrix.py: {sorted(missing)}"


def test_every_url_is_in_the_post_matrix():
    missing = set(named_urls()) - set(POST)
    assert not missing, f"Add these URLs to POST in tests/test_access_matrix.py: {sorted(missing)}"
