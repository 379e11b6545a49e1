import hashlib
import secrets
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import ExpressionWrapper, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest, JSONObject, Length, Lower
from django.db.models.lookups import LessThanOrEqual
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from tracker import reminders, symptoms
from tracker.prepared import Prepared, ids_in
from tracker.scores import (
    FIRST_WEEK_DAYS,
    RECENT_DAYS,
    SEVERE_SCORE,
    Day,
    Reading,
    baseline_for,
    days_start,
)


class NeuropathyKind(models.TextChoices):
    DIABETIC = "diabetic", gettext_lazy("Diabetic")
    CHEMOTHERAPY = "chemotherapy", gettext_lazy("Chemotherapy-induced")
    IDIOPATHIC = "idiopathic", gettext_lazy("Idiopathic (cause unknown)")
    OTHER = "other", pgettext_lazy("a kind of neuropathy", "Other")


class BodyLocation(models.TextChoices):
    FEET_LEFT = "feet_left", gettext_lazy("Left foot")
    FEET_RIGHT = "feet_right", gettext_lazy("Right foot")
    LOWER_LEGS_LEFT = "lower_legs_left", gettext_lazy("Left lower leg")
    LOWER_LEGS_RIGHT = "lower_legs_right", gettext_lazy("Right lower leg")
    HANDS_LEFT = "hands_left", gettext_lazy("Left hand")
    HANDS_RIGHT = "hands_right", gettext_lazy("Right hand")
    ARMS_LEFT = "arms_left", gettext_lazy("Left arm")
    ARMS_RIGHT = "arms_right", gettext_lazy("Right arm")
    OTHER = "other", gettext_lazy("Somewhere else")


