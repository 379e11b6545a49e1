"""The access ladder for every URL: anonymous, each patient, each practitioner, staff.

A guard test walks the URL resolver so a new URL cannot ship without a row here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tracker import access
from tracker.models import SymptomEntry, TreatmentSession

LOGIN = "/accounts/login/"

# url name -> expected status for each actor; 302 means "to the login page"
# for anonymous and "to their home" for signed-in users.
LADDER = {
    "tracker:home": {
        "anon": 302,
        "alice": 302,
        "bob": 302,
        "xavier": 302,
        "yara": 302,
        "staff": 302,
    },
    "tracker:log": {
        "anon": 302,
        "alice": 200,
        "bob": 200,
        "xavier": 404,
        "yara": 404,
        "staff": 404,
    },
    "tracker:history": {
        "anon": 302,
        "alice": 200,
        "bob": 200,
        "xavier": 404,
        "yara": 404,
        "staff": 404,
    },
    # Alice's own entry: only Alice may change or delete it.
    "tracker:edit_entry": {
        "anon": 302,
        "alice": 200,
        "bob": 404,
        "xavier": 404,
        "yara": 404,
        "staff": 404,
    },
    "tracker:delete_entry": {
        "anon": 302,
        "alice": 200,
        "bob": 404,
        "xavier": 404,
        "yara": 404,
        "staff": 404,
    },
    "tracker:worklist": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 200,
        "yara": 200,
        "staff": 404,
    },
    # Alice's page: only her practitioner, Xavier, may open it.
    "tracker:patient_detail": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 200,
        "yara": 404,
        "staff": 404,
    },
    "tracker:add_patient": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 200,
        "yara": 200,
        "staff": 404,
    },
    # POST only; the patient is looked up after the method check.
    "tracker:resend_invitation": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 405,
        "yara": 405,
        "staff": 404,
    },
    "tracker:add_session": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 200,
        "yara": 404,
        "staff": 404,
    },
    "tracker:edit_session": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 200,
        "yara": 404,
        "staff": 404,
    },
    "tracker:delete_session": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 200,
        "yara": 404,
        "staff": 404,
    },
    "tracker:export_csv": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 200,
        "yara": 404,
        "staff": 404,
    },
    "tracker:report": {
        "anon": 302,
        "alice": 404,
        "bob": 404,
        "xavier": 200,
        "yara": 404,
        "staff": 404,
    },
    # An unknown token: everyone gets the page that explains the link is not valid.
    # The benchmark's trivial signed-in page.
    "tracker:ping": {
        "anon": 302,
        "alice": 200,
        "bob": 200,
        "xavier": 200,
        "yara": 200,
        "staff": 200,
    },
    "tracker:accept_invitation": {
        "anon": 200,
        "alice": 200,
        "bob": 200,
        "xavier": 200,
        "yara": 200,
        "staff": 200,
    },
    "tracker:learn_index": {
        "anon": 200,
        "alice": 200,
        "bob": 200,
        "xavier": 200,
        "yara": 200,
        "staff": 200,
    },
    "tracker:learn_page": {
        "anon": 200,
        "alice": 200,
        "bob": 200,
        "xavier": 200,
        "yara": 200,
        "staff": 200,
    },
    "login": {"anon": 200, "alice": 302, "bob": 302, "xavier": 302, "yara": 302, "staff": 302},
    # Logging out is POST only; a GET must not sign anyone out.
    "logout": {"anon": 405, "alice": 405, "bob": 405, "xavier": 405, "yara": 405, "staff": 405},
    # The second step: everyone here is past it, or has no device, so it sends them on.
    "two_factor_verify": {
        "anon": 302,
        "alice": 302,
        "bob": 302,
        "xavier": 302,
        "yara": 302,
        "staff": 302,
    },
    # Patients may turn it on; practitioners and staff already have a device.
    "two_factor_setup": {
        "anon": 302,
        "alice": 200,
        "bob": 200,
        "xavier": 302,
        "yara": 302,
        "staff": 302,
    },
    # Only with an authenticator; patients without one are sent to set it up.
    "backup_codes": {
        "anon": 302,
        "alice": 302,
        "bob": 302,
        "xavier": 200,
        "yara": 200,
        "staff": 200,
    },
    "password_change": {
        "anon": 302,
        "alice": 200,
        "bob": 200,
        "xavier": 200,
        "yara": 200,
        "staff": 200,
    },
    "account": {"anon": 302, "alice": 200, "bob": 200, "xavier": 200, "yara": 200, "staff": 200},
    # A patient's own data: each patient gets their own; nobody else has any.
    "my_data": {"anon": 302, "alice": 200, "bob": 200, "xavier": 404, "yara": 404, "staff": 404},
}
ACTORS = ["anon", "alice", "bob", "xavier", "yara", "staff"]


def url_for(name, alice, entry, session):
    kwargs = {
        "tracker:patient_detail": {"public_id": alice.public_id},
        "tracker:edit_entry": {"public_id": entry.public_id},
        "tracker:resend_invitation": {"public_id": alice.public_id},
        "tracker:add_session": {"public_id": alice.public_id},
        "tracker:edit_session": {"public_id": session.public_id},
        "tracker:delete_session": {"public_id": session.public_id},
        "tracker:export_csv": {"public_id": alice.public_id},
        "tracker:report": {"public_id": alice.public_id},
        "tracker:accept_invitation": {"token": "not-a-real-token"},
        "tracker:delete_entry": {"public_id": entry.public_id},
        "tracker:learn_page": {"slug": "tracking-your-symptoms"},
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", LADDER)
@pytest.mark.parametrize("actor", ACTORS)
def test_access_ladder(clients, alice, name, actor):
    entry = SymptomEntry.objects.create(
        patient=alice, recorded_at=timezone.now(), pain=3, numbness=4, tingling=5
    )
    session = TreatmentSession.objects.create(
        patient=alice, practitioner=alice.practitioner, when=timezone.now()
    )
    url = url_for(name, alice, entry, session)
    response = clients[actor].get(url)
    expected = LADDER[name][actor]
    assert response.status_code == expected, f"{actor} GET {url}"
    if expected == 302 and actor == "anon":
        assert response.url.startswith(LOGIN)


def test_home_sends_each_role_home(clients):
    assert clients["anon"].get("/").url.startswith(LOGIN)
    assert clients["alice"].get("/").url == "/log/"
    assert clients["xavier"].get("/").url == "/practice/"
    assert clients["staff"].get("/").url == "/admin/"


def test_practitioner_cannot_open_other_practitioners_patient(yara_client, alice):
    response = yara_client.get(reverse("tracker:patient_detail", args=[alice.public_id]))
    assert response.status_code == 404
    assert "Alice" not in response.content.decode()


def test_unknown_patient_id_is_404_like_a_forbidden_one(xavier_client):
    response = xavier_client.get("/practice/patients/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


def test_integer_ids_are_not_urls(xavier_client, alice):
    response = xavier_client.get(f"/practice/patients/{alice.pk}/")
    assert response.status_code == 404


def test_worklist_lists_only_own_patients(xavier_client, alice, bob, carol):
    body = xavier_client.get("/practice/").content.decode()
    assert "Alice Archer" in body and "Bob Baker" in body
    assert "Carol Carter" not in body


def test_patients_visible_to(alice, bob, carol, xavier, yara, staff):
    assert list(access.patients_visible_to(alice.user)) == [alice]
    assert set(access.patients_visible_to(xavier.user)) == {alice, bob}
    assert list(access.patients_visible_to(yara.user)) == [carol]
    assert list(access.patients_visible_to(staff)) == []


def test_deactivated_user_has_no_role(alice):
    alice.user.is_active = False
    alice.user.save()
    assert access.role_of(alice.user) is None


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


def test_every_url_is_in_the_access_ladder():
    missing = set(named_urls()) - set(LADDER)
    assert not missing, f"Add these URLs to LADDER in tests/test_access.py: {sorted(missing)}"
