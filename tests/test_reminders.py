"""Check-in reminders (issue 15): choosing them, suggesting them, sending them, stopping them.

Reminders go through a real SMTP server (the smtp_server fixture) and are read back
as they arrived. The clock is stopped with time-machine (freeze_at), on ordinary
days and on both of London's clock changes in 2026.
"""

import os
import re
import signal
import threading
from datetime import UTC, datetime, time, timedelta
from email.utils import parseaddr
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import LONDON, detail_url, freeze_at, make_entry, make_patient
from tests.test_email import SITE, parts_of
from tracker import reminder_mail
from tracker.models import AuditEvent, NeuropathyKind, Patient, Reminder
from tracker.reminders import DAILY, EVERY_2_DAYS, OFF, WEEKDAYS

# Tuesday 16 June 2026, clinic time (BST, UTC+1).
EVENING = datetime(2026, 6, 16, 18, 0, tzinfo=LONDON)
JUST_AFTER = EVENING + timedelta(minutes=5)
A_WEEK_BEFORE = EVENING - timedelta(days=7)

LOG_LINK = f"{SITE}/log/"
UNSUBSCRIBE = re.compile(re.escape(SITE) + r"/reminders/unsubscribe/[^/\s\"<>]+/")


@pytest.fixture
def riverside(settings):
    settings.CLINIC_NAME = "Riverside Clinic"
    settings.DEFAULT_FROM_EMAIL = "Riverside Clinic <noreply@clinic.example.org>"
    settings.SITE_URL = SITE


def with_email(patient, address=None):
    patient.user.email = address or f"{patient.user.username}@example.com"
    patient.user.save(update_fields=["email"])
    return patient


def remind(patient, frequency=DAILY, at=time(18), weekdays=(), chosen=A_WEEK_BEFORE):
    """The patient chose reminders (a week ago, unless told), with an e-mail address."""
    if not patient.user.email:
        with_email(patient)
    patient.choose_reminders(frequency, at, set(weekdays), chosen)
    return patient


def log_at(patient, at, **scores):
    """An entry felt and saved at `at` (make_entry alone would save it at the real now)."""
    return make_entry(patient, at, created_at=at, **scores)


def run():
    """Run the command as cron would; returns its one-line summary."""
    out = StringIO()
    call_command("send_reminders", stdout=out)
    return out.getvalue().strip()


def recipients(server):
    return sorted(m["To"] for m in server.messages)


@pytest.fixture
def alice_on(alice, riverside):
    return remind(alice)


# The e-mail


def test_a_due_reminder_arrives_once_in_text_and_html_from_the_clinic(alice_on, smtp_server):
    log_at(
        alice_on,
        EVENING - timedelta(days=3),
        pain=9,
        numbness=7,
        tingling=8,
        note="burning at night since the second cycle",
    )

    with freeze_at(JUST_AFTER):
        summary = run()

    assert "1 sent" in summary
    [message] = smtp_server.messages
    assert parseaddr(message["From"]) == ("Riverside Clinic", "noreply@clinic.example.org")
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Time for your Relief Tracker check-in"
    text, html = parts_of(message)
    for body in (text, html):
        assert "Hello Alice Archer" in body
        assert LOG_LINK in body
        assert f"{SITE}/account/" in body
    assert f'<a href="{LOG_LINK}">' in html
    [unsubscribe] = set(UNSUBSCRIBE.findall(text))
    assert set(UNSUBSCRIBE.findall(html)) == {unsubscribe}
    # Folded onto a line of its own, as long headers are: the value is the same.
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    reminder = Reminder.objects.get()
    assert reminder.due_at == EVENING
    assert reminder.sent_at == JUST_AFTER


def test_a_reminder_carries_no_health_data(alice, riverside, smtp_server):
    alice.neuropathy_kind = NeuropathyKind.CHEMOTHERAPY
    alice.save()
    remind(alice)
    log_at(alice, EVENING - timedelta(days=3), pain=9, note="burning since the B12 test")

    with freeze_at(JUST_AFTER):
        run()

    [message] = smtp_server.messages
    text, html = parts_of(message)
    for body in (text, html, message["Subject"]):
        lowered = body.lower()
        for health in ("chemotherapy", "neuropathy", "burning", "b12", "pain", "numbness"):
            assert health not in lowered, (health, body)
        for health in ("tingling", "score", "diagnos", " 9 ", "/10"):
            assert health not in lowered, (health, body)