NOTE_MAX_LENGTH = 1000
# Review and discharge notes: a line such as "called, booked an earlier session".
NOTE_SHORT_MAX_LENGTH = 200
RECORD_NUMBER_MAX_LENGTH = 30
# How long a patient may edit or delete an entry after saving it.
EDIT_WINDOW = timedelta(hours=24)
EDIT_WINDOW_HOURS = int(EDIT_WINDOW.total_seconds() // 3600)
# The same answers saved again within this time are asked about before a copy is
# stored: Back after saving shows the check-in form again, a fresh token in it and
# the browser's ticks restored, and a second Save would otherwise store them twice.
REPEAT_WINDOW = timedelta(minutes=10)
REPEAT_WINDOW_MINUTES = int(REPEAT_WINDOW.total_seconds() // 60)


class Practitioner(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="practitioner"
    )
    display_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    # Their own choice among settings.LANGUAGES; "" for the clinic's (tracker/languages.py).
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name


class PatientQuerySet(models.QuerySet):
    def with_summary(self, now):
        """Annotate each patient with the moments the worklist needs, in one query.

        first_session_at (the first attended by `now`: the baseline ends there, not at
        a booked one), next_session_at (the next booked one still to come),
        first_awaiting_at (the oldest booked one whose time has passed),
        first_entry_at and last_entry_at, and summary_latest (the last entry's scores,
        as a small JSON object). The figures themselves come from days_in_windows(),
        which these moments bound.

        For "Mark reviewed": the id of the patient's latest FlagReview (review_id; the
        worklist reads those reviews in one query more, only when there are some,
        with what scores.still_reviewed needs: FlagReviewQuerySet.with_last_severe).
        For the "fall since last review" flag: last_fall_at, when the patient last
        answered that they fell (by `now`), and last_reviewed_at, the latest review
        not undone (scores.flags_for compares the two).
        All are subqueries of this one query, each a range of an index on the patient.
        """
        entries = SymptomEntry.objects.filter(patient=OuterRef("pk")).order_by()
        sessions = TreatmentSession.objects.filter(patient=OuterRef("pk")).order_by()
        latest = entries.order_by("-recorded_at")
        # The latest review, undone or not: an undone review brings the flags back,
        # it does not let an older review cover them again.
        review = FlagReview.objects.filter(patient=OuterRef("pk")).order_by("-reviewed_at", "-pk")
        falls = WeeklyAnswer.objects.filter(
            patient=OuterRef("pk"), fell=True, answered_at__lte=now
        ).order_by("-answered_at")
        return self.annotate(
            review_id=Subquery(review.values("pk")[:1]),
            last_reviewed_at=Subquery(review.filter(undone_at=None).values("reviewed_at")[:1]),
            last_fall_at=Subquery(falls.values("answered_at")[:1]),
            first_session_at=Subquery(sessions.held(now).order_by("when").values("when")[:1]),
            next_session_at=Subquery(sessions.booked(now).order_by("when").values("when")[:1]),
            first_awaiting_at=Subquery(
                sessions.awaiting_outcome(now).order_by("when").values("when")[:1]
            ),
            first_entry_at=Subquery(entries.order_by("recorded_at").values("recorded_at")[:1]),
            last_entry_at=Subquery(latest.values("recorded_at")[:1]),
            summary_latest=Subquery(
                latest.values(json=JSONObject(**{s: s for s in symptoms.NAMES}))[:1]
            ),
        )

    def with_clock_changes(self, now):
        """Annotate each patient with the first moment after `now` of an entry, a session
        and a weekly answer (next_entry_after, next_session_after, next_answer_after).

        The worklist's figures count what is dated by now: a row computed at `now`
        holds until the first of these comes due, or a write changes the data. The
        forms date nothing ahead but booked sessions; the others are guards. Each is
        one probe of an index on (patient, moment).
        """
        entries = SymptomEntry.objects.filter(patient=OuterRef("pk"), recorded_at__gt=now)
        sessions = TreatmentSession.objects.filter(patient=OuterRef("pk"), when__gt=now)
        answers = WeeklyAnswer.objects.filter(patient=OuterRef("pk"), answered_at__gt=now)
        return self.annotate(
            next_entry_after=Subquery(entries.order_by("recorded_at").values("recorded_at")[:1]),
            next_session_after=Subquery(sessions.order_by("when").values("when")[:1]),
            next_answer_after=Subquery(answers.order_by("answered_at").values("answered_at")[:1]),
        )

    def reminders_due_candidates(self, now):
        """Patients who may get a check-in reminder, in one query, with last_logged_at.

        The one place that says who may get reminders: reminders on, the account
        active, an email address to send to, the course not finished (discharged).

        last_logged_at is when the newest entry was saved (created_at): the quiet
        stop asks whether the patient used the app since a due time, and an entry
        dated earlier ("Earlier" on /log/) was still saved now. Only entries felt
        in the last REMINDER_LOOKBACK are read (a range of the (patient,
        recorded_at) index): an entry saved after the earliest due time the
        quiet stop compares with is dated at most BACKDATE_LIMIT before it.
        """
        recent = SymptomEntry.objects.filter(
            patient=OuterRef("pk"), recorded_at__gte=now - REMINDER_LOOKBACK
        ).order_by("-created_at")
        return (
            self.exclude(reminder_frequency=reminders.OFF)
            .filter(user__is_active=True, discharged_on=None)
            .exclude(user__email="")
            .select_related("user")
            .annotate(last_logged_at=Subquery(recent.values("created_at")[:1]))
            .order_by("pk")
        )


def summary_query(ids, now):
    """Patient.objects.with_summary(now).with_clock_changes(now) of the patients of `ids`,
    as rows: the patient's fields, then the annotations."""
    queryset = (
        Patient.objects.filter(pk__in=ids_in(ids))
        .with_summary(now)
        .with_clock_changes(now)
        .order_by()
    )
    fields = [f.attname for f in Patient._meta.concrete_fields]
    return queryset.values_list(*fields, *queryset.query.annotation_select)


# Building it through the ORM (a dozen subqueries) cost more than running it: 4.1 ms
# against 1.2 ms on every worklist (issue 21). The ids go as one array (a JSON list on
# SQLite), so the SQL is the same for any number of patients.
SUMMARY = Prepared(summary_query, list, datetime)


def patients_with_summary(ids, now):
    """The patients of `ids` (in no particular order) as model instances with the
    annotations of with_summary(now) and with_clock_changes(now) set, as the ORM would
    give them. tests/test_worklist_cache.py compares them with the ORM's."""
    if not ids:
        return []
    rows = SUMMARY.rows(ids, now)
    names = SUMMARY.names()
    n = len(Patient._meta.concrete_fields)
    found = []
    for row in rows:
        patient = Patient.from_db(connection.alias, names[:n], row[:n])
        for name, value in zip(names[n:], row[n:], strict=True):
            setattr(patient, name, value)
        found.append(patient)
    return found


# How far back reminders_due_candidates reads entries: the two-week search of
# reminders.due_times, a week of backdating (forms.BACKDATE_LIMIT) and a margin.
REMINDER_LOOKBACK = timedelta(days=reminders.SEARCH_DAYS + 7 + 2)


def new_data_version():
    """A Patient.data_version for a new row; the triggers draw the same way (62 bits)."""
    return secrets.randbits(62)


class Patient(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="patient")
    # The only identifier that ever appears in a URL: not guessable, not a count.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=100)
    practitioner = models.ForeignKey(Practitioner, models.PROTECT, related_name="patients")
    # Their own choice among settings.LANGUAGES; "" for the clinic's (tracker/languages.py).
    language = models.CharField(max_length=10, blank=True)
    neuropathy_kind = models.CharField(
        max_length=20, choices=NeuropathyKind.choices, default=NeuropathyKind.OTHER
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Changed by the database on every write to the patient, their entries, sessions,
    # reviews or weekly answers (triggers of migration 0019): a worklist row cached
    # with one version is the row of that data. Random rather than a count, so that a
    # database restored from a backup, or a test's rolled-back one, cannot meet an
    # older row cached under the same number.
    data_version = models.BigIntegerField(default=new_data_version, editable=False)

    # Check-in reminders: the patient's own choice (tracker/reminders.py has the rules).
    # On the patient row, not a table of its own, so that the patient page and the
    # reminders run read it without a query more.
    reminder_frequency = models.CharField(
        max_length=20, choices=reminders.FREQUENCIES, default=reminders.OFF
    )
    reminder_time = models.TimeField(null=True, blank=True)
    reminder_weekdays = models.JSONField(default=list, blank=True)
    # Every 2 days counts from this date; also the day the choice was saved.
    reminder_anchor = models.DateField(null=True, blank=True)
    reminder_chosen_at = models.DateTimeField(null=True, blank=True)
    # The practitioner's suggestion: shown to the patient, never applied without them.
    suggested_frequency = models.CharField(max_length=20, choices=reminders.FREQUENCIES, blank=True)
    suggested_time = models.TimeField(null=True, blank=True)
    suggested_weekdays = models.JSONField(default=list, blank=True)
    suggested_by = models.ForeignKey(
        Practitioner, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    suggested_at = models.DateTimeField(null=True, blank=True)

    # Identity, to tell two patients of the same name apart: for practitioners only,
    # never on the patient's pages or in any e-mail (the patient gets them in
    # their own data download).
    date_of_birth = models.DateField(null=True, blank=True)
    record_number = models.CharField(
        gettext_lazy("clinic record number"), max_length=RECORD_NUMBER_MAX_LENGTH, blank=True
    )

    # A finished course (discharge): no flags, no reminders, off the default
    # worklist. The patient can still sign in, log and download their data.
    discharged_on = models.DateField(null=True, blank=True)
    discharge_note = models.CharField(max_length=NOTE_SHORT_MAX_LENGTH, blank=True)
    discharged_by = models.ForeignKey(
        Practitioner, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["practitioner", "display_name"])]
        constraints = [
            # The clinic's own numbers: one patient each, whatever the case typed.
            # One deployment is one clinic, so unique in the table is unique per clinic.
            models.UniqueConstraint(
                Lower("record_number"),
                condition=~Q(record_number=""),
                name="patient_record_number_unique_ignoring_case",
            )
        ]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("tracker:patient_detail", args=[self.public_id])

    @property
    def is_discharged(self):
        return self.discharged_on is not None

    def identity_line(self):
        """ "b. 3 Mar 1948 · #A1234", or "" when neither is known. For practitioners only."""
        parts = []
        if self.date_of_birth:
            born = date_format(self.date_of_birth, pgettext("a short date", "j M Y"))
            parts.append(_("b. %(day)s") % {"day": born})
        if self.record_number:
            parts.append(f"#{self.record_number}")
        return " \u00b7 ".join(parts)

    def finish_course(self, on, note, practitioner):
        """Discharge: one UPDATE."""
        self.discharged_on, self.discharge_note, self.discharged_by = on, note, practitioner
        self.save(update_fields=DISCHARGE_FIELDS)

    def reopen_course(self):
        """Undo a discharge: everything (flags, reminders, the worklist) comes back."""
        self.discharged_on, self.discharge_note, self.discharged_by = None, "", None
        self.save(update_fields=DISCHARGE_FIELDS)

    @property
    def summary_latest_scores(self):
        """{symptom: score} of the last entry, from with_summary(); None without one."""
        figures = self.summary_latest or {}
        return {s: figures.get(s) for s in symptoms.NAMES}

    def reminder_schedule(self):
        return reminders.Schedule(
            self.reminder_frequency,
            self.reminder_time,
            frozenset(self.reminder_weekdays),
            self.reminder_anchor,
        )

    def suggested_schedule(self):
        """The practitioner's suggestion as a Schedule, or None if there is none."""
        if not self.suggested_frequency:
            return None
        # Every 2 days would count from the day the patient takes it up (choose_reminders).
        return reminders.Schedule(
            self.suggested_frequency,
            self.suggested_time,
            frozenset(self.suggested_weekdays),
            timezone.localdate(self.suggested_at) if self.suggested_at else None,
        )

    def choose_reminders(self, frequency, at, weekdays, now):
        """Save the patient's own choice (one UPDATE). Every 2 days counts from today."""
        on = frequency != reminders.OFF
        self.reminder_frequency = frequency
        self.reminder_time = at if on else None
        self.reminder_weekdays = sorted(weekdays) if frequency == reminders.WEEKDAYS else []
        self.reminder_anchor = timezone.localdate(now)
        self.reminder_chosen_at = now
        self.save(update_fields=REMINDER_FIELDS)

    def suggest_reminders(self, frequency, at, weekdays, practitioner, now):
        """Save a practitioner's suggestion (one UPDATE); the patient's choice stays."""
        on = frequency != reminders.OFF
        self.suggested_frequency = frequency
        self.suggested_time = at if on else None
        self.suggested_weekdays = sorted(weekdays) if frequency == reminders.WEEKDAYS else []
        self.suggested_by = practitioner
        self.suggested_at = now
        self.save(update_fields=SUGGESTION_FIELDS)

    def first_session_held(self, now):
        """When the first session attended by `now` took place, or None (one query)."""
        return self.sessions.held(now).order_by("when").values_list("when", flat=True).first()

    def baseline(self, first_session_at, now):
        """(baseline or None, when logging began or None) as of `now`, in one query.

        Reads only the entries a baseline can draw on, however long the history:
        from the first entry to the first session held or the end of the first week
        of logging, whichever is later, up to `now`; scores.baseline_for keeps those
        its rule takes.
        (Sums from the database would send less, but building that query costs Django
        more than reading these few rows.)
        """
        if first_session_at is None:
            rows = FIRST_WEEK_READINGS.rows(self.pk, now)
        else:
            rows = READINGS_TO_SESSION.rows(self.pk, first_session_at, now)
        return baseline_and_start(readings_from(rows), first_session_at)

    def course_readings(self, first_session_at, since, now):
        """(readings from `since` on, baseline, when logging began) as of `now`: the
        readings from `since` (None: all of them, in one query) and, for the baseline,
        those of its window (baseline(), a second query). Two ranges of the (patient,
        recorded_at) index: the cost follows the period shown, not the course's length."""
        if since is None:
            readings = readings_from(ALL_READINGS.rows(self.pk, now))
            return readings, *baseline_and_start(readings, first_session_at)
        baseline, first_at = self.baseline(first_session_at, now)
        return readings_from(READINGS_SINCE.rows(self.pk, since, now)), baseline, first_at

    def baseline_as_of(self, now):
        """baseline(first_session_held(now), now)[0] in one query instead of two: the
        first session held comes as a column of the window's rows, where it also ends
        the window. (A check-in's message needs no more; the pages have the sessions.)"""
        rows = BASELINE_AS_OF.rows(self.pk, now)
        held_at = rows[0][-1] if rows else None
        return baseline_and_start(readings_from(row[:-1] for row in rows), held_at)[0]


def baseline_and_start(readings, first_session_at):
    """(baseline, when logging began) from readings (oldest first) that hold at least the
    baseline window's; scores.baseline_for keeps those its rule takes."""
    first_at = readings[0].at if readings else None
    return baseline_for(readings, first_session_at, timezone.get_current_timezone()), first_at


def baseline_as_of_query(patient_id, now):
    """The baseline window's readings as of now, each with the first session held by then."""
    first_held = Subquery(
        TreatmentSession.objects.filter(patient_id=patient_id)
        .held(now)
        .order_by("when")
        .values("when")[:1]
    )
    window_end = baseline_window_end(patient_id, first_held)
    return (
        SymptomEntry.objects.filter(
            patient_id=patient_id, recorded_at__lt=window_end, recorded_at__lte=now
        )
        .order_by("recorded_at")
        .values_list("recorded_at", "entered_by_id", *symptoms.NAMES, first_held)
    )


BASELINE_AS_OF = Prepared(baseline_as_of_query, int, datetime)


def baseline_window_end(patient_id, first_session_at=None):
    """Where the entries a baseline can draw on end, as SQL: the end of the first week
    of logging or the first session held, whichever is later. first_session_at: a
    moment, an expression (a subquery that finds it), or None for no session held."""
    week_end = first_week_end(patient_id)
    if first_session_at is None:
        return week_end
    held = first_session_at
    if not hasattr(held, "resolve_expression"):
        held = models.Value(held, output_field=models.DateTimeField())
    # SQLite's GREATEST is NULL when any argument is: a subquery that finds no session.
    return Greatest(week_end, Coalesce(held, week_end))


def first_week_end(patient_id):
    """The end of the patient's first week of logging, as SQL."""
    first_entry = SymptomEntry.objects.filter(patient_id=patient_id).order_by("recorded_at")
    return ExpressionWrapper(
        Subquery(first_entry.values("recorded_at")[:1]) + timedelta(days=FIRST_WEEK_DAYS),
        output_field=models.DateTimeField(),
    )


def readings_query(patient_id, now, since=None):
    """A patient's readings up to now, from `since` on (None: all of them)."""
    entries = SymptomEntry.objects.filter(patient_id=patient_id, recorded_at__lte=now)
    if since is not None:
        entries = entries.filter(recorded_at__gte=since)
    return entries.order_by("recorded_at").values_list(*READING_FIELDS)


def baseline_window_query(patient_id, now, first_session_at=None):
    """The readings a baseline can draw on, up to now (Patient.baseline's query)."""
    window_end = baseline_window_end(patient_id, first_session_at)
    return (
        SymptomEntry.objects.filter(
            patient_id=patient_id, recorded_at__lt=window_end, recorded_at__lte=now
        )
        .order_by("recorded_at")
        .values_list(*READING_FIELDS)
    )


# One for each shape of a query: None changes the SQL (see tracker/prepared.py).
ALL_READINGS = Prepared(readings_query, int, datetime)
READINGS_SINCE = Prepared(
    lambda patient_id, since, now: readings_query(patient_id, now, since), int, datetime, datetime
)
FIRST_WEEK_READINGS = Prepared(baseline_window_query, int, datetime)
READINGS_TO_SESSION = Prepared(
    lambda patient_id, held, now: baseline_window_query(patient_id, now, held),
    int,
    datetime,
    datetime,
)


REMINDER_FIELDS = [
    "reminder_frequency",
    "reminder_time",
    "reminder_weekdays",
    "reminder_anchor",
    "reminder_chosen_at",
]
DISCHARGE_FIELDS = ["discharged_on", "discharge_note", "discharged_by"]
SUGGESTION_FIELDS = [
    "suggested_frequency",
    "suggested_time",
    "suggested_weekdays",
    "suggested_by",
    "suggested_at",
]


class SessionStatus(models.TextChoices):
    BOOKED = "booked", gettext_lazy("Booked")
    ATTENDED = "attended", gettext_lazy("Attended")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")
    DID_NOT_ATTEND = "did_not_attend", gettext_lazy("Did not attend")


# What a practitioner may record for a booked session whose time has passed.
OUTCOMES = [SessionStatus.ATTENDED, SessionStatus.CANCELLED, SessionStatus.DID_NOT_ATTEND]


class FlagReviewQuerySet(models.QuerySet):
    def with_last_severe(self, now):
        """Annotate each review with last_severe_saved_at: when the newest entry of its
        patient's recent days with a severe score was saved, for scores.still_reviewed.

        A subquery of the reviews' own query rather than of with_summary: only a
        worklist with reviews on it pays for building it.
        """
        # Only the recent days can raise "severe"; their start is the one rows_for uses.
        recent_start = days_start(now, timezone.get_current_timezone(), RECENT_DAYS)
        severe = SymptomEntry.objects.filter(
            Q(*(Q(**{f"{s}__gte": SEVERE_SCORE}) for s in symptoms.NAMES), _connector=Q.OR),
            patient=OuterRef("patient_id"),
            recorded_at__gte=recent_start,
            recorded_at__lte=now,
        ).order_by("-created_at")
        return self.annotate(last_severe_saved_at=Subquery(severe.values("created_at")[:1]))


class FlagReview(models.Model):
    """A practitioner's "Mark reviewed" of a flagged patient.

    The row leaves "needs attention" while scores.still_reviewed says the review
    covers the flags raised now. For practitioners only: no patient page reads it.
    Undone reviews are kept (undone_at), as the audit trail keeps the undo.
    """

    patient = models.ForeignKey(Patient, models.CASCADE, related_name="flag_reviews")
    reviewer = models.ForeignKey(Practitioner, models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    note = models.CharField(max_length=NOTE_SHORT_MAX_LENGTH, blank=True)
    # The names of the flags raised when it was reviewed (scores.FLAG_NAMES).
    flags = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = FlagReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [models.Index(fields=["patient", "reviewed_at"])]

    def __str__(self):
        return f"Review of {self.patient} at {self.reviewed_at:%Y-%m-%d %H:%M}"

    def can_undo(self, now):
        """Undo is for a slip: the same clinic-local day only, and once."""
        return self.undone_at is None and undo_allowed(self.reviewed_at, now)


def undo_allowed(reviewed_at, now):
    """A review can be undone until the end of its clinic-local day."""
    return timezone.localdate(reviewed_at) == timezone.localdate(now)


class TreatmentSessionQuerySet(models.QuerySet):
    def held(self, now):
        """Sessions that treated the patient by `now`: the attended ones.

        Only these are drawn on charts, start intervals and end the baseline. An
        attended session is never in the future (the form refuses it), and the time
        bound keeps a report for a past period to the sessions held by its end.
        TreatmentSession.is_held() is the same rule for one session in memory.
        """
        return self.filter(status=SessionStatus.ATTENDED, when__lte=now)

    def booked(self, now):
        """Booked sessions still to come."""
        return self.filter(status=SessionStatus.BOOKED, when__gt=now)

    def awaiting_outcome(self, now):
        """Booked sessions whose time has passed: the practitioner must say what happened."""
        return self.filter(status=SessionStatus.BOOKED, when__lte=now)


class TreatmentSession(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="sessions")
    practitioner = models.ForeignKey(Practitioner, models.PROTECT, related_name="sessions")
    when = models.DateTimeField()
    # A new session is booked until the practitioner records what happened.
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.BOOKED
    )
    points_used = models.TextField(blank=True)
    # Clinical notes are for practitioners only; never render them on patient pages.
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TreatmentSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-when"]
        indexes = [
            models.Index(fields=["patient", "when"]),
            # Booked sessions are few beside the attended ones: the worklist's "Sessions
            # to record" and "Next session" read them alone.
            models.Index(
                fields=["patient", "when"],
                condition=Q(status=SessionStatus.BOOKED),
                name="tracker_session_booked_idx",
            ),
        ]

    def __str__(self):
        return f"Session for {self.patient} at {self.when:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("tracker:edit_session", args=[self.public_id])

    def is_held(self, now):
        """The rule of TreatmentSessionQuerySet.held(), for a session in memory."""
        return self.status == SessionStatus.ATTENDED and self.when <= now

    def is_upcoming(self, now):
        """The rule of TreatmentSessionQuerySet.booked()."""
        return self.status == SessionStatus.BOOKED and self.when > now

    def is_awaiting_outcome(self, now):
        """The rule of TreatmentSessionQuerySet.awaiting_outcome()."""
        return self.status == SessionStatus.BOOKED and self.when <= now

    def record_outcome(self, status, now):
        """Say what happened at a booked session whose time has passed (one UPDATE).

        Returns False, changing nothing, when the session is not awaiting an outcome
        (any more): the row is only changed if it still is, so two clicks at once
        (two tabs, a double tap) cannot both record one.
        """
        if status not in OUTCOMES:
            raise ValueError(f"Not an outcome: {status!r}")
        changed = (
            TreatmentSession.objects.filter(pk=self.pk).awaiting_outcome(now).update(status=status)
        )
        if changed:
            self.status = status
        return bool(changed)

    def clinic_entry_or_none(self):
        """The entry of scores taken at this session, or None."""
        try:
            return self.clinic_entry
        except SymptomEntry.DoesNotExist:
            return None

    def save_clinic_scores(self, scores, practitioner):
        """Create or update the entry of scores taken at this session: (entry, created).

        scores: {symptom: 0-10} for every symptom (the form has checked them). The
        entry is dated at the session and follows it when its time changes. Call it
        inside the transaction that saves the session and its audit rows.
        """
        entry = self.clinic_entry_or_none()
        created = entry is None
        if created:
            entry = SymptomEntry(patient=self.patient, session=self)
        entry.recorded_at = self.when
        entry.entered_by = practitioner
        for name in symptoms.NAMES:
            setattr(entry, name, scores[name])
        entry.save()
        return entry, created


SCORE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(10)]


class SymptomEntry(models.Model):
    # No index of its own: the (patient, recorded_at) index below serves lookups by
    # patient, and a second, smaller one tempts PostgreSQL to scan a patient's whole
    # history instead of the time range the worklist asks for.
    patient = models.ForeignKey(Patient, models.CASCADE, related_name="entries", db_index=False)
    recorded_at = models.DateTimeField(help_text=gettext_lazy("When the patient felt it."))
    # The validators check in Python what the check constraints below check in the
    # database; see validate_constraints().
    pain = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    numbness = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    tingling = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    # A list of BodyLocation values; JSON keeps one row per entry and needs no join.
    locations = models.JSONField(default=list, blank=True)
    note = models.TextField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[MaxLengthValidator(NOTE_MAX_LENGTH)]
    )
    # Used in URLs instead of the integer key. The check-in form sends it as a
    # one-time token: a double tap or a resent form carries the same value, and
    # the unique constraint stops the second row.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Scores the patient stated at a session, entered by the practitioner ("in clinic").
    # The patient may not change them (is_editable); they count like any other entry.
    entered_by = models.ForeignKey(
        Practitioner, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # One entry per session at most (unique): editing the session updates it.
    session = models.OneToOneField(
        "TreatmentSession",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="clinic_entry",
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name_plural = gettext_lazy("symptom entries")
        indexes = [models.Index(fields=["patient", "recorded_at"])]
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0, f"{name}__lte": 10}),
                    name=f"symptomentry_{name}_0_to_10",
                )
                for name in symptoms.NAMES
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("note"), NOTE_MAX_LENGTH),
                name="symptomentry_note_max_length",
            ),
        ]

    def __str__(self):
        return f"{self.patient}: {self.recorded_at:%Y-%m-%d %H:%M}"

    def validate_constraints(self, exclude=None):
        # Django checks each check constraint with a SELECT of its own. The field
        # validators have already checked the same ranges in Python, and the database
        # enforces the constraints on every write, so only the others are checked here.
        super().validate_constraints(exclude={*(exclude or ()), *symptoms.NAMES, "note"})

    @property
    def in_clinic(self):
        """Entered by a practitioner at a session, as the patient stated the scores."""
        return self.entered_by_id is not None

    def is_editable(self, now):
        """Patients may fix their own entry for EDIT_WINDOW after saving it.

        An entry taken in clinic is the practitioner's record of what the patient
        said: only the practitioner changes it, on the session form.
        """
        return not self.in_clinic and now - self.created_at < EDIT_WINDOW

    def scores(self):
        """(symptom, score) pairs in the order of symptoms.SYMPTOMS, for templates."""
        return list(zip(symptoms.SYMPTOMS, self.score_values(), strict=True))

    def score_values(self):
        """The scores in the order of symptoms.NAMES, as a tuple."""
        return tuple(getattr(self, name) for name in symptoms.NAMES)

    def location_labels(self):
        labels = dict(BodyLocation.choices)
        return [str(labels.get(value, value)) for value in self.locations]

    def answers(self):
        """What the patient answered: the scores, the places (in any order) and the note."""
        return self.score_values(), frozenset(self.locations), self.note

    def same_answers_saved_before(self, now):
        """The patient's own check-in with the same answers, for about the same moment,
        saved in the REPEAT_WINDOW before now; None if there is none. One query, on the
        (patient, recorded_at) index.

        Entries taken in clinic do not count: the patient did not save those.
        """
        recent = SAVED_IN_REPEAT_WINDOW.rows(
            self.patient_id,
            self.recorded_at - REPEAT_WINDOW,
            self.recorded_at + REPEAT_WINDOW,
            now - REPEAT_WINDOW,
            self.public_id,
        )
        for row in recent:
            saved = SymptomEntry(
                created_at=row[0], **dict(zip(ANSWER_FIELDS, row[1:], strict=True))
            )
            if saved.answers() == self.answers():
                return saved
        return None


