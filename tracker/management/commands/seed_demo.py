import random
from base64 import b32encode
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.models import (
    BodyLocation,
    GlobalImpression,
    Medicine,
    MedicineEvent,
    MedicineEventKind,
    NeuropathyKind,
    Patient,
    Practitioner,
    SessionStatus,
    SideEffectReport,
    SymptomEntry,
    TreatmentSession,
    WeeklyAnswer,
)
from tracker.reported import week_of
from tracker.symptoms import NAMES

DEMO_PASSWORD = "neuropathy-demo"
SEED = 20261121
# The demo practitioners' authenticator secret (hex, as django-otp stores it).
# Published on purpose, like the password: add it to an authenticator app, or
# print the current code with `manage.py demo_otp_code`.
DEMO_TOTP_KEY = "ae92887b072ffcf3c379cf6acc207796908abb5b"
DEMO_TOTP_SECRET = b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()  # V2JIQ6YH...


@dataclass(frozen=True)
class Course:
    """How one demo patient's symptoms move over their course of treatment."""

    username: str
    name: str
    kind: str
    weeks: int
    start: tuple  # a score per symptom (symptoms.NAMES order) in the baseline week
    factor: float  # where the scores end up, as a share of the start
    stopped_days_ago: int = 0  # 0: still logging today
    locations: tuple = (BodyLocation.FEET_LEFT, BodyLocation.FEET_RIGHT)


K = NeuropathyKind
L = BodyLocation
# demo.practitioner's patients first, then the second practitioner's.
COURSES = {
    "demo.practitioner": [
        Course("demo.patient", "Alex Morgan", K.DIABETIC, 10, (6, 7, 6), 0.6),
        Course(
            "ruth.adeyemi",
            "Ruth Adeyemi",
            K.CHEMOTHERAPY,
            12,
            (7, 8, 8),
            0.35,
            locations=(L.HANDS_LEFT, L.HANDS_RIGHT, L.FEET_LEFT, L.FEET_RIGHT),
        ),
        Course("george.papadopoulos", "George Papadopoulos", K.DIABETIC, 11, (5, 6, 5), 1.0),
        Course("hannah.kowalski", "Hannah Kowalski", K.IDIOPATHIC, 9, (4, 4, 5), 1.6),
        Course("david.osei", "David Osei", K.DIABETIC, 10, (6, 5, 6), 0.8, stopped_days_ago=10),
        Course(
            "margaret.lindqvist",
            "Margaret Lindqvist",
            K.CHEMOTHERAPY,
            10,
            (8, 8, 7),
            0.95,
            locations=(L.HANDS_LEFT, L.HANDS_RIGHT),
        ),
        Course(
            "samuel.ortiz",
            "Samuel Ortiz",
            K.OTHER,
            8,
            (5, 3, 4),
            0.7,
            locations=(L.LOWER_LEGS_LEFT, L.LOWER_LEGS_RIGHT, L.FEET_LEFT),
        ),
    ],
    "demo.practitioner2": [
        Course(
            "priya.nair",
            "Priya Nair",
            K.CHEMOTHERAPY,
            12,
            (6, 7, 7),
            0.45,
            locations=(L.HANDS_LEFT, L.HANDS_RIGHT),
        ),
        Course("tom.brennan", "Tom Brennan", K.DIABETIC, 8, (7, 6, 5), 0.75),
        Course("elena.rossi", "Elena Rossi", K.IDIOPATHIC, 10, (3, 5, 6), 1.0),
        Course("joseph.mensah", "Joseph Mensah", K.DIABETIC, 9, (5, 6, 6), 1.4),
        Course(
            "aiko.tanaka", "Aiko Tanaka", K.CHEMOTHERAPY, 11, (6, 6, 8), 0.85, stopped_days_ago=12
        ),
    ],
}
# A brand-new patient: three entries, first session booked.
NEW_PATIENT = ("lucy.fernandes", "Lucy Fernandes", K.DIABETIC, (5, 6, 4))
# Clinic staff: the Team page, and the admin.
DEMO_STAFF = "demo.staff"
PRACTITIONER_NAMES = {
    "demo.practitioner": "Dr Maya Chen",
    "demo.practitioner2": "Dr Samir Haddad",
}
NOTES = [
    "Walked to the shops without stopping.",
    "Bad night, burning in both feet.",
    "Cramps in my calves this morning.",
    "Could do up my buttons today.",
    "Cold weather, feet worse.",
    "Sharp, stabbing pain after standing a long time.",
    "Slept better after the session.",
    "Twitching in my toes in the evening.",
]


