"""Set up a new clinic: its name, time zone and address in the env file, and the first staff member.

Interactive by default; `--no-input` with the flags for a script. Everything is checked
before anything is written, and the env file and the staff member are written together or
not at all. It refuses to run a second time by accident (a clinic name in the env file, or
a staff member in the database) unless given --force.

The first staff member's password is never passed on the command line or printed:
interactively it is typed twice (not shown); with --no-input it is read from
--password-file, or, without one, the command prints a one-time link to choose it
(valid for PASSWORD_RESET_TIMEOUT, one hour, and used once). At their first sign-in they
set up their authenticator app (tracker/security.py: staff need the second factor).
"""

import getpass
import os
import sys
import tempfile
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from dotenv import dotenv_values

from clinic.settings import site_url_error

# Characters that python-dotenv, systemd's EnvironmentFile and a shell's `. ./.env` would
# each read differently inside double quotes: refused rather than escaped three ways.
UNSAFE = set('"\\$`\n\r')


class Invalid(Exception):
    """An answer that cannot be used; its message says why."""


def check_clinic_name(value):
    value = value.strip()
    if not value:
        raise Invalid("The clinic's name is empty.")
    if len(value) > 100:
        raise Invalid("The clinic's name is longer than 100 characters.")
    if UNSAFE & set(value):
        raise Invalid("The clinic's name may not contain \" \\ $ ` or a line break.")
    return value


def check_time_zone(value):
    value = value.strip()
    if value not in zoneinfo.available_timezones():
        raise Invalid(
            f"{value!r} is not a time zone. Give an IANA name such as Europe/London, "
            "America/New_York or Asia/Shanghai."
        )
    return value


def check_site_url(value):
    value = value.strip().rstrip("/")
    error = site_url_error(value) if value else "The site URL is empty."
    if error or UNSAFE & set(value):
        raise Invalid(error or 'The site URL may not contain " \\ $ ` or a line break.')
    return value


def check_username(value):
    value = value.strip()
    User = get_user_model()
    try:
        User._meta.get_field("username").run_validators(value)
    except ValidationError as error:
        raise Invalid(" ".join(error.messages)) from None
    if not value:
        raise Invalid("The username is empty.")
    if User.objects.filter(username__iexact=value).exists():
        raise Invalid(f"There is already a user called {value!r}.")
    return value


def check_email(value):
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError:
        raise Invalid(f"{value!r} is not an e-mail address.") from None
    if get_user_model().objects.filter(email__iexact=value).exists():
        raise Invalid(f"Another account already has the e-mail address {value!r}.")
    return value


def check_name(value):
    value = value.strip()
    if not value:
        raise Invalid("The name is empty.")
    if len(value) > 150:
        raise Invalid("The name is longer than 150 characters.")
    return value


