"""A large synthetic clinic for benchmarks: 20 practitioners, 2,000 patients, two years.

`--scale 10` makes a clinic ten times larger that grew by hiring: 200 practitioners with
100 patients each (20,000 patients, ~14 M entries). Each patient's course depends only on
the seed and the patient's number, so patient0000 has the same two years at every scale.

Deterministic (fixed seed). On PostgreSQL the entries and sessions stream in
through COPY as tab-separated text, the entries 100,000 at a time as they are made
(the sessions, a tenth as many, wait as text: 555 MB of memory at --scale 10);
elsewhere (the small smoke test on SQLite) they go through bulk_create. It refuses to
touch a database that holds any patient it did not make itself.
"""

import io
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.management.bench_accounts import OTP_KEY, PASSWORD, PREFIX
from tracker.models import (
    GlobalImpression,
    MedicineEvent,
    NeuropathyKind,
    Patient,
    Practitioner,
    SessionStatus,
    SideEffectReport,
    SymptomEntry,
    TreatmentSession,
)
from tracker.symptoms import NAMES

ATTENDED, BOOKED = SessionStatus.ATTENDED.value, SessionStatus.BOOKED.value
SEED = 730
# Entries handed to COPY at a time: about 14 MB of text.
CHUNK_ROWS = 100_000


def patient_course(rng, days):
    """(entries, sessions) for one patient as plain tuples, oldest first.

    Times are minutes since the first day's midnight (UTC), so that both ways of
    loading can format them cheaply. Entries: (minute, a score per symptom in
    symptoms.NAMES order, public id as 32 hex digits), about one a day on average
    (some days none, some up to three), with holidays and a trend. Sessions: (minute, public id),
    weekly from the third week, and one booked a week ahead.
    """
    base = [rng.uniform(3, 8) for _ in NAMES]
    factor = rng.choice((0.4, 0.6, 0.8, 1.0, 1.0, 1.3))  # responders to getting worse
    gauss, randint, random_, bits = rng.gauss, rng.randint, rng.random, rng.getrandbits
    entries, gap = [], 0
    # Entries stop yesterday, so that none is dated later than now.
    for day in range(days - 1):
        if gap:
            gap -= 1
            continue
        if random_() < 0.01:
            gap = randint(3, 10)  # a holiday or an illness: nothing logged
        if random_() < 0.5:
            continue
        progress = day / days
        drift = 1.0 if progress < 0.05 else 1 + (factor - 1) * min(1.0, (progress - 0.05) / 0.5)
        means = [b * drift for b in base]
        for _ in range(randint(1, 3)):
            minute = day * 1440 + randint(7 * 60, 21 * 60)
            scores = [max(0, min(10, round(m + gauss(0, 0.9)))) for m in means]
            entries.append((minute, *scores, f"{bits(128):032x}"))
    sessions = [(day * 1440 + 600, f"{bits(128):032x}") for day in range(14, days + 7, 7)]
    return entries, sessions