@dataclass(frozen=True)
class ReportedPlan:
    """What one demo patient reports beside the scores (issue 18)."""

    medicines: tuple  # (name, dose, started weeks ago or 0, stopped weeks ago or 0)
    events: dict  # entry index (oldest first; negative from the newest) -> (kind, note)
    sleep: int  # how much pain disturbs their sleep at the start, 0-10
    falls_in_weeks_ago: tuple = ()  # 0: this week's answer
    impressions: tuple = (4,)  # after session 1, 2...; the last repeats
    side_effects: dict = field(default_factory=dict)  # session number -> effects, else none
    # This week's questions not answered yet, so that the next check-in asks them.
    this_week_open: bool = False


X, C = MedicineEventKind.EXTRA_DOSE, MedicineEventKind.CHANGED
REPORTED = {
    "demo.patient": ReportedPlan(
        medicines=(("Pregabalin", "75 mg twice a day", 30, 0), ("Amitriptyline", "10 mg", 40, 6)),
        events={5: (X, ""), 19: (X, ""), 40: (C, "Dose up to 100 mg twice a day"), -6: (X, "")},
        sleep=6,
        impressions=(4, 3, 3, 3, 2, 2),
        side_effects={1: ["soreness"], 4: ["bruise"]},
        # Whoever tries the demo sees the weekly questions at their first check-in.
        this_week_open=True,
    ),
    "ruth.adeyemi": ReportedPlan(
        medicines=(("Duloxetine", "60 mg once a day", 20, 0),),
        events={10: (X, ""), 30: (C, "Started taking it at night")},
        sleep=7,
        impressions=(4, 3, 2, 2, 1),
        side_effects={2: ["bruise", "soreness"]},
    ),
    "george.papadopoulos": ReportedPlan(
        medicines=(("Gabapentin", "300 mg three times a day", 52, 0),),
        events={12: (X, ""), 33: (C, "Stopped the lunchtime dose"), -3: (X, "")},
        sleep=5,
        falls_in_weeks_ago=(0, 4),  # one this week: "Fall since last review"
        impressions=(4,),
        side_effects={3: ["faint"]},
    ),
}


