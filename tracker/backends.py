"""Signing in by username or e-mail address, whatever the case (issue 15).

Usernames, and non-empty addresses, are unique ignoring case in the database
(migration 0008), so at most one account has a given username and at most one
a given address. A username match comes first: a username is unique on its
own, an address only among addresses.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    """Django's ModelBackend, finding the user by username or address, ignoring case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_user(User, username)
        if user is None:
            # As ModelBackend does: hash anyway, so the time taken does not
            # tell whether the account exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user of a session, with their Patient or Practitioner row.

        Django's session auth calls this on every request of a session signed in
        through this backend. Every page asks for the role (access.role_of), and the
        language, which is the profile's: one query instead of three.
        """
        User = get_user_model()
        try:
            user = User._default_manager.select_related(*PROFILES).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


# The one-to-one profiles of an account (tracker.models): at most one of them exists.
PROFILES = ("patient", "practitioner")


def find_user(User, typed):
    users = User._default_manager
    by_name = users.filter(username__iexact=typed).first()
    if by_name is not None:
        return by_name
    if not typed:
        return None
    return users.filter(email__iexact=typed).first()


def lockout_username(request, credentials=None):
    """The name django-axes counts failures against (AXES_USERNAME_CALLABLE).

    The name as typed, in lower case: "Alice" and "alice" share one count, so
    changing the case does not buy more guesses.
    """
    # Where axes itself looks when no callable is set (axes.helpers.get_client_username).
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    return username.lower() if isinstance(username, str) else username