class Command(BaseCommand):
    help = (
        f"Create a synthetic clinic for benchmarks ({PREFIX}* users, password '{PASSWORD}', "
        "TOTP key in bench_accounts.OTP_KEY). Refuses to run on a database with other patients."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=2000)
        parser.add_argument("--practitioners", type=int, default=20)
        parser.add_argument("--days", type=int, default=730)
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Multiply practitioners and patients by this (each practitioner keeps "
            "the same number of patients): --scale 10 is 200 practitioners, 20,000 patients.",
        )
        parser.add_argument("--reset", action="store_true", help="Remove earlier bench data first.")

    def handle(self, *args, patients, practitioners, days, scale, reset, **options):
        if scale < 1:
            raise CommandError("--scale must be 1 or more.")
        patients, practitioners = patients * scale, practitioners * scale
        if Patient.objects.exclude(user__username__startswith=PREFIX).exists():
            raise CommandError(
                "This database holds patients that seed_bench did not make. Benchmarks must "
                "run on a database of their own (set DATABASE_URL)."
            )
        if Patient.objects.exists():
            if not reset:
                raise CommandError("Bench data is already here; use --reset to make it anew.")
            self.remove()
        started = time.monotonic()
        with transaction.atomic():
            entries, sessions = self.create(patients, practitioners, days)
        seconds = time.monotonic() - started
        size = ""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Statistics for the planner on every table the pages read, not only
                # the two loaded by COPY (their ANALYZE ran before the commit).
                cursor.execute("ANALYZE")
                cursor.execute("SELECT pg_database_size(current_database())")
                size = f", database {cursor.fetchone()[0] / 2**20:,.0f} MB"
        self.stdout.write(
            f"Created {practitioners} practitioners, {patients} patients, {entries:,} entries "
            f"and {sessions:,} sessions in {seconds:.1f} s ({connection.vendor}{size})."
        )

    def remove(self):
        users = User.objects.filter(username__startswith=PREFIX)
        if connection.vendor == "postgresql":
            # Only bench rows are here (checked above): emptying is far faster than deleting.
            # With the tables that refer to them (what patients report beside the scores).
            tables = [
                model._meta.db_table
                for model in (
                    SymptomEntry,
                    TreatmentSession,
                    MedicineEvent,
                    GlobalImpression,
                    SideEffectReport,
                )
            ]
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(tables)}")
        SymptomEntry.objects.filter(patient__user__in=users).delete()
        TreatmentSession.objects.filter(patient__user__in=users).delete()
        Patient.objects.filter(user__in=users).delete()
        TOTPDevice.objects.filter(user__in=users).delete()
        Practitioner.objects.filter(user__in=users).delete()
        users.delete()

    def create(self, n_patients, n_practitioners, days):
        password = make_password(PASSWORD)
        practitioner_names = [f"{PREFIX}practitioner{i:02d}" for i in range(n_practitioners)]
        patient_names = [f"{PREFIX}patient{i:04d}" for i in range(n_patients)]
        User.objects.bulk_create(
            [User(username=name, password=password) for name in practitioner_names + patient_names],
            batch_size=2000,
        )
        users = dict(User.objects.filter(username__startswith=PREFIX).values_list("username", "pk"))
        Practitioner.objects.bulk_create(
            Practitioner(user_id=users[name], display_name=f"Dr Bench {i:02d}")
            for i, name in enumerate(practitioner_names)
        )
        TOTPDevice.objects.bulk_create(
            TOTPDevice(user_id=users[name], name="bench", key=OTP_KEY, confirmed=True)
            for name in practitioner_names
        )
        by_user = dict(
            Practitioner.objects.filter(user__username__startswith=PREFIX).values_list(
                "user_id", "pk"
            )
        )
        practitioner_ids = [by_user[users[name]] for name in practitioner_names]
        rng = random.Random(SEED)
        kinds = NeuropathyKind.values
        Patient.objects.bulk_create(
            (
                Patient(
                    user_id=users[name],
                    public_id=uuid.UUID(int=rng.getrandbits(128)),
                    display_name=f"Bench Patient {i:04d}",
                    practitioner_id=practitioner_ids[i % n_practitioners],
                    neuropathy_kind=kinds[i % len(kinds)],
                )
                for i, name in enumerate(patient_names)
            ),
            batch_size=2000,
        )
        patients = dict(
            Patient.objects.filter(user__username__startswith=PREFIX).values_list(
                "user__username", "pk"
            )
        )
        start = datetime.combine(
            timezone.localdate() - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC
        )
        # Nothing is "felt" after now: today's entries stop at the current minute.
        last_minute = int((timezone.now() - start).total_seconds() // 60)

        def courses():
            """Each patient's rows, one patient at a time (never all of them in memory)."""
            for i, name in enumerate(patient_names):
                entries, sessions = patient_course(random.Random(SEED * 100_000 + i), days)
                entries = [entry for entry in entries if entry[0] <= last_minute]
                # Sessions up to now took place; the one a week ahead is booked.
                sessions = [
                    (minute, public_id, ATTENDED if minute <= last_minute else BOOKED)
                    for minute, public_id in sessions
                ]
                yield patients[name], practitioner_ids[i % n_practitioners], entries, sessions

        if connection.vendor == "postgresql":
            return self.copy(courses(), start, days)
        return self.bulk_create(courses(), start)

    def copy(self, courses, start, days):
        """Stream the rows through COPY as tab-separated text, one statement per table.

        The entries go to COPY in chunks of about CHUNK_ROWS rows as the patients' courses
        are made; the sessions (a tenth as many) are kept as text until the entries are in.
        The tables' secondary indexes are dropped first and built again after the load:
        one sort per index instead of millions of random index insertions.
        Returns (entries, sessions) counted.
        """
        day_text = [str((start + timedelta(days=d)).date()) for d in range(days + 8)]

        def stamp(minute):
            day, rest = divmod(minute, 1440)
            return f"{day_text[day]} {rest // 60:02d}:{rest % 60:02d}:00+00"

        tables = {
            "tracker_symptomentry": (
                f"patient_id, recorded_at, {', '.join(NAMES)}, locations, note, "
                "public_id, created_at"
            ),
            "tracker_treatmentsession": (
                'patient_id, practitioner_id, "when", status, points_used, notes, '
                "public_id, created_at"
            ),
        }
        n_entries = n_sessions = 0
        with connection.cursor() as cursor:
            # The rows point at patients made just above, so a superuser (as on a
            # benchmark database) skips the per-row foreign-key triggers; anyone
            # else has them checked at once, before the indexes are built again.
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
            # Room to sort each index in memory (14 M entries at --scale 10): this
            # transaction only, the server's setting is left as it is.
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            rebuild = {table: self.drop_indexes(cursor, table) for table in tables}
            sessions = io.StringIO()
            columns = tables["tracker_symptomentry"]
            with cursor.cursor.copy(f"COPY tracker_symptomentry ({columns}) FROM STDIN") as copy:
                chunk, rows = [], 0
                for patient_id, practitioner_id, course_entries, course_sessions in courses:
                    for minute, *scores, public_id in course_entries:
                        at = stamp(minute)
                        score_cells = "\t".join(map(str, scores))
                        chunk.append(
                            f"{patient_id}\t{at}\t{score_cells}\t[]\t\t{public_id}\t{at}\n"
                        )
                    for minute, public_id, status in course_sessions:
                        at = stamp(minute)
                        sessions.write(
                            f"{patient_id}\t{practitioner_id}\t{at}\t{status}\tST36, SP6, LR3\t\t"
                            f"{public_id}\t{at}\n"
                        )
                    n_entries += len(course_entries)
                    n_sessions += len(course_sessions)
                    rows += len(course_entries)
                    if rows >= CHUNK_ROWS:
                        copy.write("".join(chunk))
                        chunk, rows = [], 0
                copy.write("".join(chunk))
            columns = tables["tracker_treatmentsession"]
            with cursor.cursor.copy(
                f"COPY tracker_treatmentsession ({columns}) FROM STDIN"
            ) as copy:
                copy.write(sessions.getvalue())
            del sessions
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, statements in rebuild.items():
                for statement in statements:
                    cursor.execute(statement)
                cursor.execute(f"ANALYZE {table}")
            cursor.execute("SET LOCAL session_replication_role = origin")
        return n_entries, n_sessions

    def drop_indexes(self, cursor, table):
        """Drop the table's indexes and unique constraints, except the primary key.

        Returns the statements that make them again.
        """
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT LIKE '%%_pkey' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        return [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for name, definition in constraints
        ] + [definition for _, definition in indexes]

    def bulk_create(self, courses, start):
        """The rows through the ORM (SQLite, small clinics). Returns (entries, sessions)."""

        def at(minute):
            return start + timedelta(minutes=minute)

        n_entries = n_sessions = 0
        for patient_id, practitioner_id, course_entries, course_sessions in courses:
            SymptomEntry.objects.bulk_create(
                [
                    SymptomEntry(
                        patient_id=patient_id,
                        recorded_at=at(minute),
                        **dict(zip(NAMES, scores, strict=True)),
                        public_id=uuid.UUID(public_id),
                        created_at=at(minute),
                    )
                    for minute, *scores, public_id in course_entries
                ],
                batch_size=2000,
            )
            TreatmentSession.objects.bulk_create(
                TreatmentSession(
                    patient_id=patient_id,
                    practitioner_id=practitioner_id,
                    when=at(minute),
                    status=status,
                    points_used="ST36, SP6, LR3",
                    public_id=uuid.UUID(public_id),
                )
                for minute, public_id, status in course_sessions
            )
            n_entries += len(course_entries)
            n_sessions += len(course_sessions)
        return n_entries, n_sessions
