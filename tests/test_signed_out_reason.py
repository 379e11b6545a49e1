"""Signed out for a reason: after a time-out the sign-in page says why (issue 23, part B).

The session cookie expires with the session, so the browser sends nothing that says
someone was signed in: SessionLimitsMiddleware keeps a small signed cookie of its own,
"last seen", that outlives it (tracker/security.py).
"""

from datetime import datetime, timedelta

import time_machine
from django.test import Client
from django.utils import translation

from tests.conftest import client_for, verified_client_for
from tracker import security

T0 = datetime.fromisoformat("2026-05-04T09:00:00+00:00")
IDLE_STRICT = "You were signed out after 30 minutes without activity"
IDLE_PATIENT = "You were signed out after 14 days without activity"
WHY = "to protect your health information"
WHY_STRICT = "to protect patients’ health information"


def sign_in_page_after(client, url):
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/"), response.redirect_chain
    return response.content.decode()


def test_after_30_minutes_idle_a_practitioner_is_told_why(xavier):
    with time_machine.travel(T0, tick=False) as clock:
        client = verified_client_for(xavier.user)
        assert client.get("/practice/").status_code == 200
        clock.shift(timedelta(minutes=31))
        page = sign_in_page_after(client, "/practice/")
    assert IDLE_STRICT in page
    assert WHY_STRICT in page
    # Told once: the page shown again says nothing more.
    assert IDLE_STRICT not in client.get("/accounts/login/").content.decode()


def test_after_14_days_idle_a_patient_is_told_why_in_their_language(alice):
    with time_machine.travel(T0, tick=False) as clock:
        client = client_for(alice.user)
        assert client.get("/log/").status_code == 200
        clock.shift(timedelta(days=14, minutes=1))
        page = sign_in_page_after(client, "/log/")
        assert IDLE_PATIENT in page
        assert WHY in page
        client.get("/log/")
        # The same visit in Spanish: the sentence is translated.
        client.cookies[security.SEEN_COOKIE] = security.seen_cookie_value(
            security.PATIENT_LIMITS, T0.timestamp()
        )
        spanish = client.get("/accounts/login/", headers={"accept-language": "es"})
    with translation.override("es"):
        expected = translation.ngettext(
            "You were signed out after %(days)s day without activity, "
            "to protect your health information.",
            "You were signed out after %(days)s days without activity, "
            "to protect your health information.",
            14,
        ) % {"days": 14}
    assert not expected.startswith("You were"), "not translated"
    assert expected in spanish.content.decode()


def test_a_practitioner_active_within_the_half_hour_is_not_told_anything(xavier):
    with time_machine.travel(T0, tick=False) as clock:
        client = verified_client_for(xavier.user)
        client.get("/practice/")
        clock.shift(timedelta(minutes=20))
        client.post("/accounts/logout/")
        page = client.get("/accounts/login/").content.decode()
    assert "signed out after" not in page


def test_signing_out_yourself_is_not_reported_as_a_time_out_later(xavier):
    with time_machine.travel(T0, tick=False) as clock:
        client = verified_client_for(xavier.user)
        client.get("/practice/")
        client.post("/accounts/logout/")
        clock.shift(timedelta(hours=2))
        page = client.get("/accounts/login/").content.decode()
    assert "signed out after" not in page


def test_a_new_visitor_and_a_forged_cookie_are_told_nothing(db):
    client = Client()
    assert "signed out after" not in client.get("/accounts/login/").content.decode()
    client.cookies[security.SEEN_COOKIE] = "patient:1"  # not signed
    assert "signed out after" not in client.get("/accounts/login/").content.decode()


def test_after_12_hours_the_reason_is_given_too(xavier):
    with time_machine.travel(T0, tick=False) as clock:
        client = verified_client_for(xavier.user)
        for _ in range(37):  # active every 20 minutes: never idle
            clock.shift(timedelta(minutes=20))
            client.get("/practice/")
        page = sign_in_page_after(client, "/practice/")
    assert "You were signed out after 12 hours" in page
    assert WHY_STRICT in page
    assert IDLE_STRICT not in page
