"""send_reminders for the whole bench clinic (2,000 patients): wall time and queries.

    .venv/bin/python scripts/bench_reminders.py          # locmem e-mail backend
    .venv/bin/python scripts/bench_reminders.py --smtp   # a real SMTP server (aiosmtpd) on loopback

On a PostgreSQL database of its own (relief_bench_rem, created and seeded on first
use with `manage.py seed_bench`; never relief_bench, which `make bench` owns), every
bench patient gets an e-mail address and daily reminders at a time five minutes
before the moment of the run. The run is two days after the seeded history ends,
so no patient is quiet-stopped and all 2,000 are sent. It prints the wall time and
the number of queries. A figure, not a test: nothing fails when it is slow.
"""

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.harness import HOST, PG_URL, app_env  # noqa: E402

DB = "relief_bench_rem"


def ensure_database():
    with psycopg.connect(PG_URL + "postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{DB}"')
            print(f"Created database {DB}.", flush=True)


def manage(*args, env):
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smtp", action="store_true", help="send through a real SMTP server")
    args = parser.parse_args()

    ensure_database()
    env = app_env(db=DB)
    manage("migrate", "--no-input", "-v", "0", env=env)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tracker import reminders
    from tracker.management.bench_accounts import PREFIX
    from tracker.models import Patient, Reminder
    from tracker.reminder_mail import send_due

    if not Patient.objects.exists():
        print("Seeding the bench clinic (a minute or two)...", flush=True)
        manage("seed_bench", env=env)

    server = None
    if args.smtp:
        # In a process of its own, as a mail server is: in this one it would share the GIL.
        from tests.conftest import free_port

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{port}"]
            + ["-c", "aiosmtpd.handlers.Sink"]
        )
        time.sleep(1.5)  # listening
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = HOST, port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    else:
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        mail.outbox = []

    # Two days after the seeded history ends: nobody has logged since the previous due time.
    now = timezone.now() + timedelta(days=2)
    due = timezone.localtime(now - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    Reminder.objects.all().delete()
    User.objects.bulk_update(
        [
            User(pk=pk, email=f"{name}@bench.example")
            for pk, name in User.objects.filter(
                username__startswith=PREFIX, patient__isnull=False
            ).values_list("pk", "username")
        ],
        ["email"],
        batch_size=500,
    )
    Patient.objects.update(
        reminder_frequency=reminders.DAILY,
        reminder_time=due,
        reminder_weekdays=[],
        reminder_anchor=timezone.localdate(now),
        reminder_chosen_at=now - timedelta(days=7),
    )
    patients = Patient.objects.count()

    connection.close()  # a fresh connection, as cron's run starts with
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        summary = send_due(now)
    seconds = time.perf_counter() - started

    if server:
        server.terminate()
        server.wait()
    backend = "SMTP (aiosmtpd in its own process, on loopback)" if server else "locmem"
    print(f"{patients} patients, e-mail backend {backend}")
    print(f"Reminders: {summary}.")
    print(f"{seconds:.2f} s wall time; {len(queries)} queries:")
    kinds = Counter(" ".join(q["sql"].split()[:3]) for q in queries)
    for kind, count in kinds.most_common():
        print(f"  {count:4d}  {kind} ...")


if __name__ == "__main__":
    main()