def test_the_name_is_escaped_in_the_html_part(xavier, riverside, smtp_server):
    patient = remind(make_patient("dan", "Dan <b>Dunn</b>", xavier))

    with freeze_at(JUST_AFTER):
        run()

    text, html = parts_of(smtp_server.messages[0])
    assert "Hello Dan <b>Dunn</b>" in text
    assert "Dan &lt;b&gt;Dunn&lt;/b&gt;" in html
    assert patient.display_name not in html


# Once per due time


def test_running_twice_sends_one(alice_on, smtp_server):
    with freeze_at(JUST_AFTER):
        run()
    with freeze_at(JUST_AFTER + timedelta(minutes=15)):
        summary = run()

    assert len(smtp_server.messages) == 1
    assert "1 already sent or being sent, 0 sent" in summary


def test_the_next_day_brings_the_next_reminder(alice_on, smtp_server):
    with freeze_at(JUST_AFTER):
        run()
    with freeze_at(JUST_AFTER + timedelta(days=1)):
        run()

    assert len(smtp_server.messages) == 2
    assert [r.due_at for r in Reminder.objects.order_by("due_at")] == [
        EVENING,
        EVENING + timedelta(days=1),
    ]


def test_nothing_is_due_before_the_time(alice_on, smtp_server):
    with freeze_at(EVENING - timedelta(minutes=1)):
        summary = run()

    # Yesterday's 18:00 is out of the grace window by now.
    assert smtp_server.messages == []
    assert summary.startswith("Reminders: 0 due")


# Quiet stop: nothing to a patient who logged since the previous due time


def test_a_patient_who_logged_since_the_previous_due_time_gets_none_then_the_next(
    alice_on, bob, smtp_server
):
    remind(bob)
    # Alice logged yesterday evening, after yesterday's reminder; Bob just before it.
    yesterday = EVENING - timedelta(days=1)
    log_at(alice_on, yesterday + timedelta(minutes=30))
    log_at(bob, yesterday - timedelta(minutes=1))

    with freeze_at(JUST_AFTER):
        summary = run()

    assert recipients(smtp_server) == ["bob@example.com"]
    assert "2 due, 1 skipped (logged since the previous due time)" in summary
    assert not Reminder.objects.filter(patient=alice_on).exists()

    with freeze_at(JUST_AFTER + timedelta(days=1)):
        run()

    assert recipients(smtp_server) == ["alice@example.com", "bob@example.com", "bob@example.com"]


def test_the_quiet_stop_counts_when_the_entry_was_saved_not_the_time_it_names(
    alice_on, smtp_server
):
    # Saved today at noon, about how Alice felt two days ago ("Earlier" on /log/).
    make_entry(alice_on, EVENING - timedelta(days=2), created_at=EVENING - timedelta(hours=6))

    with freeze_at(JUST_AFTER):
        run()

    assert smtp_server.messages == []


def test_an_entry_logged_after_the_due_time_before_the_run_stops_it_too(alice_on, smtp_server):
    log_at(alice_on, EVENING + timedelta(minutes=2))

    with freeze_at(JUST_AFTER):
        run()

    assert smtp_server.messages == []


# Who gets none


def test_an_inactive_patient_gets_none(alice_on, bob, smtp_server):
    remind(bob)
    User.objects.filter(pk=bob.user.pk).update(is_active=False)

    with freeze_at(JUST_AFTER):
        run()

    assert recipients(smtp_server) == ["alice@example.com"]


def test_a_patient_without_an_email_address_gets_none(alice_on, bob, smtp_server):
    remind(bob)
    User.objects.filter(pk=bob.user.pk).update(email="")

    with freeze_at(JUST_AFTER):
        summary = run()

    assert recipients(smtp_server) == ["alice@example.com"]
    assert summary.startswith("Reminders: 1 due")


def test_reminders_off_means_none(alice_on, smtp_server):
    alice_on.choose_reminders(OFF, None, set(), A_WEEK_BEFORE)

    with freeze_at(JUST_AFTER):
        run()

    assert smtp_server.messages == []


