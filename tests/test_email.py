"""E-mail set-up (issue 15): SMTP from EMAIL_URL, the clinic's name as sender, and
what an e-mail may carry.

The invitation goes through a real SMTP server (aiosmtpd, the smtp_server fixture in
conftest.py) and is read back as it arrived: a plain-text part and an HTML part, from
the clinic, with the link built from SITE_URL and no health data.
"""

import re
from datetime import datetime
from email.utils import parseaddr

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from clinic.settings import parse_email_url
from tests.conftest import make_entry, make_session
from tests.test_project import PRODUCTION_ENV, manage
from tracker.models import NeuropathyKind, Patient

ADD = reverse("tracker:add_patient")
SITE = "https://clinic.example.org"
LINK = re.compile(re.escape(SITE) + r"/invite/[\w-]+/")


def add_patient(client, **changes):
    data = {"display_name": "Dan Dunn", "email": "dan@example.com"}
    data["neuropathy_kind"] = "chemotherapy"
    return client.post(ADD, {**data, **changes})


def parts_of(message):
    """The plain-text and HTML bodies of a received message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, message
    return text.get_content(), html.get_content()


@pytest.fixture
def riverside(settings):
    settings.CLINIC_NAME = "Riverside Clinic"
    settings.DEFAULT_FROM_EMAIL = "Riverside Clinic <noreply@clinic.example.org>"
    settings.SITE_URL = SITE


# The invitation, as it arrives


@pytest.mark.django_db
def test_the_invitation_arrives_from_the_clinic_in_text_and_html(
    xavier_client, smtp_server, riverside
):
    response = add_patient(xavier_client)

    assert response.status_code == 302
    [message] = smtp_server.messages
    assert parseaddr(message["From"]) == ("Riverside Clinic", "noreply@clinic.example.org")
    assert message["To"] == "dan@example.com"
    text, html = parts_of(message)
    [link] = LINK.findall(text)
    # The HTML part links the same address and spells it out for copying.
    assert LINK.findall(html) == [link, link]
    assert f'<a href="{link}">' in html
    for body in (text, html):
        assert "Hello Dan Dunn" in body
        assert "Dr Xavier at Riverside Clinic" in body
    assert text.rstrip().endswith("Riverside Clinic")


@pytest.mark.django_db
def test_the_html_part_is_plain_and_self_contained(xavier_client, smtp_server, riverside):
    add_patient(xavier_client)

    _, html = parts_of(smtp_server.messages[0])
    assert html.lstrip().lower().startswith("<!doctype html>")
    for fancy in ("<img", "style=", "<style", "<script", "<link", "url("):
        assert fancy not in html.lower()
    # The only address it points at is the invitation link.
    assert re.findall(r'(?:href|src)="([^"]*)"', html) == LINK.findall(html)[:1]


@pytest.mark.django_db
def test_the_patient_name_is_escaped_in_the_html_part(xavier_client, smtp_server, riverside):
    add_patient(xavier_client, display_name="Dan <b>Dunn</b>")

    text, html = parts_of(smtp_server.messages[0])
    assert "Hello Dan <b>Dunn</b>" in text
    assert "Dan &lt;b&gt;Dunn&lt;/b&gt;" in html
    assert "<b>" not in html


@pytest.mark.django_db
def test_a_resent_invitation_carries_no_health_data(xavier_client, smtp_server, riverside):
    add_patient(xavier_client)
    patient = Patient.objects.get(user__username="dan@example.com")
    make_entry(
        patient,
        datetime.fromisoformat("2025-03-03T09:00:00+00:00"),
        pain=9,
        numbness=7,
        tingling=8,
        note="burning at night since the second cycle",
    )
    make_session(
        patient, datetime.fromisoformat("2025-03-04T09:00:00+00:00"), notes="query B12 levels"
    )

    xavier_client.post(reverse("tracker:resend_invitation", args=[patient.public_id]))

    assert len(smtp_server.messages) == 2
    for message in smtp_server.messages:
        text, html = parts_of(message)
        subject = message["Subject"]
        for body in (text, html, subject):
            lowered = body.lower()
            for kind in ("chemotherapy", NeuropathyKind.CHEMOTHERAPY.label.lower()):
                assert kind not in lowered
            for health in ("burning", "b12", "pain", "numbness", "tingling", "score"):
                assert health not in lowered, (health, body)


# EMAIL_URL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://relief:pa%3As%40s@mail.example.org:587/?tls=1&timeout=10",
            ("mail.example.org", 587, "relief", "pa:s@s", True, False, 10),
        ),
        (
            "smtps://relief%40example.org:secret@mail.example.org",
            ("mail.example.org", 465, "relief@example.org", "secret", False, True, None),
        ),
        ("smtp://mail.example.org", ("mail.example.org", 25, "", "", False, False, None)),
        ("smtp://mail.example.org/?tls=yes", ("mail.example.org", 587, "", "", True, False, None)),
        ("smtp://127.0.0.1:2525?timeout=5", ("127.0.0.1", 2525, "", "", False, False, 5)),
    ],
)
def test_email_url_gives_the_smtp_settings(url, expected):
    settings = parse_email_url(url)

    names = ("HOST", "PORT", "HOST_USER", "HOST_PASSWORD", "USE_TLS", "USE_SSL", "TIMEOUT")
    assert settings == {f"EMAIL_{name}": value for name, value in zip(names, expected, strict=True)}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("smtp://relief:secret@mail.example.org/?tls=1&ssl=1", "TLS and SSL"),
        ("smtps://relief:secret@mail.example.org/?tls=1", "TLS and SSL"),
        ("http://relief:secret@mail.example.org", "smtp://"),
        ("smtp://relief:secret@", "host"),
        ("smtp://relief:secret@mail.example.org:99999", "port"),
        ("smtp://relief:secret@mail.example.org/?tls=maybe", "tls"),
        ("smtp://relief:secret@mail.example.org/?timeout=soon", "timeout"),
        ("smtp://relief:secret@mail.example.org/?timeout=0", "timeout"),
        ("smtp://relief:secret@mail.example.org/?tsl=1", "tsl"),
    ],
)
def test_email_url_mistakes_stop_start_up_without_showing_the_password(url, says):
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_email_url(url)

    assert "EMAIL_URL" in str(refused.value)
    assert says in str(refused.value)
    assert "secret" not in str(refused.value)


SHOW_MAIL = [
    "shell",
    "--no-imports",
    "-c",
    "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, "
    "s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT); "
    "print(s.DEFAULT_FROM_EMAIL)",
]


def test_the_server_starts_with_its_smtp_settings_from_email_url():
    env = {
        **PRODUCTION_ENV,
        "EMAIL_URL": "smtp://relief:secret@mail.example.org:587/?tls=1&timeout=10",
        "CLINIC_NAME": "Riverside Clinic",
    }
    result = manage(*SHOW_MAIL, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "django.core.mail.backends.smtp.EmailBackend mail.example.org 587 relief True False 10",
        "Riverside Clinic <noreply@localhost>",
    ]


def test_tls_and_ssl_together_refuse_to_start():
    env = {**PRODUCTION_ENV, "EMAIL_URL": "smtps://relief:secret@mail.example.org/?tls=1"}
    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "TLS and SSL" in result.stderr
    assert "secret" not in result.stderr


def test_the_sender_named_in_django_default_from_email_wins_over_the_clinic_name():
    env = {
        **PRODUCTION_ENV,
        "CLINIC_NAME": "Riverside Clinic",
        "DJANGO_DEFAULT_FROM_EMAIL": "Front desk <desk@clinic.example.org>",
    }
    result = manage(*SHOW_MAIL, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Front desk <desk@clinic.example.org>"


def test_debug_still_prints_emails_to_the_console():
    result = manage(*SHOW_MAIL, env={"DJANGO_DEBUG": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("django.core.mail.backends.console.EmailBackend localhost 25 ")
    assert result.stdout.splitlines()[-1] == "Relief Tracker <noreply@localhost>"
