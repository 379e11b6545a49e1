"""Lockouts an attacker cannot stretch or dodge, and the client's address behind proxies.

Issue 14, item 1: a try during a lockout restarted its 15 minutes; one address
could spray passwords over many usernames unhindered; X-Forwarded-Proto was
trusted with no proxy configured. Each test below is the attack, written
before the fix.
"""

import logging
import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client

from tests.conftest import NOW, PASSWORD, freeze_at, make_user
from tracker import security

LOGIN = "/accounts/login/"
SETTINGS_FILE = Path(__file__).resolve().parents[1] / "clinic" / "settings.py"
ATTACKER = "203.0.113.66"
HOME = "198.51.100.7"
PROXY = "10.0.0.2"

pytestmark = pytest.mark.django_db


def sign_in(username, password=PASSWORD, client=None, **extra):
    return (client or Client()).post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(response):
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


@pytest.fixture
def production_settings(settings, monkeypatch):
    """Apply the proxy and lockout settings clinic/settings.py makes from this environment.

    The real settings file is run again with the variables given, so the test
    sees what an operator who sets them would get.
    """

    def apply(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        fresh = runpy.run_path(str(SETTINGS_FILE))
        for name, value in fresh.items():
            if name.startswith("AXES_") or name in ("PROXY_COUNT", "SECURE_PROXY_SSL_HEADER"):
                setattr(settings, name, value)
        if "SECURE_PROXY_SSL_HEADER" not in fresh:
            settings.SECURE_PROXY_SSL_HEADER = None
        return settings

    return apply


# A lockout that cannot be held on a victim


def test_tries_during_a_lockout_do_not_extend_it(db):
    """The attack: ten wrong passwords, then one more try just before each pause would end."""
    make_user("victim")
    with freeze_at(NOW) as clock:
        answers = [sign_in("victim", "guess", REMOTE_ADDR=ATTACKER) for _ in range(10)]
        assert answers[-1].status_code == 429
        # The attacker pokes again at 14:59, then every minute; each is refused.
        clock.shift(timedelta(minutes=14, seconds=59))
        assert sign_in("victim", "guess", REMOTE_ADDR=ATTACKER).status_code == 429
        for _ in range(10):
            clock.shift(timedelta(seconds=0.1))
            assert sign_in("victim", "guess", REMOTE_ADDR=ATTACKER).status_code == 429
        # 15 minutes and 2 seconds after the tenth failure: the pause is over.
        clock.shift(timedelta(seconds=2))
        assert signed_in(sign_in("victim", REMOTE_ADDR=ATTACKER))


def test_a_lockout_ends_15_minutes_after_it_began_however_many_tries_come(db):
    make_user("victim")
    with freeze_at(NOW) as clock:
        for _ in range(10):
            sign_in("victim", "guess", REMOTE_ADDR=ATTACKER)
        for _ in range(14):  # a try a minute, the right password among them
            clock.shift(timedelta(minutes=1))
            assert sign_in("victim", REMOTE_ADDR=ATTACKER).status_code == 429
        assert AccessAttempt.objects.get(username="victim").failures_since_start == 10
        clock.shift(timedelta(minutes=1, seconds=1))
        assert signed_in(sign_in("victim", REMOTE_ADDR=ATTACKER))


# Password spraying from one address


def test_spraying_passwords_over_many_accounts_from_one_address_is_paused(db):
    """The outside test: 42 guesses over 14 accounts from one address were all answered."""
    names = [f"user{i:02}" for i in range(14)]
    for name in names:
        make_user(name)
    make_user("mallory")
    with freeze_at(NOW) as clock:
        answers = []
        for round_ in range(3):
            for name in names:
                answers.append(sign_in(name, f"guess {round_}", REMOTE_ADDR=ATTACKER).status_code)
                clock.shift(timedelta(seconds=1))
            if round_ == 1:
                # A typo, then signing in to an account of one's own: that clears the
                # account's own count (1), not the address's (28).
                assert sign_in("mallory", "typo", REMOTE_ADDR=ATTACKER).status_code == 200
                assert signed_in(sign_in("mallory", REMOTE_ADDR=ATTACKER))
        # The 30th failure from the address pauses it: 29 guesses answered, 13 refused.
        assert answers == [200] * 29 + [429] * 13
        # No single account reached its own limit of 10.
        assert max(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 3

        # Not the people elsewhere, and not those who have signed in from here before.
        assert signed_in(sign_in("user00", REMOTE_ADDR=HOME))
        assert signed_in(sign_in("mallory", REMOTE_ADDR=ATTACKER))
        # Someone new from this address waits, as the attacker does.
        make_user("newcomer")
        assert sign_in("newcomer", REMOTE_ADDR=ATTACKER).status_code == 429

        # The pause ends 15 minutes after the failure that started it, tries or not.
        clock.shift(timedelta(minutes=14, seconds=30))
        assert sign_in("user05", "guess", REMOTE_ADDR=ATTACKER).status_code == 429
        clock.shift(timedelta(minutes=1))
        assert signed_in(sign_in("newcomer", REMOTE_ADDR=ATTACKER))


# The client's address behind a proxy


def test_behind_one_proxy_a_forged_x_forwarded_for_does_not_dodge_the_lockout(
    production_settings,
):
    """The proxy appends the address it saw; anything before it is the client's own text."""
    production_settings(DJANGO_PROXY_COUNT="1")
    make_user("victim")
    for i in range(10):
        forged = f"192.0.2.{i + 1}, {ATTACKER}"  # what the proxy forwards after a forged header
        sign_in("victim", "guess", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forged)
    again = sign_in("victim", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}")
    assert again.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}

    # Another client behind the same proxy is someone else.
    assert signed_in(sign_in("victim", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=HOME))


def test_with_no_proxy_configured_x_forwarded_for_is_ignored(production_settings):
    production_settings(DJANGO_PROXY_COUNT="0")
    make_user("victim")
    for i in range(10):
        sign_in("victim", "guess", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert sign_in("victim", REMOTE_ADDR=ATTACKER).status_code == 429


@pytest.mark.parametrize(("proxy_count", "status"), [("0", 301), ("1", 200)])
def test_x_forwarded_proto_is_trusted_only_with_a_proxy(production_settings, proxy_count, status):
    """Without a proxy, anyone could claim HTTPS and be served over plain HTTP."""
    settings = production_settings(DJANGO_PROXY_COUNT=proxy_count)
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(LOGIN, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=PROXY)
    assert response.status_code == status
    if status == 301:
        assert response.url.startswith("https://")


def test_check_deploy_warns_when_no_proxy_is_configured(production_settings, capsys):
    production_settings(DJANGO_PROXY_COUNT="0")
    warnings = [m for m in run_checks(include_deployment_checks=True) if m.id == "tracker.W001"]
    assert len(warnings) == 1
    assert "DJANGO_PROXY_COUNT" in warnings[0].msg
    # Security checks only: the browser suite sets DJANGO_ALLOW_ASYNC_UNSAFE (async.E001).
    call_command("check", "--deploy", "--tag", "security")
    assert "tracker.W001" in capsys.readouterr().err
    # Not part of the everyday checks (runserver, migrate): the count is 0 on a laptop.
    assert "tracker.W001" not in [m.id for m in run_checks()]

    production_settings(DJANGO_PROXY_COUNT="1")
    assert "tracker.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]


def test_x_forwarded_for_with_no_proxy_configured_is_logged_once(production_settings, caplog):
    """A check cannot see requests: the first request that carries the header says so."""
    production_settings(DJANGO_PROXY_COUNT="0")
    security.warn_forwarded_for_ignored.cache_clear()
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        for _ in range(3):
            sign_in("nobody", "guess", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    logged = [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert len(logged) == 1
    assert "DJANGO_PROXY_COUNT" in logged[0].getMessage()