def test_a_due_time_out_of_the_grace_window_is_not_sent(alice_on, smtp_server):
    # The scheduler was down from 18:00: at 20:01 the 18:00 reminder is stale.
    with freeze_at(EVENING + reminder_mail.GRACE + timedelta(minutes=1)):
        summary = run()

    assert smtp_server.messages == []
    assert Reminder.objects.count() == 0
    assert summary.startswith("Reminders: 0 due")


def test_a_due_time_before_the_choice_was_made_is_not_sent(alice, riverside, smtp_server):
    remind(alice, chosen=EVENING + timedelta(minutes=1))

    with freeze_at(JUST_AFTER):
        run()

    assert smtp_server.messages == []


def test_chosen_weekdays_and_every_2_days(alice, bob, riverside, smtp_server):
    # 16 June 2026 is a Tuesday (1). Bob chose every 2 days on the 15th: not today.
    remind(alice, WEEKDAYS, weekdays={1, 4})
    remind(bob, EVERY_2_DAYS, chosen=EVENING - timedelta(days=1, hours=3))

    with freeze_at(JUST_AFTER):
        run()
    assert recipients(smtp_server) == ["alice@example.com"]

    with freeze_at(JUST_AFTER + timedelta(days=1)):
        run()
    assert recipients(smtp_server) == ["alice@example.com", "bob@example.com"]


# Summer time, at command level


SPRING_DAY = datetime(2026, 3, 29, 18, 0, tzinfo=LONDON)  # BST: 17:00 UTC
AUTUMN_DAY = datetime(2026, 10, 25, 18, 0, tzinfo=LONDON)  # GMT: 18:00 UTC


def test_the_spring_change_day_sends_at_the_clinic_time(alice, riverside, smtp_server):
    alice_on = remind(alice, chosen=datetime(2026, 3, 20, tzinfo=LONDON))
    # Alice logged on the 28th at 18:30 GMT, after that day's reminder: the 29th is quiet.
    log_at(alice_on, datetime(2026, 3, 28, 18, 30, tzinfo=LONDON))
    with freeze_at(SPRING_DAY + timedelta(minutes=5)):
        run()
    assert smtp_server.messages == []

    # On the 30th the reminder is due at 18:00 BST = 17:00 UTC, not at 18:00 UTC.
    with freeze_at(datetime(2026, 3, 30, 17, 5, tzinfo=LONDON)):
        run()
    assert smtp_server.messages == []
    with freeze_at(datetime(2026, 3, 30, 18, 5, tzinfo=LONDON)):
        run()
    assert len(smtp_server.messages) == 1
    assert Reminder.objects.get().due_at == datetime(2026, 3, 30, 17, 0, tzinfo=UTC)


def test_a_time_skipped_in_spring_goes_once_after_the_gap(alice, riverside, smtp_server):
    # 01:30 does not exist on 29 March: it goes at 02:30 BST (01:30 UTC), once.
    remind(alice, at=time(1, 30), chosen=datetime(2026, 3, 20, tzinfo=LONDON))
    gap_end = datetime(2026, 3, 29, 2, 0, tzinfo=LONDON)

    with freeze_at(gap_end + timedelta(minutes=15)):  # 02:15 BST
        run()
    assert smtp_server.messages == []
    for minutes in (35, 50, 65):
        with freeze_at(gap_end + timedelta(minutes=minutes)):
            run()

    assert len(smtp_server.messages) == 1
    assert Reminder.objects.get().due_at == datetime(2026, 3, 29, 2, 30, tzinfo=LONDON)


def test_a_time_that_happens_twice_in_autumn_is_sent_once(alice, riverside, smtp_server):
    remind(alice, at=time(1, 30), chosen=datetime(2026, 10, 20, tzinfo=LONDON))
    # In UTC: Python compares an ambiguous London time with another zone's as unequal.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT

    for moment in (first, first + timedelta(minutes=15), second, second + timedelta(minutes=15)):
        with freeze_at(moment + timedelta(minutes=1)):
            run()

    assert len(smtp_server.messages) == 1
    assert Reminder.objects.get().due_at == first


