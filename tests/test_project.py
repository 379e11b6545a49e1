"""Project-level guarantees: migrations complete, production settings sound."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from clinic.settings import envbool

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "False",
    # Behind the TLS-terminating proxy the README asks for (tracker.W001 otherwise).
    "DJANGO_PROXY_COUNT": "1",
    "DJANGO_SECRET_KEY": "x7!kq2-production-like-secret-key-for-the-deploy-check-9f3b1c8e",
    "DJANGO_ALLOWED_HOSTS": "clinic.example.org",
    "DJANGO_SITE_URL": "https://clinic.example.org",
    "DJANGO_SETTINGS_MODULE": "clinic.settings",
}


def manage(*args, env=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_no_migrations_are_missing():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_check_deploy_passes_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_start_up_fails_loudly_without_a_secret_key_when_debug_is_off():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_secret_key():
    result = manage("check", env={"DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" ON ", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off\n", False),
    ],
)
def test_envbool_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("RELIEF_TEST_FLAG", value)
    assert envbool("RELIEF_TEST_FLAG", "False") is expected


def test_envbool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("RELIEF_TEST_FLAG", raising=False)
    assert envbool("RELIEF_TEST_FLAG", "True") is True
    assert envbool("RELIEF_TEST_FLAG", "False") is False


@pytest.mark.parametrize("value", ["flase", "2", "enabled", ""])
def test_envbool_refuses_anything_else(monkeypatch, value):
    monkeypatch.setenv("RELIEF_TEST_FLAG", value)
    with pytest.raises(ImproperlyConfigured) as error:
        envbool("RELIEF_TEST_FLAG", "False")
    message = str(error.value)
    assert f"RELIEF_TEST_FLAG={value!r}" in message
    assert "1, 0, true, false, yes, no, on, off" in message


def test_start_up_fails_loudly_on_a_misspelt_debug_value():
    result = manage("check", env={**PRODUCTION_ENV, "DJANGO_DEBUG": "flase"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG='flase' is not a yes/no value" in result.stderr


def test_the_wsgi_application_moves_what_it_loaded_out_of_the_collector_s_way():
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    script = "import gc, clinic.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Django and the app: tens of thousands of objects, never walked by a full collection.
    assert int(result.stdout.split()[-1]) > 10_000
