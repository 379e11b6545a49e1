"""Named users that cover every permission case (after healthchecks' alice/bob/charlie).

- Dr Xavier (practitioner) looks after Alice and Bob.
- Dr Yara (practitioner) looks after Carol.
- Sam is clinic staff. Anonymous is nobody.

Practitioners and staff must pass a second factor: their clients are signed in
with a confirmed authenticator (TOTP) device and already verified. Patients
have no device, so their clients need no second step.

Time: NOW is the moment the `frozen` fixture stops the clock at, unless a test
(or its module) is marked @pytest.mark.frozen_at(another_moment).
"""

import email
import email.policy
import html
import re
import socket
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.models import (
    NeuropathyKind,
    Patient,
    Practitioner,
    SessionStatus,
    SymptomEntry,
    TreatmentSession,
    WeeklyAnswer,
)
from tracker.reported import week_of

PASSWORD = "correct horse battery staple"

LONDON = ZoneInfo("Europe/London")
# A Tuesday in June: clinic time (Europe/London) is UTC+1.
NOW = datetime(2026, 6, 16, 12, 0, tzinfo=LONDON)
# A Tuesday in March, before the clocks change: clinic time equals UTC.
MARCH_NOW = datetime(2026, 3, 10, 12, 0, tzinfo=LONDON)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "frozen_at(moment): the moment the frozen fixture stops the clock at"
    )
    # The message files, compiled once before the workers start (they only read them).
    if not hasattr(config, "workerinput"):
        call_command("compile_translations", stdout=StringIO())


def freeze_at(moment):
    """The clock stopped at moment; a context manager or a decorator."""
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def frozen(request):
    """The clock stopped at NOW (or at the test's frozen_at mark) for the test; yields it."""
    marker = request.node.get_closest_marker("frozen_at")
    moment = marker.args[0] if marker else NOW
    with freeze_at(moment):
        yield moment


ENTRIES = '"tracker_symptomentry"'


def entry_reads(queries):
    """The SQL of the captured SELECTs that read the entries table (subqueries too)."""
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT") and ENTRIES in q["sql"]]


def queries_for(client, url):
    """How many queries a second GET of url runs (the first may warm caches)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def baseline_window_read(patient, first_session_at, now):
    """The one query Patient.baseline makes: the readings of the baseline window."""
    with CaptureQueriesContext(connection) as queries:
        patient.baseline(first_session_at, now)
    (sql,) = [q["sql"] for q in queries]
    return sql


def baseline_as_of_read(patient, now):
    """The one query Patient.baseline_as_of makes: the baseline window, first session held."""
    with CaptureQueriesContext(connection) as queries:
        patient.baseline_as_of(now)
    (sql,) = [q["sql"] for q in queries]
    return sql


def body(response):
    """The page's HTML."""
    return response.content.decode()


def text(fragment):
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def detail_url(patient):
    """The practitioner's page for one patient."""
    return f"/practice/patients/{patient.public_id}/"


def weekly_questions_answered(patient, moment=None):
    """This week's questions answered (skipped), so that a check-in goes straight to
    the patient's progress page (tracker/followup.py)."""
    moment = moment or timezone.now()
    return WeeklyAnswer.objects.create(patient=patient, week_of=week_of(moment), answered_at=moment)


def make_user(username, **extra):
    return User.objects.create_user(username=username, password=PASSWORD, **extra)


def make_practitioner(username, name):
    return Practitioner.objects.create(user=make_user(username), display_name=name)


def make_patient(username, name, practitioner, kind=NeuropathyKind.DIABETIC):
    return Patient.objects.create(
        user=make_user(username),
        display_name=name,
        practitioner=practitioner,
        neuropathy_kind=kind,
    )


@pytest.fixture
def xavier(db):
    return make_practitioner("xavier", "Dr Xavier")


@pytest.fixture
def yara(db):
    return make_practitioner("yara", "Dr Yara")


@pytest.fixture
def alice(xavier):
    return make_patient("alice", "Alice Archer", xavier)


@pytest.fixture
def bob(xavier):
    return make_patient("bob", "Bob Baker", xavier)


@pytest.fixture
def carol(yara):
    return make_patient("carol", "Carol Carter", yara)


@pytest.fixture
def staff(db):
    return make_user("sam", is_staff=True, is_superuser=True)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def verified_client_for(user):
    """Signed in and past the second factor, as after typing the app's code."""
    device = TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)
    client = client_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def alice_client(alice):
    return client_for(alice.user)


@pytest.fixture
def bob_client(bob):
    return client_for(bob.user)


@pytest.fixture
def carol_client(carol):
    return client_for(carol.user)


@pytest.fixture
def xavier_client(xavier):
    return verified_client_for(xavier.user)


@pytest.fixture
def yara_client(yara):
    return verified_client_for(yara.user)


@pytest.fixture
def staff_client(staff):
    return verified_client_for(staff)


@pytest.fixture
def clients(client, alice_client, bob_client, xavier_client, yara_client, staff_client, carol):
    """A signed-in client per named user; "anon" is signed out."""
    return {
        "anon": client,
        "alice": alice_client,
        "bob": bob_client,
        "xavier": xavier_client,
        "yara": yara_client,
        "staff": staff_client,
    }


def make_entry(
    patient, recorded_at, created_at=None, pain=5, numbness=4, tingling=3, note="", **extra
):
    """An entry as the patient saved it; created_at moves its 24-hour edit window.

    extra: any other field, such as locations.
    """
    entry = SymptomEntry.objects.create(
        patient=patient,
        recorded_at=recorded_at,
        pain=pain,
        numbness=numbness,
        tingling=tingling,
        note=note,
        **extra,
    )
    if created_at is not None:
        SymptomEntry.objects.filter(pk=entry.pk).update(created_at=created_at)
        entry.refresh_from_db()
    return entry


def make_session(patient, when, notes="", points_used="", status=None):
    """A treatment session with the patient's own practitioner.

    Without a status: attended if its time has passed by the (maybe frozen) clock,
    else booked, as most sessions are.
    """
    if status is None:
        status = SessionStatus.ATTENDED if when <= timezone.now() else SessionStatus.BOOKED
    return TreatmentSession.objects.create(
        patient=patient,
        practitioner=patient.practitioner,
        when=when,
        status=status,
        notes=notes,
        points_used=points_used,
    )


def add_history(patient, count, now, session_notes="Practitioner only"):
    """count entries spread over two years before now, and three sessions (one still to come).

    For query budgets: the same pages with a short and a long history.
    """
    span = timedelta(days=730)
    SymptomEntry.objects.bulk_create(
        SymptomEntry(
            patient=patient,
            recorded_at=now - span + span * (i + 1) / count,
            pain=i % 11,
            numbness=(i * 3) % 11,
            tingling=(i * 7) % 11,
            note=f"Entry {i}",
        )
        for i in range(count)
    )
    for days in (-60, -20, 5):
        make_session(patient, now + timedelta(days=days), notes=session_notes)


class ReceivedMail:
    """An aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it.

    Yields the handler: its .messages are the email.message.EmailMessage objects received.
    (aiosmtpd 1.4's Controller cannot take port 0: it checks the port it was given.)
    """
    from aiosmtpd.controller import Controller

    handler = ReceivedMail()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield handler
    controller.stop()
