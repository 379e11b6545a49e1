"""Usernames, and non-empty e-mail addresses, unique ignoring case (issue 15).

Sign-in finds an account by username or address whatever the case
(tracker/backends.py), so two accounts differing only in case would make it
ambiguous. auth.User belongs to another app, so its Meta cannot take a
constraint from here: plain unique expression indexes, which SQLite and
PostgreSQL both support (the address one partial: many users have none).

Existing rows are checked first, with the same lower() the indexes use: if any
differ only in case, the migration stops and names them, rather than failing
on CREATE INDEX with an IntegrityError.
"""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Lower

USERNAME_INDEX = "tracker_auth_user_username_lower_uniq"
EMAIL_INDEX = "tracker_auth_user_email_lower_uniq"
INDEXES = [USERNAME_INDEX, EMAIL_INDEX]


class CaseDuplicates(Exception):
    pass


def case_duplicates(users, field):
    """The values of field that some other row repeats in another case, grouped."""
    keys = (
        users.annotate(key=Lower(field))
        .values("key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("key", flat=True)
    )
    groups = {}
    for key, value in users.annotate(key=Lower(field)).filter(key__in=keys).values_list(
        "key", field
    ):
        groups.setdefault(key, []).append(value)
    return [sorted(values) for _, values in sorted(groups.items())]


def refuse_case_duplicates(apps, schema_editor):
    User = apps.get_model("auth", "User")
    users = User._default_manager.all()
    problems = []
    for field, rows in [("username", users), ("email", users.exclude(email=""))]:
        for group in case_duplicates(rows, field):
            problems.append(f"{field}: " + ", ".join(repr(value) for value in group))
    if problems:
        raise CaseDuplicates(
            "Usernames and e-mail addresses must be unique ignoring case, but these accounts "
            "differ only in case:\n  "
            + "\n  ".join(problems)
            + "\nRename or merge them (in the admin, /admin/auth/user/), then run migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("tracker", "0007_auditevent_read_and_insert_only"),
    ]

    operations = [
        migrations.RunPython(refuse_case_duplicates, migrations.RunPython.noop),
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {USERNAME_INDEX} ON auth_user (lower(username))",
            reverse_sql=f"DROP INDEX {USERNAME_INDEX}",
        ),
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {EMAIL_INDEX} ON auth_user (lower(email)) WHERE email <> ''",
            reverse_sql=f"DROP INDEX {EMAIL_INDEX}",
        ),
    ]
