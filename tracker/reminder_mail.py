"""Sending check-in reminders: who is due, the claims that stop doubles, the e-mail.

send_due() is what `manage.py send_reminders` runs. In order:

1. One query reads the candidates (Patient.objects.reminders_due_candidates);
   tracker/reminders.py decides, in Python, who is due and for which moment.
2. Per batch of BATCH_SIZE, the run claims: one INSERT ... ON CONFLICT DO
   NOTHING of (patient, due_at) rows marked with its run id, so the unique
   constraint decides which of two runs at once sends; one conditional UPDATE
   takes over claims left unsent (released after a failed send, or older than
   STALE_CLAIM: a run that died); one SELECT reads back the rows that carry
   this run's id. Nothing is read first and written after.
3. The batch goes over one SMTP connection. Then, in a finally, one UPDATE marks
   what was actually sent and one releases what failed, so an exception (or a
   SIGTERM, which the command turns into one) mid-batch neither loses nor
   doubles the rest.

What is left: a SIGKILL or power cut after a message went and before the
finally marks it. That claim is taken over after STALE_CLAIM and the message
goes again: at most the messages sent so far in that one batch are doubled.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from tracker import languages, reminders
from tracker.models import Patient, Reminder

logger = logging.getLogger(__name__)

# Only a due time at most this long ago is sent: after a scheduler outage a
# reminder for 09:00 must not arrive in the evening.
GRACE = timedelta(hours=2)
# A claim this old and still unsent belongs to a run that died: the next run takes it.
# Runs are 15 minutes apart; a batch takes seconds.
STALE_CLAIM = timedelta(minutes=5)
BATCH_SIZE = 100

SUBJECT = gettext_lazy("Time for your Relief Tracker check-in")
UNSUBSCRIBE_SALT = "tracker.reminders.unsubscribe"


def unsubscribe_token(patient):
    """A signed token naming the patient; it does not expire (an old e-mail still works)."""
    return signing.dumps(str(patient.public_id), salt=UNSUBSCRIBE_SALT)


def patient_for_token(token):
    """The patient a token names, or None for a bad, tampered or stale one."""
    try:
        public_id = uuid.UUID(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, ValueError, TypeError, AttributeError):
        return None
    return Patient.objects.select_related("user").filter(public_id=public_id).first()


def unsubscribe_url(patient):
    return settings.SITE_URL + reverse("tracker:unsubscribe", args=[unsubscribe_token(patient)])


def reminder_message(patient, connection=None):
    """The reminder e-mail: names and links only, no health data (no scores, notes, kind)."""
    unsubscribe = unsubscribe_url(patient)
    ctx = {
        "name": patient.display_name,
        "clinic_name": settings.CLINIC_NAME,
        # From the configured address: there is no request here, and never its Host.
        "log_link": settings.SITE_URL + reverse("tracker:log"),
        "account_link": settings.SITE_URL + reverse("account"),
        "unsubscribe_link": unsubscribe,
    }
    # In the patient's language, not the cron job's.
    with translation.override(languages.language_for(patient)):
        subject = str(SUBJECT)
        text = render_to_string("tracker/email/reminder.txt", ctx)
        html = render_to_string("tracker/email/reminder.html", ctx)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [patient.user.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            # RFC 8058: the mail client may POST to the link to unsubscribe in one click.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass
class RunSummary:
    due: int = 0
    logged: int = 0
    taken: int = 0
    sent: int = 0
    failed: int = 0

    def __str__(self):
        return (
            f"{self.due} due, {self.logged} skipped (logged since the previous due time), "
            f"{self.taken} already sent or being sent, {self.sent} sent, {self.failed} failed"
        )


def due_now(now):
    """[(patient, due_at)] of the reminders to send now, and how many were skipped as logged."""
    tz = timezone.get_current_timezone()
    due, logged = [], 0
    for patient in Patient.objects.reminders_due_candidates(now):
        decision = reminders.decide(
            patient.reminder_schedule(),
            now,
            tz,
            patient.last_logged_at,
            patient.reminder_chosen_at,
            GRACE,
        )
        if decision.due_at is not None:
            due.append((patient, decision.due_at))
        elif decision.skipped == "logged":
            logged += 1
    return due, logged


def claim(batch, now, run):
    """Claim (patient, due_at) pairs for this run; {patient_id: reminder_id} of those won."""
    Reminder.objects.bulk_create(
        [Reminder(patient=p, due_at=due_at, claimed_at=now, run=run) for p, due_at in batch],
        ignore_conflicts=True,
    )
    # Claims nobody holds any more: released after a failed send, or a run that died.
    # The WHERE is checked again on the locked row, so of two runs only one takes it.
    these = reduce(or_, (Q(patient_id=p.pk, due_at=due_at) for p, due_at in batch))
    Reminder.objects.filter(these, sent_at=None).filter(
        Q(claimed_at=None) | Q(claimed_at__lt=now - STALE_CLAIM)
    ).update(claimed_at=now, run=run)
    won = Reminder.objects.filter(these, run=run, sent_at=None, claimed_at=now)
    return dict(won.values_list("patient_id", "pk"))


def send_batch(claimed, summary):
    """Send over one connection; mark what went and release what failed, whatever happens."""
    sent, failed = [], []
    connection = get_connection()
    try:
        try:
            connection.open()
        except OSError:  # smtplib.SMTPException is an OSError too
            logger.exception("Could not connect to send %d reminders", len(claimed))
            failed = [reminder_id for _, reminder_id in claimed]
            return
        for patient, reminder_id in claimed:
            try:
                connection.send_messages([reminder_message(patient, connection)])
            except OSError:
                # Left for the next run; the others still go.
                logger.exception("Could not send the reminder for patient %s", patient.public_id)
                failed.append(reminder_id)
            else:
                sent.append(reminder_id)
    finally:
        if sent:
            Reminder.objects.filter(pk__in=sent).update(sent_at=timezone.now())
        if failed:
            Reminder.objects.filter(pk__in=failed).update(claimed_at=None, run=None)
        summary.sent += len(sent)
        summary.failed += len(failed)
        connection.close()


def send_due(now=None):
    """Send every reminder due now, once. Returns a RunSummary."""
    now = now or timezone.now()
    run = uuid.uuid4()
    due, logged = due_now(now)
    summary = RunSummary(due=len(due) + logged, logged=logged)
    for start in range(0, len(due), BATCH_SIZE):
        batch = due[start : start + BATCH_SIZE]
        won = claim(batch, now, run)
        summary.taken += len(batch) - len(won)
        claimed = [(p, won[p.pk]) for p, _ in batch if p.pk in won]
        if claimed:
            send_batch(claimed, summary)
    return summary