def test_the_autumn_change_day_sends_at_the_clinic_time(alice_on, smtp_server):
    # 18:00 GMT on the 25th is 18:00 UTC; at 17:05 UTC (an hour early in BST terms) nothing.
    with freeze_at(AUTUMN_DAY - timedelta(minutes=55)):
        run()
    assert smtp_server.messages == []
    with freeze_at(AUTUMN_DAY + timedelta(minutes=5)):
        run()
    assert len(smtp_server.messages) == 1
    assert Reminder.objects.get().due_at == AUTUMN_DAY


# Failures and crashes


def test_an_smtp_failure_for_one_patient_leaves_the_others_sent_and_is_retried(
    alice_on, bob, smtp_server
):
    remind(bob)
    refused = {"bob@example.com"}

    async def handle_RCPT(server, session, envelope, address, rcpt_options):
        if address in refused:
            refused.discard(address)  # once
            return "550 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handle_RCPT = handle_RCPT

    with freeze_at(JUST_AFTER):
        summary = run()

    assert recipients(smtp_server) == ["alice@example.com"]
    assert "1 sent, 1 failed" in summary
    assert Reminder.objects.get(patient=bob).sent_at is None

    with freeze_at(JUST_AFTER + timedelta(minutes=15)):
        summary = run()

    assert recipients(smtp_server) == ["alice@example.com", "bob@example.com"]
    assert "1 sent, 0 failed" in summary
    assert Reminder.objects.filter(sent_at=None).count() == 0


def test_an_smtp_server_that_is_down_loses_nothing(alice_on, smtp_server, settings):
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # nothing listens there
    with freeze_at(JUST_AFTER):
        summary = run()
    assert "0 sent, 1 failed" in summary

    settings.EMAIL_PORT = real_port
    with freeze_at(JUST_AFTER + timedelta(minutes=15)):
        run()
    assert len(smtp_server.messages) == 1


class Crash(BaseException):
    """Stands for the process dying: not an OSError, so nothing in the run catches it."""


class CrashingBackend(EmailBackend):
    """Django's SMTP backend that dies after `limit` messages (a crash mid-run)."""

    limit = 2
    sent = 0

    def send_messages(self, messages):
        if CrashingBackend.sent >= CrashingBackend.limit:
            raise Crash
        CrashingBackend.sent += len(messages)
        return super().send_messages(messages)


def test_a_crash_mid_run_neither_loses_nor_doubles_the_rest(xavier, riverside, smtp_server):
    patients = [remind(make_patient(f"p{i}", f"Patient {i}", xavier)) for i in range(5)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.EMAIL_BACKEND", "tests.test_reminders.CrashingBackend")
        patch.setattr(CrashingBackend, "sent", 0)
        with freeze_at(JUST_AFTER), pytest.raises(Crash):
            run()

    assert len(smtp_server.messages) == 2
    # What went is marked; the rest stay claimed, unsent.
    assert Reminder.objects.exclude(sent_at=None).count() == 2
    assert Reminder.objects.filter(sent_at=None).count() == 3

    # A run a moment later leaves the fresh claims alone (their run may still be going)...
    with freeze_at(JUST_AFTER + timedelta(minutes=1)):
        run()
    assert len(smtp_server.messages) == 2

    # ...and the next one takes them over: each patient has had exactly one.
    with freeze_at(JUST_AFTER + timedelta(minutes=15)):
        summary = run()
    assert "3 sent" in summary
    assert recipients(smtp_server) == sorted(p.user.email for p in patients)
    assert Reminder.objects.filter(sent_at=None).count() == 0


class TerminatedBackend(EmailBackend):
    """Django's SMTP backend; after `limit` messages the process gets a real SIGTERM."""

    limit = 2
    sent = 0

    def send_messages(self, messages):
        if TerminatedBackend.sent == TerminatedBackend.limit:
            os.kill(os.getpid(), signal.SIGTERM)
        TerminatedBackend.sent += len(messages)
        return super().send_messages(messages)


def test_sigterm_mid_run_marks_what_went_and_the_next_run_sends_the_rest(
    xavier, riverside, smtp_server
):
    for i in range(4):
        remind(make_patient(f"t{i}", f"Patient {i}", xavier))

    def unhandled(signum, frame):
        # Without the command's own handler, SIGTERM would end pytest itself.
        raise Crash

    fallback = signal.signal(signal.SIGTERM, unhandled)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "django.conf.settings.EMAIL_BACKEND", "tests.test_reminders.TerminatedBackend"
        )
        patch.setattr(TerminatedBackend, "sent", 0)
        try:
            with freeze_at(JUST_AFTER), pytest.raises(SystemExit) as stopped:
                run()
            # The command put back the handler it found.
            assert signal.getsignal(signal.SIGTERM) is unhandled
        finally:
            signal.signal(signal.SIGTERM, fallback)

    assert stopped.value.code == 128 + signal.SIGTERM
    assert len(smtp_server.messages) == 2
    assert Reminder.objects.exclude(sent_at=None).count() == 2
    with freeze_at(JUST_AFTER + timedelta(minutes=15)):
        run()
    assert len(smtp_server.messages) == 4
    assert len(set(recipients(smtp_server))) == 4


