"""Issue 15: signing in by username or e-mail address, whatever the case.

Walter.Newcomb@example.org could not sign in: only the lower-case form
worked. Usernames and addresses are now found ignoring case, unique ignoring
case in the database (migration 0008), and a lockout counts a name however it
is capitalised.
"""

from importlib import import_module

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test import Client

from tests.conftest import PASSWORD, make_user
from tracker.forms import AddPatientForm
from tracker.models import NeuropathyKind

LOGIN = "/accounts/login/"

pytestmark = pytest.mark.django_db


def migration():
    return import_module("tracker.migrations.0008_user_unique_ignoring_case")


def sign_in(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def alice_with_email(alice):
    alice.user.email = "Alice.Archer@example.org"
    alice.user.save()
    return alice


# Signing in


@pytest.mark.parametrize(
    "typed",
    [
        "alice",
        "Alice",
        "ALICE",
        "Alice.Archer@example.org",
        "alice.archer@example.org",
        "ALICE.ARCHER@EXAMPLE.ORG",
    ],
)
def test_a_patient_signs_in_with_username_or_email_in_any_case(client, alice_with_email, typed):
    response = sign_in(client, typed)
    assert response.status_code == 302
    assert signed_in_as(client) == str(alice_with_email.user.pk)


def test_a_mixed_case_email_username_signs_in_in_any_case(client, db):
    """The reported case: the address as the patient types it, capitals and all."""
    walter = make_user("walter.newcomb@example.org", email="walter.newcomb@example.org")
    for typed in ["Walter.Newcomb@example.org", "WALTER.NEWCOMB@EXAMPLE.ORG"]:
        browser = Client()
        assert sign_in(browser, typed).status_code == 302
        assert signed_in_as(browser) == str(walter.pk)


def test_the_wrong_password_is_refused_whatever_the_case(client, alice_with_email):
    for typed in ["Alice", "alice.archer@example.org"]:
        response = sign_in(client, typed, "not my password")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    assert not signed_in_as(client)


def test_a_username_wins_over_another_users_email(client, alice, bob):
    """Usernames and addresses are unique each, not across: a username match comes first."""
    bob.user.email = "ALICE"
    bob.user.save()
    assert sign_in(client, "Alice").status_code == 302
    assert signed_in_as(client) == str(alice.user.pk)


def test_an_inactive_user_cannot_sign_in_by_email(client, alice_with_email):
    alice_with_email.user.is_active = False
    alice_with_email.user.save()
    assert sign_in(client, "alice.archer@example.org").status_code == 200
    assert not signed_in_as(client)


# Lockout


def test_changing_the_case_does_not_dodge_the_lockout(client, alice):
    for typed in ["alice", "Alice", "ALICE"] * 3:
        assert sign_in(client, typed, "guess").status_code == 200
    assert sign_in(client, "aLiCe", "guess").status_code == 429
    assert AccessAttempt.objects.get().failures_since_start == 10
    # The right password, in any case, waits out the cool-off.
    for typed in ["alice", "Alice"]:
        assert sign_in(Client(), typed).status_code == 429


def test_a_lockout_of_one_username_does_not_lock_another(client, alice, bob):
    for _ in range(10):
        sign_in(client, "Alice", "guess")
    assert sign_in(Client(), "alice").status_code == 429
    assert sign_in(Client(), "Bob").status_code == 302


# The migration and the database


def drop_indexes():
    """Inside the test's transaction (rolled back after it), as before migration 0008."""
    with connection.cursor() as cursor:
        for name in migration().INDEXES:
            cursor.execute(f"DROP INDEX {name}")


def test_the_migration_refuses_usernames_differing_only_in_case(db):
    drop_indexes()
    make_user("alice")
    make_user("Alice")
    make_user("bob", email="Bob@example.org")
    make_user("robert", email="BOB@example.org")
    make_user("carol", email="")
    make_user("carl", email="")
    with pytest.raises(migration().CaseDuplicates) as refused:
        migration().refuse_case_duplicates(django_apps(), None)
    message = str(refused.value)
    assert "'alice', 'Alice'" in message or "'Alice', 'alice'" in message
    assert "Bob@example.org" in message and "BOB@example.org" in message
    assert "carol" not in message  # empty addresses are not duplicates


def test_the_migration_runs_when_no_names_differ_only_in_case(db):
    drop_indexes()
    make_user("alice", email="alice@example.org")
    make_user("bob", email="")
    make_user("carol", email="")
    migration().refuse_case_duplicates(django_apps(), None)


def django_apps():
    from django.apps import apps

    return apps


@pytest.mark.parametrize(
    "first, second",
    [
        ({"username": "alice"}, {"username": "Alice"}),
        ({"username": "a", "email": "x@example.org"}, {"username": "b", "email": "X@example.ORG"}),
    ],
)
def test_the_database_refuses_a_duplicate_differing_only_in_case(db, first, second):
    User.objects.create(**first)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(**second)


def test_the_database_allows_many_users_without_an_email(db):
    User.objects.create(username="a", email="")
    User.objects.create(username="b", email="")


# Forms that create users


def add_patient_form(email):
    return AddPatientForm(
        {"display_name": "Dan", "email": email, "neuropathy_kind": NeuropathyKind.DIABETIC}
    )


def test_add_patient_refuses_an_address_that_is_a_username_in_another_case(db):
    make_user("Dan@Example.org", email="")
    form = add_patient_form("dan@example.org")
    assert not form.is_valid()
    assert "Someone already has an account with this email address" in form.errors["email"][0]


def test_add_patient_refuses_an_address_that_is_an_email_in_another_case(db):
    make_user("dan", email="Dan@Example.org")
    form = add_patient_form("DAN@example.org")
    assert not form.is_valid()
    assert form.has_error("email", "taken")


def test_the_admins_new_user_form_refuses_a_username_in_another_case(alice):
    """Django's own UserCreationForm (the admin's add page) already checks this."""
    from django.contrib.auth.forms import UserCreationForm

    form = UserCreationForm({"username": "ALICE", "password1": PASSWORD, "password2": PASSWORD})
    assert not form.is_valid()
    assert form.has_error("username", "unique")


@pytest.mark.parametrize(("field", "value"), [("username", "BOB"), ("email", "BOB@EXAMPLE.ORG")])
def test_the_admin_refuses_a_case_duplicate_with_a_form_error(
    staff_client, alice, bob, field, value
):
    # Without the form check the unique index answered with an IntegrityError (a 500).
    bob.user.email = "bob@example.org"
    bob.user.save()
    user = alice.user
    form = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "09:00:00",
        field: value,
    }
    staff_client.raise_request_exception = False

    response = staff_client.post(f"/admin/auth/user/{user.pk}/change/", form)

    assert response.status_code == 200
    assert "capitals aside" in response.content.decode()
    user.refresh_from_db()
    assert getattr(user, field) != value
