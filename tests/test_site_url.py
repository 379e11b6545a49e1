"""DJANGO_SITE_URL: the address in links that leave the app (issue 14, item 10).

Required when debug is off, as DJANGO_SECRET_KEY is: start-up fails with a message that
says what to set. Checked by starting manage.py with the production variables.
"""

import pytest

from tests.test_project import PRODUCTION_ENV, manage

SHOW = ["shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SITE_URL)"]


def test_start_up_fails_loudly_without_a_site_url_when_debug_is_off():
    result = manage("check", env={**PRODUCTION_ENV, "DJANGO_SITE_URL": ""})

    assert result.returncode != 0
    assert "DJANGO_SITE_URL is not set" in result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "clinic.example.org",  # no scheme
        "https://",  # no host
        "ftp://clinic.example.org",
        "https://clinic.example.org/relief",  # a path: links would repeat it
        "https://clinic.example.org/?next=x",
        "https://user:secret@clinic.example.org",
    ],
)
def test_start_up_fails_loudly_on_a_site_url_that_is_no_site_address(value):
    result = manage("check", env={**PRODUCTION_ENV, "DJANGO_SITE_URL": value})

    assert result.returncode != 0
    assert "DJANGO_SITE_URL" in result.stderr
    assert "e.g. https://relief.example.org" in result.stderr


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://clinic.example.org", "https://clinic.example.org"),
        ("https://clinic.example.org/", "https://clinic.example.org"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_a_site_address_is_kept_without_its_trailing_slash(value, kept):
    result = manage(*SHOW, env={**PRODUCTION_ENV, "DJANGO_SITE_URL": value})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == kept


def test_debug_defaults_to_the_address_make_run_serves_on():
    result = manage(*SHOW, env={"DJANGO_DEBUG": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8000"