def test_a_stale_claim_is_not_taken_over_once_out_of_grace(alice_on, smtp_server):
    Reminder.objects.create(patient=alice_on, due_at=EVENING, claimed_at=JUST_AFTER)

    with freeze_at(EVENING + reminder_mail.GRACE + timedelta(minutes=1)):
        run()

    assert smtp_server.messages == []


# Query count


def test_the_command_runs_the_same_queries_for_3_patients_as_for_30(
    xavier, riverside, settings, django_assert_max_num_queries
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    def queries_for(count, start):
        for i in range(start, start + count):
            patient = remind(make_patient(f"q{i}", f"Patient {i}", xavier))
            log_at(patient, EVENING - timedelta(days=2))
        with (
            freeze_at(JUST_AFTER + timedelta(days=start)),
            CaptureQueriesContext(connection) as queries,
        ):
            run()
        return len(queries)

    few = queries_for(3, 0)
    sent_few = len(mail.outbox)
    many = queries_for(30, 3)

    assert sent_few == 3
    assert len(mail.outbox) == 3 + 33
    assert few == many
    with django_assert_max_num_queries(8), freeze_at(JUST_AFTER + timedelta(days=40)):
        run()


# Two runs at once (PostgreSQL): the unique constraint decides


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Two runs at once need two connections to a server database; SQLite locks the file.",
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_reminder_per_due_time(xavier, riverside, smtp_server):
    for i in range(40):
        remind(make_patient(f"c{i}", f"Patient {i}", xavier))
    start = threading.Barrier(2)
    summaries, errors = [], []

    def one_run():
        try:
            start.wait()
            summaries.append(reminder_mail.send_due(JUST_AFTER))
        except Exception as error:  # shown in the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(smtp_server.messages) == 40
    assert len(set(recipients(smtp_server))) == 40
    assert sum(s.sent for s in summaries) == 40
    assert sum(s.taken for s in summaries) == 40
    assert Reminder.objects.count() == 40


# Unsubscribing


def unsubscribe_link(alice):
    return reverse("tracker:unsubscribe", args=[reminder_mail.unsubscribe_token(alice)])


def test_the_link_in_the_email_opens_the_unsubscribe_page(alice_on, smtp_server, client):
    with freeze_at(JUST_AFTER):
        run()
    [link] = set(UNSUBSCRIBE.findall(parts_of(smtp_server.messages[0])[0]))

    response = client.get(link.removeprefix(SITE))

    assert response.status_code == 200
    assert "Stop my reminders" in response.content.decode()


def test_opening_the_unsubscribe_link_changes_nothing(alice_on, client):
    # Mail scanners open every link: a GET must not unsubscribe.
    response = client.get(unsubscribe_link(alice_on))

    assert response.status_code == 200
    alice_on.refresh_from_db()
    assert alice_on.reminder_frequency == DAILY
    # The page names nobody: the link may have been forwarded.
    assert "Alice" not in response.content.decode()


def test_the_button_turns_reminders_off_and_is_on_the_record(alice_on):
    client = Client(enforce_csrf_checks=True)
    page = client.get(unsubscribe_link(alice_on))
    token = page.cookies["csrftoken"].value

    response = client.post(unsubscribe_link(alice_on), {"csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert "You will get no more reminders" in response.content.decode()
    alice_on.refresh_from_db()
    assert alice_on.reminder_frequency == OFF
    event = AuditEvent.objects.get(object_type="reminders")
    assert (event.actor, event.patient_public_id) == ("anonymous", alice_on.public_id)


def test_the_one_click_post_without_a_csrf_token_turns_reminders_off(alice_on, smtp_server):
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's link.
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_link(alice_on), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    alice_on.refresh_from_db()
    assert alice_on.reminder_frequency == OFF
    with freeze_at(JUST_AFTER):
        run()
    assert smtp_server.messages == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_or_made_up_token_is_a_plain_400(alice_on, client, method):
    token = reminder_mail.unsubscribe_token(alice_on)
    for bad in (token[:-2] + "xx", "not-a-token", token.replace(":", "")):
        url = reverse("tracker:unsubscribe", args=[bad])
        response = getattr(client, method)(url)
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    alice_on.refresh_from_db()
    assert alice_on.reminder_frequency == DAILY


def test_a_token_signed_for_something_else_is_refused(alice_on, client):
    from django.core import signing

    other = signing.dumps(str(alice_on.public_id), salt="something.else")
    response = client.post(reverse("tracker:unsubscribe", args=[other]))

    assert response.status_code == 400


# The patient's choice


REMINDERS = reverse("tracker:reminders")


def test_the_account_page_offers_the_reminder_choice(alice_client):
    response = alice_client.get("/account/")

    page = response.content.decode()
    assert "Check-in reminders" in page
    assert "Now: <strong>Off</strong>" in page
    assert 'name="frequency"' in page and 'name="weekdays"' in page and 'name="at"' in page


def test_a_patient_chooses_reminders(alice_client, alice, frozen):
    response = alice_client.post(
        REMINDERS, {"frequency": WEEKDAYS, "weekdays": [0, 3], "at": "09:30"}
    )

    assert response.status_code == 302
    assert response.url == "/account/"
    alice.refresh_from_db()
    assert alice.reminder_schedule().in_words() == "Monday and Thursday at 09:30"
    assert alice.reminder_chosen_at == frozen
    assert AuditEvent.objects.filter(object_type="reminders", actor="alice").exists()
    page = alice_client.get("/account/").content.decode()
    assert "Your reminders are saved: monday and thursday at 09:30." in page
    assert "Now: <strong>Monday and Thursday at 09:30</strong>" in page


def test_every_2_days_counts_from_the_day_it_was_chosen(alice_client, alice, frozen):
    alice_client.post(REMINDERS, {"frequency": EVERY_2_DAYS, "at": "18:00"})

    alice.refresh_from_db()
    assert alice.reminder_anchor == frozen.date()


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"frequency": WEEKDAYS, "at": "09:00"}, "weekdays", "Please choose at least one day."),
        ({"frequency": DAILY, "at": "03:00"}, "at", "Please choose a time from the list."),
        ({"frequency": DAILY}, "at", "Please choose a time."),
        ({"frequency": "hourly", "at": "09:00"}, "frequency", "Please choose how often"),
        ({"at": "09:00"}, "frequency", "Please choose how often"),
        ({"frequency": WEEKDAYS, "weekdays": ["9"], "at": "09:00"}, "weekdays", "from the list"),
    ],
)
def test_a_bad_choice_says_why_and_saves_nothing(alice_client, alice, data, field, says):
    response = alice_client.post(REMINDERS, data)

    assert response.status_code == 200
    assert says in " ".join(response.context["form"].errors[field])
    assert "Your reminders are not saved yet" in response.content.decode()
    alice.refresh_from_db()
    assert alice.reminder_frequency == OFF
    assert alice.reminder_chosen_at is None


