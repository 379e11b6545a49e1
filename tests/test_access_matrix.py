"""The access matrix over every URL: six people x (GET, POST).

For each: the expected status, and that nobody's response body carries data
they must not see. Every URL must have a POST row here (the guard test); GET
rows live in tests/test_access.py's LADDER.
"""

import pytest
from django.utils import timezone

from tests.test_access import ACTORS, LADDER, named_urls, url_for
from tracker.models import SymptomEntry, TreatmentSession

# POST with an empty form, status per actor in ACTORS order (anon, alice, bob,
# xavier, yara, staff). 405: the page does not take POST. 200: the form comes
# back with its errors. 302: sent on (to the login page for anonymous).
POST = {
    "tracker:home": (405, 405, 405, 405, 405, 405),
    "tracker:ping": (302, 405, 405, 405, 405, 405),
    "tracker:log": (302, 200, 200, 404, 404, 404),
    "tracker:history": (302, 405, 405, 404, 404, 404),
    "tracker:edit_entry": (302, 200, 404, 404, 404, 404),
    "tracker:delete_entry": (302, 302, 404, 404, 404, 404),
    "tracker:worklist": (302, 404, 404, 405, 405, 404),
    "tracker:patient_detail": (302, 404, 404, 405, 405, 404),
    "tracker:add_patient": (302, 404, 404, 200, 200, 404),
    # Alice already has a password: her practitioner is told so and sent back.
    "tracker:resend_invitation": (302, 404, 404, 302, 404, 404),
    "tracker:add_session": (302, 404, 404, 200, 404, 404),
    "tracker:edit_session": (302, 404, 404, 200, 404, 404),
    "tracker:delete_session": (302, 404, 404, 302, 404, 404),
    "tracker:export_csv": (302, 404, 404, 405, 405, 404),
    "tracker:report": (302, 404, 404, 405, 405, 404),
    "tracker:accept_invitation": (200, 200, 200, 200, 200, 200),
    "tracker:learn_index": (405, 405, 405, 405, 405, 405),
    "tracker:learn_page": (405, 405, 405, 405, 405, 405),
    "login": (200, 302, 302, 302, 302, 302),
    "logout": (302, 302, 302, 302, 302, 302),
    # Nobody here is half-way through signing in: each is sent on.
    "two_factor_verify": (302, 302, 302, 302, 302, 302),
    # Patients may enrol (an empty code comes back with its error); the others already have.
    "two_factor_setup": (302, 200, 200, 302, 302, 302),
    # New backup codes for those with a second factor; patients without one are sent to set up.
    "backup_codes": (302, 302, 302, 200, 200, 200),
    "password_change": (302, 200, 200, 200, 200, 200),
    "account": (302, 405, 405, 405, 405, 405),
    "my_data": (302, 405, 405, 404, 404, 404),
}

# Words planted in each person's records; who may see which.
SECRETS = {
    "alice": ["Alice Archer", "alice-note-7f3"],
    "alice-session": ["alice-session-note-1a"],
    "bob": ["Bob Baker", "bob-note-2c9"],
    "carol": ["Carol Carter", "carol-note-5d1"],
}
MAY_SEE = {
    "anon": set(),
    "alice": {"alice"},
    "bob": {"bob"},
    "xavier": {"alice", "alice-session", "bob"},
    "yara": {"carol"},
    "staff": set(),
}


@pytest.fixture
def world(alice, bob, carol, clients):
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
    return alice, entry, session, clients


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


@pytest.mark.parametrize("name", LADDER)
@pytest.mark.parametrize("actor", ACTORS)
def test_get_shows_nobody_else_s_data(world, name, actor):
    alice, entry, session, clients = world
    response = clients[actor].get(url_for(name, alice, entry, session))
    assert response.status_code == LADDER[name][actor]
    assert not leaks(actor, body_of(response)), name


@pytest.mark.parametrize("name", POST)
@pytest.mark.parametrize("actor", ACTORS)
def test_post_status_and_nobody_else_s_data(world, name, actor):
    alice, entry, session, clients = world
    response = clients[actor].post(url_for(name, alice, entry, session))
    expected = dict(zip(ACTORS, POST[name], strict=True))[actor]
    assert response.status_code == expected, (name, actor)
    assert not leaks(actor, body_of(response)), name


def test_every_url_is_in_the_post_matrix():
    missing = set(named_urls()) - set(POST)
    assert not missing, f"Add these URLs to POST in tests/test_access_matrix.py: {sorted(missing)}"
