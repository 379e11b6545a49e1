"""Project-level guarantees: migrations complete, production settings sound."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "x7!kq2-production-like-secret-key-for-the-deploy-check-9f3b1c8e",
    "DJANGO_ALLOWED_HOSTS": "clinic.example.org",
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