class Command(BaseCommand):
    help = (
        "Create the demo clinic: two practitioners, 13 patients with 8-12 weeks of entries "
        "and weekly sessions. Deterministic and idempotent; refuses to run with debug off "
        "unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DJANGO_DEBUG off.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already holds any patient or practitioner.",
        )

    def handle(self, *args, force=False, if_empty=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Debug is off: this looks like a real clinic. Demo accounts with a published "
                "password must not go there. Use --force if you really mean it."
            )
        if if_empty and (Patient.objects.exists() or Practitioner.objects.exists()):
            self.stdout.write("The database already holds clinic data; demo not added.")
            return
        if User.objects.filter(username="demo.practitioner").exists():
            self.stdout.write("The demo clinic is already there; nothing changed.")
        else:
            with transaction.atomic():
                self.create_clinic(timezone.localtime())
            self.stdout.write(self.style.SUCCESS("Created the demo clinic."))
        device = self.add_demo_devices()
        self.stdout.write(
            f"\nDemo logins (password for both: {DEMO_PASSWORD}):\n"
            "  practitioner  demo.practitioner   (then a 6-digit code: see below)\n"
            "  patient       demo.patient\n"
            f"  clinic staff  {DEMO_STAFF}         (the Team page; then a code too)\n"
            f"\nTwo-step sign-in for demo.practitioner, demo.practitioner2 and {DEMO_STAFF}:\n"
            f"  secret for an authenticator app: {DEMO_TOTP_SECRET}\n"
            f"  otpauth URL: {device.config_url}\n"
            "  or print the current code: DJANGO_DEBUG=1 .venv/bin/python manage.py demo_otp_code\n"
        )

    def add_demo_devices(self):
        """A confirmed authenticator with the published secret for each demo practitioner,
        and for the demo staff member."""
        devices = []
        for username in [*COURSES, DEMO_STAFF]:
            device, _ = TOTPDevice.objects.get_or_create(
                user=User.objects.get(username=username),
                name="demo",
                defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
            )
            devices.append(device)
        return devices[0]

    def create_clinic(self, now):
        # One hash for every demo user: hashing is deliberately slow.
        password = make_password(DEMO_PASSWORD)
        entries, sessions = [], []
        for index, (username, courses) in enumerate(COURSES.items()):
            user = User.objects.create(username=username, password=password)
            practitioner = Practitioner.objects.create(
                user=user, display_name=PRACTITIONER_NAMES[username]
            )
            for number, course in enumerate(courses):
                rng = random.Random(SEED + 100 * index + number)
                patient = self.create_patient(
                    course.username, course.name, course.kind, practitioner, password
                )
                e, s = self.course_rows(rng, patient, course, now)
                entries += e
                sessions += s
            if index == 0:
                entries, sessions = self.add_new_patient(
                    practitioner, password, now, entries, sessions
                )
        # The front desk, to try the Team page (/clinic/team/) without the admin.
        User.objects.create(
            username=DEMO_STAFF, password=password, is_staff=True, first_name="Front desk"
        )
        SymptomEntry.objects.bulk_create(entries, batch_size=1000)
        # Demo entries were "saved" when they were felt, so old ones are read-only.
        SymptomEntry.objects.update(created_at=F("recorded_at"))
        TreatmentSession.objects.bulk_create(sessions)
        for username, plan in REPORTED.items():
            self.add_reported(Patient.objects.get(user__username=username), plan, now)

    def add_reported(self, patient, plan, now):
        """The plan's medicines, their events ticked at check-ins, a weekly answer a
        week, and after each session held an impression of change and side effects."""
        rng = random.Random(f"{SEED}-{patient.user.username}")
        medicines = [
            Medicine.objects.create(
                patient=patient,
                name=name,
                dose=dose,
                started=now.date() - timedelta(weeks=weeks_ago) if weeks_ago else None,
                stopped=now.date() - timedelta(weeks=stopped_ago) if stopped_ago else None,
            )
            for name, dose, weeks_ago, stopped_ago in plan.medicines
        ]
        entries = list(patient.entries.order_by("recorded_at"))
        events = []
        for index, (kind, note) in plan.events.items():
            entry = entries[index]
            events.append(
                MedicineEvent(
                    patient=patient,
                    entry=entry,
                    kind=kind,
                    medicine=medicines[0],
                    note=note,
                    occurred_at=entry.recorded_at,
                )
            )
        MedicineEvent.objects.bulk_create(events)
        weeks = sorted({week_of(e.recorded_at): e.recorded_at for e in entries}.items())
        if plan.this_week_open:
            weeks = [(monday, at) for monday, at in weeks if monday != week_of(now)]
        WeeklyAnswer.objects.bulk_create(
            WeeklyAnswer(
                patient=patient,
                week_of=monday,
                # Sleep improves a little as the weeks go by, as the scores do.
                sleep_interference=max(0, min(10, plan.sleep + rng.randint(-1, 1) - n // 3)),
                fell=len(weeks) - 1 - n in plan.falls_in_weeks_ago,
                answered_at=at,  # the week's last check-in
            )
            for n, (monday, at) in enumerate(weeks)
        )
        held = patient.sessions.held(now).order_by("when")
        impressions, effects = [], []
        for number, session in enumerate(held, 1):
            answered = session.when + timedelta(days=1)
            if answered > now:
                continue
            answer = plan.impressions[min(number, len(plan.impressions)) - 1]
            impressions.append(
                GlobalImpression(
                    patient=patient, session=session, answer=answer, answered_at=answered
                )
            )
            said = plan.side_effects.get(number, ["none"])
            effects.append(
                SideEffectReport(
                    patient=patient, session=session, effects=said, answered_at=answered
                )
            )
        GlobalImpression.objects.bulk_create(impressions)
        SideEffectReport.objects.bulk_create(effects)

    def create_patient(self, username, name, kind, practitioner, password):
        user = User.objects.create(username=username, password=password)
        return Patient.objects.create(
            user=user, display_name=name, neuropathy_kind=kind, practitioner=practitioner
        )

    def add_new_patient(self, practitioner, password, now, entries, sessions):
        username, name, kind, scores = NEW_PATIENT
        patient = self.create_patient(username, name, kind, practitioner, password)
        for days_ago, shift in ((2, 0), (1, 1), (0, -1)):
            at = now - timedelta(days=days_ago, hours=2)
            shifted = (max(0, min(10, s + shift)) for s in scores)
            entries.append(
                SymptomEntry(
                    patient=patient,
                    recorded_at=at,
                    **dict(zip(NAMES, shifted, strict=True)),
                    locations=[L.FEET_LEFT, L.FEET_RIGHT],
                )
            )
        sessions.append(self.session(patient, practitioner, now.date() + timedelta(days=2), 10))
        return entries, sessions

    def session(self, patient, practitioner, day, hour, points="", notes=""):
        when = timezone.make_aware(datetime.combine(day, time(hour, 0)))
        # The demo's past sessions took place; those ahead are booked.
        status = SessionStatus.ATTENDED if when <= timezone.now() else SessionStatus.BOOKED
        return TreatmentSession(
            patient=patient,
            practitioner=practitioner,
            when=when,
            status=status,
            points_used=points,
            notes=notes,
        )

    def course_rows(self, rng, patient, course, now):
        """Entries and sessions for one patient: a week of baseline, then weekly sessions."""
        first_day = now.date() - timedelta(weeks=course.weeks)
        last_logged = now.date() - timedelta(days=course.stopped_days_ago)
        total_days = (now.date() - first_day).days
        entries = []
        day = first_day
        while day <= last_logged:
            progress = (day - first_day).days / total_days
            # Scores drift from the start values towards start * factor after the first week.
            drift = 1.0 if progress < 0.1 else 1 + (course.factor - 1) * (progress - 0.1) / 0.9
            skip = rng.random() < 0.12 and day not in (first_day, last_logged)
            for _ in range(0 if skip else rng.choice((1, 1, 2))):
                hour, minute = rng.randint(8, 20), rng.choice((0, 10, 25, 40, 55))
                at = timezone.make_aware(datetime.combine(day, time(hour, minute)))
                if at > now:
                    at = now - timedelta(minutes=5)
                scores = [
                    max(0, min(10, round(start * drift + rng.gauss(0, 0.8))))
                    for start in course.start
                ]
                note = rng.choice(NOTES) if rng.random() < 0.15 else ""
                entries.append(
                    SymptomEntry(
                        patient=patient,
                        recorded_at=at,
                        **dict(zip(NAMES, scores, strict=True)),
                        locations=list(course.locations),
                        note=note,
                    )
                )
            day += timedelta(days=1)

        sessions = []
        day = first_day + timedelta(days=7)
        number = 1
        while day <= now.date() + timedelta(days=7):
            if day > last_logged and day <= now.date():
                day += timedelta(weeks=1)
                continue  # missed appointments while not logging
            points = rng.choice(("ST36, SP6, LR3, KI3", "Bafeng, ST36, SP6", "LI4, LR3, ST36"))
            notes = f"Session {number}: needles retained 25 min, well tolerated."
            sessions.append(
                self.session(patient, patient.practitioner, day, rng.randint(9, 16), points, notes)
            )
            number += 1
            day += timedelta(weeks=1)
        return entries, sessions