# What same_answers_saved_before compares, after created_at, in the order answers() gives.
ANSWER_FIELDS = [*symptoms.NAMES, "locations", "note"]


def saved_in_repeat_window(patient_id, start, end, saved_after, other_than):
    """The patient's own check-ins for [start, end] saved after saved_after, newest first."""
    return (
        SymptomEntry.objects.filter(
            patient_id=patient_id,
            recorded_at__range=(start, end),
            created_at__gt=saved_after,
            entered_by=None,
        )
        .exclude(public_id=other_than)
        .order_by("-created_at")
        .values_list("created_at", *ANSWER_FIELDS)
    )


SAVED_IN_REPEAT_WINDOW = Prepared(
    saved_in_repeat_window, int, datetime, datetime, datetime, uuid.UUID
)


def days_in_windows(windows, tz):
    """Daily means of each window's entries, in one query: {(patient_id, tag): [Day]}.

    windows: (patient_id, tag, start, end) with start <= recorded_at < end; the tag
    is any short text that names the window. Days are calendar days in `tz`. The
    means are the same quotients as scores.daily_means() works out, so both paths
    give the same figures to the last bit. Each window is one range of the
    (patient, recorded_at) index, whatever the length of the history.
    """
    windows = list(windows)
    if not windows:
        return {}
    ops = connection.ops
    day, day_params = ops.datetime_cast_date_sql("e.recorded_at", (), str(tz))
    names = symptoms.NAMES
    # A double divided by a count: the same correctly rounded quotient as Python's
    # sum / len of the integers, so both paths agree to the last bit.
    means = ", ".join(f"CAST(SUM(e.{name}) AS DOUBLE PRECISION) / COUNT(*)" for name in names)
    peaks = ", ".join(f"MAX(e.{name})" for name in names)
    tags = list(dict.fromkeys(tag for _, tag, _, _ in windows))
    number = {tag: i for i, tag in enumerate(tags)}
    # Patient keys and tag numbers are integers of our own, written into the text:
    # half the parameters, which psycopg would otherwise quote one by one. The
    # moments go as parameters.
    rows = ", ".join(
        f"({int(patient_id)}, {number[tag]}, %s, %s)" for patient_id, tag, _, _ in windows
    )
    sql = (
        f"WITH w (patient_id, tag, lo, hi) AS (VALUES {rows}) "
        f"SELECT w.patient_id, w.tag, {day}, COUNT(*), {means}, {peaks} "
        f"FROM w JOIN {SymptomEntry._meta.db_table} e ON e.patient_id = w.patient_id "
        f"AND e.recorded_at >= w.lo AND e.recorded_at < w.hi "
        f"GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    adapt = ops.adapt_datetimefield_value
    params = [value for _, _, start, end in windows for value in (adapt(start), adapt(end))]
    found = {}
    n = len(names)
    peaks_at = 4 + n
    with connection.cursor() as cursor:
        # The VALUES come first in the text, then the day in the SELECT list.
        cursor.execute(sql, [*params, *day_params])
        for row in cursor.fetchall():
            on = row[2]
            if isinstance(on, str):  # SQLite
                on = date.fromisoformat(on)
            found.setdefault((row[0], tags[row[1]]), []).append(
                Day(on, row[4:peaks_at], row[peaks_at:], row[3])
            )
    return found


# A reading's columns, as readings_from() takes them.
READING_FIELDS = ["recorded_at", "entered_by_id", *symptoms.NAMES]


def readings_of(entries):
    """Entries (a queryset) as scores.Reading values, oldest first, in one query."""
    return readings_from(entries.order_by("recorded_at").values_list(*READING_FIELDS))


def readings_from(rows):
    """Rows of READING_FIELDS as scores.Reading values."""
    return [Reading(row[0], row[2:], in_clinic=row[1] is not None) for row in rows]


class InvitationPurpose(models.TextChoices):
    # A new patient chooses a first password (refused once the account has one).
    JOIN = "join", pgettext_lazy("an invitation's purpose", "Join")
    # A patient at the desk who forgot the password chooses a new one.
    RESET = "reset", gettext_lazy("New password")


class InvitationChannel(models.TextChoices):
    EMAIL = "email", gettext_lazy("E-mail")
    SHEET = "sheet", gettext_lazy("Printed sheet")


# Sheet codes are typed from paper: no 0/O, 1/I/L or U/V to mix up. Twelve of these
# 29 characters hold about 58 bits, far too many to guess within a week.
SHEET_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
SHEET_CODE_LENGTH = 12


def sheet_code_typed(text):
    """A sheet code as typed (any case, spaces or dashes), in its stored form; or None."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) == SHEET_CODE_LENGTH and all(c in SHEET_CODE_ALPHABET for c in code):
        return code
    return None


def grouped(code):
    """K7QM4XPD9TNC as K7QM-4XPD-9TNC: easier to read out and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class Invitation(models.Model):
    """A single-use link that lets a patient, or a new member of the clinic's team,
    choose a password.

    Sent by e-mail (a long token in the link) or printed on a sign-in sheet (a
    short code that can be typed, and its QR code). A JOIN link is for a first
    password; a RESET sheet lets a patient who forgot the password choose a new
    one at the desk. Only a hash of the token is stored: a copy of the database
    does not let anyone sign up as the patient.

    It is for exactly one of: a patient (issued by their practitioner), or an
    account of the team, a practitioner or staff member (`account`, issued by
    staff on the Team page, tracker/views/staff.py, so `created_by` is empty).
    The account's role comes from the account itself (its Practitioner profile,
    or is_staff), made when it was invited.
    """

    VALID_FOR = timedelta(days=7)

    patient = models.ForeignKey(
        Patient, models.CASCADE, related_name="invitations", null=True, blank=True
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="team_invitations",
        null=True,
        blank=True,
    )
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(
        max_length=10, choices=InvitationPurpose.choices, default=InvitationPurpose.JOIN
    )
    channel = models.CharField(
        max_length=10, choices=InvitationChannel.choices, default=InvitationChannel.EMAIL
    )
    # The patient's practitioner; empty for a team invitation (the audit trail names the
    # staff member who sent it).
    created_by = models.ForeignKey(
        Practitioner, models.PROTECT, related_name="invitations", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer invitation replaces this one, or when the patient's account
    # gets a usable password some other way (revoke_after_new_password below).
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(patient__isnull=False, account__isnull=True)
                | Q(patient__isnull=True, account__isnull=False),
                name="invitation_for_a_patient_or_an_account",
            )
        ]

    def __str__(self):
        return f"Invitation for {self.patient or self.account}"

    @property
    def user(self):
        """The account whose password the invitation lets someone choose."""
        return self.patient.user if self.patient_id else self.account

    @staticmethod
    def hash(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def find(cls, token):
        """The invitation for a token from a link or typed from a sheet, or None."""
        code = sheet_code_typed(token)
        hashed = cls.hash(code if code else token)
        invitations = cls.objects.select_related("patient__user", "account__practitioner")
        return invitations.filter(token_hash=hashed).first()

    @classmethod
    def revoke_open(cls, now, *where, **which):
        """Revoke the open (unused, not yet revoked) invitations that match `where`/`which`."""
        open_ones = cls.objects.filter(*where, used_at=None, revoked_at=None, **which)
        return open_ones.update(revoked_at=now)

    @classmethod
    def issue(cls, patient, practitioner, now, channel=InvitationChannel.EMAIL):
        """Revoke the patient's open invitations and make a new one. Returns (invitation, token).

        The purpose follows the account: a first password if it has none, a new
        one if it has. A sheet's token is a short code (SHEET_CODE_ALPHABET).
        """
        cls.revoke_open(now, patient=patient)
        return cls._create(now, channel, patient.user, patient=patient, created_by=practitioner)

    @classmethod
    def issue_for_account(cls, account, now, channel=InvitationChannel.EMAIL):
        """The same for a practitioner's or staff member's account (the Team page)."""
        cls.revoke_open(now, account=account)
        return cls._create(now, channel, account, account=account)

    @classmethod
    def _create(cls, now, channel, user, **target):
        if channel == InvitationChannel.SHEET:
            token = "".join(secrets.choice(SHEET_CODE_ALPHABET) for _ in range(SHEET_CODE_LENGTH))
        else:
            token = secrets.token_urlsafe(32)
        has_password = user.has_usable_password()
        invitation = cls.objects.create(
            token_hash=cls.hash(token),
            purpose=InvitationPurpose.RESET if has_password else InvitationPurpose.JOIN,
            channel=channel,
            expires_at=now + cls.VALID_FOR,
            **target,
        )
        return invitation, token

    def state(self, now):
        """'used', 'revoked', 'expired' or 'valid'."""
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "valid"


# An invitation lets whoever holds the link choose the account's password. Once the
# account has a usable password by any other way (staff in the admin, set_password()
# and save() in a script or shell, the patient's own password change), an open link
# would let the holder of an old email replace that password and sign in: so any save
# that gives the user a usable password they did not have revokes their open links.
# The hash is compared with the stored one because a password can be assigned without
# set_password(). A write that sends no signal (a queryset update, SQL) is caught when
# the link is opened: accept_invitation refuses an account that has a password.


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="relief_invitation_password")
def note_new_password(sender, instance, update_fields=None, raw=False, **kwargs):
    """Mark a user being saved with a usable password that differs from the stored one."""
    instance._relief_new_password = False
    if raw or instance.pk is None or not instance.has_usable_password():
        return  # fixtures; a new user has no invitation yet; no password to sign in with
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. the last_login update at every sign-in: no query
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._relief_new_password = stored != instance.password


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="relief_invitation_revoke")
def revoke_after_new_password(sender, instance, **kwargs):
    if getattr(instance, "_relief_new_password", False):
        instance._relief_new_password = False
        Invitation.revoke_open(timezone.now(), Q(patient__user=instance) | Q(account=instance))