def test_after_an_invitation_the_patient_is_asked_once_and_goes_on_to_log(alice_client, alice):
    page = alice_client.get(REMINDERS, {"welcome": "1"})
    assert "Would you like reminders?" in page.content.decode()
    assert 'href="/log/"' in page.content.decode()  # Skip

    response = alice_client.post(REMINDERS, {"welcome": "1", "frequency": DAILY, "at": "18:00"})

    assert response.url == "/log/"
    alice.refresh_from_db()
    assert alice.reminder_frequency == DAILY


# The practitioner's suggestion


def suggest(client, patient, **data):
    url = reverse("tracker:suggest_reminders", args=[patient.public_id])
    return client.post(url, {"frequency": DAILY, "at": "18:00", **data})


def test_the_patient_page_shows_the_choice_in_words(xavier_client, alice):
    remind(alice, WEEKDAYS, at=time(9), weekdays={0, 4})

    page = xavier_client.get(detail_url(alice)).content.decode()

    assert "Alice Archer&rsquo;s choice: <strong>Monday and Friday at 09:00</strong>" in page


def test_a_suggestion_is_shown_to_the_patient_and_never_overwrites_their_choice(
    xavier_client, alice_client, alice, frozen
):
    remind(alice, WEEKDAYS, at=time(9), weekdays={0})

    response = suggest(xavier_client, alice, frequency=EVERY_2_DAYS, at="19:30")

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.reminder_schedule().in_words() == "Monday at 09:00"
    assert alice.suggested_schedule().in_words() == "Every 2 days at 19:30"
    assert alice.suggested_at == frozen
    assert AuditEvent.objects.filter(object_type="reminders", actor="xavier").exists()
    account = alice_client.get("/account/").content.decode()
    assert "Dr Xavier suggests: <strong>Every 2 days at 19:30</strong>" in account
    assert "Now: <strong>Monday at 09:00</strong>" in account


