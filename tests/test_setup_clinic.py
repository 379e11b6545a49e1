"""manage.py setup_clinic: a new clinic's settings in its env file, and its first staff member."""

import re
import stat
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from dotenv import dotenv_values

from tracker import access

pytestmark = pytest.mark.django_db

PASSWORD = "a long walk along the quiet canal"
FLAGS = {
    "interactive": False,
    "clinic_name": "St. Mary's Neuropathy Clinic",
    "time_zone": "America/New_York",
    "site_url": "https://relief.example.org/",
    "staff_username": "maria",
    "staff_email": "maria@example.org",
    "staff_name": "María López",
}


@pytest.fixture
def env_file(tmp_path):
    return tmp_path / "relief.env"


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


def setup_clinic(env_file, **options):
    out = StringIO()
    call_command("setup_clinic", env_file=str(env_file), stdout=out, stderr=out, **options)
    return out.getvalue()


def answers(*lines):
    return StringIO("".join(line + "\n" for line in lines))


def test_non_interactive_writes_the_env_file_and_creates_the_staff_member(env_file, password_file):
    env_file.write_text("# the clinic\nDATABASE_URL=postgres://app@db/relief\n")
    out = setup_clinic(env_file, password_file=str(password_file), **FLAGS)

    values = dotenv_values(env_file)
    assert values["CLINIC_NAME"] == "St. Mary's Neuropathy Clinic"
    assert values["CLINIC_TIME_ZONE"] == "America/New_York"
    assert values["DJANGO_SITE_URL"] == "https://relief.example.org"
    assert values["DJANGO_ALLOWED_HOSTS"] == "relief.example.org"
    assert values["DATABASE_URL"] == "postgres://app@db/relief"  # other lines kept
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600

    maria = User.objects.get(username="maria")
    assert (maria.is_staff, maria.is_superuser, maria.is_active) == (True, True, True)
    assert maria.email == "maria@example.org"
    assert maria.get_full_name() == "María López"
    assert maria.check_password(PASSWORD)
    assert access.role_of(maria) == access.STAFF
    assert PASSWORD not in out
    assert "Restart the app" in out


def test_the_same_file_reads_the_same_in_a_shell_and_for_systemd(env_file, password_file):
    """Values are double-quoted: an apostrophe or a space in the name is safe in all three."""
    setup_clinic(env_file, password_file=str(password_file), **FLAGS)
    assert 'CLINIC_NAME="St. Mary\'s Neuropathy Clinic"' in env_file.read_text().splitlines()


def test_interactive_asks_for_each_value_and_the_password_twice(env_file):
    stdin = answers(
        "Northside Clinic",
        "Mars/Olympus",  # refused: asked again
        "Europe/Madrid",
        "",  # no default for the site URL: asked again
        "https://relief.northside.example",
        "ana",
        "ana@northside.example",
        "Ana Ruiz",
        "short",
        "short",  # too short: asked again
        PASSWORD,
        PASSWORD + " typo",  # differ: asked again
        PASSWORD,
        PASSWORD,
    )
    out = setup_clinic(env_file, stdin=stdin)

    assert "'Mars/Olympus' is not a time zone" in out
    assert "The site URL is empty" in out
    assert "This password is too short" in out
    assert "the two passwords differ" in out
    values = dotenv_values(env_file)
    assert values["CLINIC_NAME"] == "Northside Clinic"
    assert values["CLINIC_TIME_ZONE"] == "Europe/Madrid"
    assert values["DJANGO_SITE_URL"] == "https://relief.northside.example"
    assert User.objects.get(username="ana").check_password(PASSWORD)


def test_interactive_offers_the_site_url_already_in_the_env_file(env_file):
    env_file.write_text("DJANGO_SITE_URL=https://relief.clinic.example\n")
    stdin = answers("Clinic", "", "", "ana", "ana@x.example", "Ana", *[PASSWORD] * 2)
    out = setup_clinic(env_file, stdin=stdin)
    assert "[https://relief.clinic.example]" in out
    assert dotenv_values(env_file)["DJANGO_SITE_URL"] == "https://relief.clinic.example"
    assert dotenv_values(env_file)["CLINIC_TIME_ZONE"] == "Europe/London"  # the default


def test_without_a_password_file_it_prints_a_one_time_link_to_choose_one(env_file):
    out = setup_clinic(env_file, **FLAGS)
    maria = User.objects.get(username="maria")
    assert not maria.has_usable_password()
    link = re.search(r"https://relief\.example\.org(/accounts/password/reset/\S+/)", out).group(1)

    client = Client()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    chosen = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert chosen.status_code == 302
    maria.refresh_from_db()
    assert maria.check_password(PASSWORD)
    assert Client().get(link, follow=True).context["validlink"] is False  # once only