class CareTeamMember(models.Model):
    """A practitioner who shares a patient's care with the responsible one (Patient.practitioner).

    Cover during leave, or a second practitioner at the clinic: a member sees and
    works with the patient as the responsible practitioner does (tracker/access.py),
    but only the responsible practitioner, or staff in the admin, changes the team.
    """

    patient = models.ForeignKey(Patient, models.CASCADE, related_name="care_team")
    practitioner = models.ForeignKey(Practitioner, models.CASCADE, related_name="care_of")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["practitioner__display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "practitioner"], name="careteammember_once_per_patient"
            )
        ]
        # Who a practitioner covers: the worklist's and every page's access check.
        indexes = [models.Index(fields=["practitioner", "patient"])]

    def __str__(self):
        return f"{self.practitioner} in the care of {self.patient}"


class Reminder(models.Model):
    """One check-in reminder for one due time: the claim, then the record that it went.

    The unique constraint on (patient, due_at) decides which run sends it: a run
    inserts its claims with ON CONFLICT DO NOTHING and sends only the rows it
    inserted (marked with its run id), so two runs at once never send twice.
    """

    patient = models.ForeignKey(Patient, models.CASCADE, related_name="reminders")
    due_at = models.DateTimeField()
    # None: released after a failed send, free for the next run to claim.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The run that holds the claim (tracker/reminder_mail.py).
    run = models.UUIDField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "due_at"], name="reminder_once_per_due_time")
        ]

    def __str__(self):
        return f"Reminder for {self.patient} due {self.due_at:%Y-%m-%d %H:%M}"


