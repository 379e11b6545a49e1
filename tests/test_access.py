"""Access rules the URL matrix does not cover: where each role's home is, ids
that are not anyone's, whose patients a worklist lists, and tracker.access.

The status of every URL for every kind of user, GET and POST, and that no body
carries anyone else's data, live in tests/test_access_matrix.py.
"""

from tracker import access
from tracker.models import CareTeamMember

LOGIN = "/accounts/login/"


def test_home_sends_each_role_home(clients):
    assert clients["anon"].get("/").url.startswith(LOGIN)
    assert clients["alice"].get("/").url == "/log/"
    assert clients["xavier"].get("/").url == "/practice/"
    assert clients["staff"].get("/").url == "/clinic/team/"  # the Team page (issue 23 B)


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


def test_the_versions_seen_are_those_of_the_patients_seen(alice, bob, carol, xavier, yara, staff):
    # The worklist's first query, through prepared SQL for practitioners.
    CareTeamMember.objects.create(patient=carol, practitioner=xavier, added_by=yara.user)
    for user in (alice.user, xavier.user, yara.user, staff):
        expected = list(access.patients_visible_to(user).values_list("pk", "data_version"))
        assert access.versions_visible_to(user) == expected, user
    assert {pk for pk, _ in access.versions_visible_to(xavier.user)} == {alice.pk, bob.pk, carol.pk}