def test_the_new_staff_member_sets_up_the_second_factor_and_reaches_the_admin(
    env_file, password_file
):
    setup_clinic(env_file, password_file=str(password_file), **FLAGS)
    client = Client()
    signed_in = client.post("/accounts/login/", {"username": "maria", "password": PASSWORD})
    assert signed_in.status_code == 302

    # The admin waits until the authenticator app is set up.
    admin = client.get("/admin/")
    assert admin.status_code == 302
    assert admin["Location"].startswith("/accounts/two-factor/setup/")
    assert client.get(admin["Location"]).status_code == 200
    device = TOTPDevice.objects.get(user__username="maria", confirmed=False)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    done = client.post("/accounts/two-factor/setup/", {"code": f"{code:06d}"})
    assert "backup codes" in done.content.decode().lower()

    assert client.get("/admin/").status_code == 200


def test_a_second_run_is_refused_while_the_env_file_names_the_clinic(env_file, password_file):
    setup_clinic(env_file, password_file=str(password_file), **FLAGS)
    before = env_file.read_text()
    User.objects.filter(username="maria").delete()  # only the file says it is set up
    with pytest.raises(CommandError, match="already sets CLINIC_NAME=.*--force"):
        setup_clinic(env_file, password_file=str(password_file), **FLAGS)
    assert env_file.read_text() == before
    assert not User.objects.filter(username="maria").exists()


def test_a_second_run_is_refused_while_a_staff_member_exists(env_file, password_file, staff):
    with pytest.raises(CommandError, match=r"staff member already exists \(sam\).*--force"):
        setup_clinic(env_file, password_file=str(password_file), **FLAGS)
    assert not env_file.exists()


def test_force_sets_up_again(env_file, password_file):
    setup_clinic(env_file, password_file=str(password_file), **FLAGS)
    again = {**FLAGS, "clinic_name": "Renamed Clinic", "staff_username": "maria2"}
    again["staff_email"] = "maria2@example.org"
    setup_clinic(env_file, password_file=str(password_file), force=True, **again)
    assert dotenv_values(env_file)["CLINIC_NAME"] == "Renamed Clinic"
    assert env_file.read_text().count("CLINIC_NAME=") == 1
    assert User.objects.filter(is_staff=True).count() == 2


@pytest.mark.parametrize(
    "change, message",
    [
        ({"time_zone": "Europe/Londn"}, "--time-zone: 'Europe/Londn' is not a time zone"),
        ({"site_url": "relief.example.org"}, "--site-url: DJANGO_SITE_URL='relief.example.org'"),
        ({"site_url": "https://relief.example.org/app"}, "is not a site address"),
        ({"site_url": "https://relief.example.org:99999"}, "port that is not a number"),
        ({"clinic_name": '"Quoted" $clinic'}, "may not contain"),
        ({"clinic_name": "  "}, "The clinic's name is empty"),
        ({"staff_email": "maria"}, "--staff-email: 'maria' is not an e-mail address"),
        ({"staff_username": "ma ria"}, "--staff-username: Enter a valid username"),
        ({"staff_name": None}, "--staff-name is required with --no-input"),
        ({"staff_email": "sam@example.org"}, "already has the e-mail address"),
    ],
)
def test_a_bad_value_is_refused_and_nothing_is_written(env_file, password_file, change, message):
    # A patient's account with that address (not staff: the command would refuse to run).
    User.objects.create_user("sam.patient", "sam@example.org")
    with pytest.raises(CommandError, match=re.escape(message)) as error:
        setup_clinic(env_file, password_file=str(password_file), **{**FLAGS, **change})
    assert "Nothing was written" in str(error.value)
    assert not env_file.exists()
    assert list(User.objects.values_list("username", flat=True)) == ["sam.patient"]


@pytest.mark.parametrize("weak", ["short", "password1234", "maria@example.org"])
def test_a_weak_password_is_refused_and_nothing_is_written(env_file, tmp_path, weak):
    path = tmp_path / "weak"
    path.write_text(weak)
    with pytest.raises(CommandError, match="--password-file: .*Nothing was written"):
        setup_clinic(env_file, password_file=str(path), **FLAGS)
    assert not env_file.exists()
    assert not User.objects.exists()


def test_a_failed_env_file_write_leaves_no_staff_member(tmp_path, password_file):
    missing_folder = tmp_path / "no-such-folder" / "relief.env"
    with pytest.raises(FileNotFoundError):
        setup_clinic(missing_folder, password_file=str(password_file), **FLAGS)
    assert not User.objects.exists()


def test_settings_read_the_env_file_without_overriding_the_real_environment(tmp_path):
    """settings.py loads the file at start-up; a variable already set wins."""
    import subprocess
    import sys

    env_file = tmp_path / "relief.env"
    env_file.write_text('CLINIC_NAME="From The File"\nCLINIC_TIME_ZONE="Asia/Tokyo"\n')
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.CLINIC_NAME, '|', settings.TIME_ZONE)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DJANGO_DEBUG": "1",
        "DJANGO_ENV_FILE": str(env_file),
        "CLINIC_TIME_ZONE": "Europe/Paris",
    }
    result = subprocess.run(  # noqa: S603 (our own interpreter and settings)
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "From The File | Europe/Paris"
