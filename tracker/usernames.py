"""Usernames for patients who have no e-mail address.

Short and readable, so that a patient can copy one from a printed sheet: a
plain word and four digits, such as "maple-4821". Nothing in it comes from the
person (no name, initials or birth year), so a username seen on a sheet or
over a shoulder says nothing about who it belongs to.
"""

import secrets

# Everyday words that are easy to spell and hard to misread.
# A paragraph of text rather than a list of 76 quoted words: easier to read and edit.
WORDS = (  # noqa: SIM905
    "acorn amber apple aspen badger basil beach birch bloom brook cedar cherry "
    "clover cloud coral daisy delta dune ember fern field finch forest garden ginger "
    "harbor hazel heather heron hill honey island ivy jasper juniper lake lark "
    "laurel lemon lilac lily maple meadow mint moss oak ocean olive orchid otter "
    "panda pearl pebble pine plum pond poppy quail rain raven reed river robin rose "
    "sage shell sparrow spruce stone sunny thyme tulip valley walnut willow wren"
).split()


def candidate():
    """One username to try: a word, a dash and four digits (no leading zero)."""
    return f"{secrets.choice(WORDS)}-{secrets.randbelow(9000) + 1000}"


def new_username(taken):
    """A fresh username; taken(name) says whether an account already has it.

    With about 700,000 names to draw from, a clinic's few thousand patients
    make a clash rare; twenty draws in a row all taken means something is wrong.
    """
    for _ in range(20):
        name = candidate()
        if not taken(name):
            return name
    raise RuntimeError("Could not find a free username in 20 tries.")


def new_account(email):
    """An unsaved user for someone invited: the e-mail address as username, or without one
    a made-up username that says nothing about the person; no usable password until
    they choose one from their invitation."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    username = email or new_username(lambda name: users.filter(username__iexact=name).exists())
    user = get_user_model()(username=username, email=email)
    user.set_unusable_password()
    return user