def test_use_this_makes_the_suggestion_the_patient_s_choice(xavier_client, alice_client, alice):
    suggest(xavier_client, alice, frequency=WEEKDAYS, weekdays=[1, 3], at="08:00")

    response = alice_client.post(reverse("tracker:use_suggestion"))

    assert response.url == "/account/"
    alice.refresh_from_db()
    assert alice.reminder_schedule().in_words() == "Tuesday and Thursday at 08:00"
    # Once used, it is no longer offered.
    assert "suggests" not in alice_client.get("/account/").content.decode()


def test_a_practitioner_cannot_suggest_for_another_practitioner_s_patient(yara_client, alice):
    response = suggest(yara_client, alice)

    assert response.status_code == 404
    alice.refresh_from_db()
    assert alice.suggested_frequency == ""


def test_a_patient_cannot_reach_the_suggest_url(alice_client, bob_client, alice):
    for client in (alice_client, bob_client):
        assert suggest(client, alice).status_code == 404
    alice.refresh_from_db()
    assert alice.suggested_frequency == ""


def test_a_bad_suggestion_says_why_and_saves_nothing(xavier_client, alice):
    response = suggest(xavier_client, alice, frequency=WEEKDAYS)

    assert response.status_code == 200
    assert "Please choose at least one day." in response.content.decode()
    alice.refresh_from_db()
    assert alice.suggested_frequency == ""


def test_the_suggestion_makes_no_query_more_on_the_patient_page(xavier_client, alice):
    # tests/test_patient_detail.py holds the page's budget; this one keeps it flat.
    def count():
        with CaptureQueriesContext(connection) as queries:
            xavier_client.get(detail_url(alice))
        return len(queries)

    before = count()
    suggest(xavier_client, alice)
    remind(alice)
    assert count() == before


def test_patients_see_only_their_own_choice(bob_client, alice):
    remind(alice, WEEKDAYS, weekdays={2}, at=time(7))

    page = bob_client.get("/account/").content.decode()

    assert "Wednesday at 07:00" not in page
    assert Patient.objects.get(pk=alice.pk).reminder_frequency == WEEKDAYS


def test_a_patient_who_joins_without_an_email_address_goes_straight_to_log(xavier_client):
    # Reminders come by e-mail: a patient who joined from a printed sheet is not asked.
    from tests.test_sign_in_sheet import add_ellen, choose, code_on, ellen, print_sheet

    add_ellen(xavier_client)
    response = choose(Client(), code_on(print_sheet(xavier_client, ellen())))

    assert response.status_code == 302
    assert response.url == "/log/"


def test_the_account_page_says_why_there_are_no_reminders_without_an_address(alice_client):
    page = alice_client.get("/account/").content.decode()

    assert "the clinic has no e-mail address for you yet" in page