class AuditAction(models.TextChoices):
    VIEW = "view", gettext_lazy("Viewed")
    CREATE = "create", gettext_lazy("Created")
    UPDATE = "update", gettext_lazy("Updated")
    DELETE = "delete", gettext_lazy("Deleted")
    EXPORT = "export", gettext_lazy("Exported")
    LOGIN = "login", gettext_lazy("Signed in")
    LOGIN_FAILED = "login_failed", gettext_lazy("Failed sign-in")
    LOGOUT = "logout", gettext_lazy("Signed out")
    DENIED = "denied", gettext_lazy("Denied")


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One read or write of a patient's health data, or a sign-in: who, when, from where, what.

    A small model rather than django-auditlog: our events are domain actions
    ("viewed the worklist", "exported the CSV", "denied"), not field-by-field
    diffs of saved models; each row must be written inside the transaction of
    the change it records (tracker/audit.py); and on PostgreSQL a trigger
    (migration 0003) refuses UPDATE and DELETE on the table, so the record is
    append-only below the ORM as well as in it.

    Nothing here is a foreign key: a row keeps the username and the patient's
    public id as they were, and stays unchanged when a user or patient is removed.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=150, help_text=gettext_lazy('Username, or "anonymous".'))
    actor_role = models.CharField(max_length=20, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    patient_public_id = models.UUIDField(null=True, blank=True)
    object_type = models.CharField(max_length=20, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The path only: query strings can hold search terms such as a patient's name.
    path = models.CharField(max_length=255, blank=True)
    detail = models.CharField(max_length=255, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["patient_public_id", "at"]),
            models.Index(fields=["action", "at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")


class UserSession(models.Model):
    """One signed-in session of a user, so that all of them can be ended at once.

    Django's session table cannot be searched by user. A row is written at
    sign-in (and again when the session key changes); signing out, a password
    change and deactivation end every session listed here (tracker/security.py).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Session of user {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


# A patient's request to be erased (issue 19): its own module, a model of this app.
from tracker.deletion import DeletionRequest, DeletionStatus  # noqa: E402, F401

# What patients report beside the scores (issue 18): their own module, models of this app.
from tracker.reported import (  # noqa: E402, F401
    GlobalImpression,
    ImpressionOfChange,
    Medicine,
    MedicineEvent,
    MedicineEventKind,
    MnsiAnswer,
    SideEffect,
    SideEffectReport,
    WeeklyAnswer,
)
