"""Send the check-in reminders that are due. Run it every 15 minutes (README: Reminders)."""

import signal
import threading

from django.core.management.base import BaseCommand

from tracker.reminder_mail import send_due


def stop(signum, frame):
    # SIGTERM (systemd stopping the unit, a timeout) ends the run with an exception,
    # so the finally in reminder_mail.send_batch marks what was already sent.
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = (
        "Send the check-in reminders due now: once per due time, none to a patient who "
        "logged since the previous one. Safe to run twice at once."
    )

    def handle(self, *args, **options):
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, stop) if main else None
        try:
            summary = send_due()
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
        self.stdout.write(f"Reminders: {summary}.")