class Command(BaseCommand):
    # call_command(..., stdin=StringIO(...)) feeds the prompts (tests), as for createsuperuser.
    stealth_options = ("stdin",)
    help = (
        "Set up a new clinic: its name, time zone and site URL in the env file, and the "
        "first staff member (an admin account). Asks for each; --no-input takes them from "
        "the options."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Ask nothing: every value comes from the options below.",
        )
        parser.add_argument("--clinic-name", help="The clinic's name, e.g. 'Northside Clinic'.")
        parser.add_argument("--time-zone", help="The clinic's time zone, e.g. Europe/London.")
        parser.add_argument(
            "--site-url", help="The address patients open, e.g. https://relief.example.org."
        )
        parser.add_argument("--staff-username", help="The first staff member's username.")
        parser.add_argument("--staff-email", help="The first staff member's e-mail address.")
        parser.add_argument("--staff-name", help="The first staff member's full name.")
        parser.add_argument(
            "--password-file",
            help="With --no-input: read the staff member's password from the first line of "
            "this file (delete it afterwards). Without it, a one-time link to choose the "
            "password is printed.",
        )
        parser.add_argument(
            "--env-file",
            help="The env file to write (default: DJANGO_ENV_FILE, else .env beside manage.py).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run although the env file has a clinic name or a staff member exists.",
        )

    def handle(self, *args, **options):
        self.stdin = options.get("stdin") or sys.stdin
        self.interactive = options["interactive"]
        env_path = Path(options["env_file"] or settings.ENV_FILE)
        current = dotenv_values(env_path, interpolate=False) if env_path.is_file() else {}
        User = get_user_model()
        if not options["force"]:
            if current.get("CLINIC_NAME"):
                raise CommandError(
                    f"{env_path} already sets CLINIC_NAME={current['CLINIC_NAME']!r}: this "
                    "clinic is set up. Nothing was changed. To set it up again, run with --force."
                )
            staff = User.objects.filter(is_staff=True).order_by("pk").first()
            if staff is not None:
                raise CommandError(
                    f"A staff member already exists ({staff.username}): this clinic is set up. "
                    "Nothing was changed. Add more staff in the admin, or run with --force."
                )

        clinic_name = self.value(options, "clinic_name", "Clinic name", check_clinic_name)
        time_zone = self.value(
            options,
            "time_zone",
            "Time zone",
            check_time_zone,
            default=current.get("CLINIC_TIME_ZONE") or settings.TIME_ZONE,
        )
        site_url = self.value(
            options,
            "site_url",
            "Site URL (as patients open it)",
            check_site_url,
            default=current.get("DJANGO_SITE_URL") or None,
        )
        username = self.value(options, "staff_username", "Staff username", check_username)
        email = self.value(options, "staff_email", "Staff e-mail address", check_email)
        name = self.value(options, "staff_name", "Staff member's full name", check_name)
        user = User(username=username, email=email, first_name=name, is_staff=True)
        user.is_superuser = True  # the admin, every model: the clinic's first administrator
        password = self.password(user, options.get("password_file"))

        values = {
            "CLINIC_NAME": clinic_name,
            "CLINIC_TIME_ZONE": time_zone,
            "DJANGO_SITE_URL": site_url,
        }
        host = site_url.split("://", 1)[1].split(":")[0].strip("[]").lower()
        hosts = [h.strip() for h in (current.get("DJANGO_ALLOWED_HOSTS") or "").split(",")]
        if host not in hosts:
            values["DJANGO_ALLOWED_HOSTS"] = ",".join([h for h in hosts if h] + [host])

        # The user and the file together: a failed write rolls the user back.
        with transaction.atomic():
            if password is None:
                user.set_unusable_password()
            else:
                user.set_password(password)
            user.save()
            write_env_file(env_path, values)

        self.stdout.write(f"Wrote {', '.join(values)} to {env_path} (readable by its owner only).")
        self.stdout.write(f"Created staff member {username} (admin access).")
        if password is None:
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            token = default_token_generator.make_token(user)
            link = site_url + reverse("password_reset_confirm", args=[uid, token])
            hours = settings.PASSWORD_RESET_TIMEOUT // 3600
            self.stdout.write(
                f"Give {name} this link to choose their password. It works once, for "
                f"{hours} hour(s); after that, use 'Forgot your password?' on the sign-in "
                f"page:\n  {link}"
            )
        self.stdout.write(
            "At their first sign-in they scan a QR code with an authenticator app and keep "
            "ten backup codes. Restart the app so that it reads the new settings."
        )

    def value(self, options, option, prompt, check, default=None):
        """An option's value, or the answer to a prompt (asked again until it is usable)."""
        given = options.get(option)
        flag = "--" + option.replace("_", "-")
        if given is not None or not self.interactive:
            if given is None:
                if default is not None:
                    given = default
                else:
                    raise CommandError(f"{flag} is required with --no-input. Nothing was written.")
            try:
                return check(given)
            except Invalid as error:
                raise CommandError(f"{flag}: {error} Nothing was written.") from None
        while True:
            shown = f" [{default}]" if default else ""
            answer = self.ask(f"{prompt}{shown}: ") or (default or "")
            try:
                return check(answer)
            except Invalid as error:
                self.stderr.write(f"Error: {error}")

    def ask(self, prompt, secret=False):
        self.stdout.write(prompt, ending="")
        self.stdout.flush()
        if secret and self.stdin.isatty():
            return getpass.getpass("")
        line = self.stdin.readline()
        if not line:
            raise CommandError("No more input: nothing was written.")
        return line.rstrip("\n")

    def password(self, user, password_file):
        """The checked password, or None: an unusable one and a one-time link to choose it."""
        if not self.interactive:
            if not password_file:
                return None
            try:
                password = Path(password_file).read_text().splitlines()[0]
            except (OSError, IndexError):
                raise CommandError(
                    f"--password-file: cannot read a password from {password_file}. "
                    "Nothing was written."
                ) from None
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                raise CommandError(
                    f"--password-file: {' '.join(error.messages)} Nothing was written."
                ) from None
            return password
        while True:
            password = self.ask("Password (not shown): ", secret=True)
            if password != self.ask("Password again: ", secret=True):
                self.stderr.write("Error: the two passwords differ.")
                continue
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.stderr.write(f"Error: {' '.join(error.messages)}")
                continue
            return password


def write_env_file(path, values):
    """Set these KEY="value" lines in the env file, keeping every other line; mode 0600.

    Written to a new file beside it and renamed over it, so that a reader never sees half
    a file and a failure leaves the old one as it was.
    """
    lines = path.read_text().splitlines() if path.is_file() else []
    remaining = dict(values)
    for i, line in enumerate(lines):
        key = line.split("=", 1)[0].strip()
        if key.startswith("export "):
            key = key[len("export ") :].strip()
        if "=" in line and key in remaining:
            lines[i] = f'{key}="{remaining.pop(key)}"'
    if remaining:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines += ["", f"# Written by manage.py setup_clinic, {stamp}"]
        lines += [f'{key}="{value}"' for key, value in remaining.items()]
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".env-", text=True)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
