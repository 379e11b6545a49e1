"""What patients report beside the three scores (issue 18): their medicines and changes
to them, the weekly questions (sleep, falls, overall change), and side effects after a
session.

The answers are stored as given, with the database refusing any out of range. A
question skipped is stored too, with no answer, so that it is not asked again: the
weekly questions come once a week, the session questions once per session.

Imported by tracker/models.py, so the models belong to the tracker app; the foreign
keys name the other models as strings, so this module does not import that one.
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tracker import chart_events as ce
from tracker import mnsi
from tracker.prepared import Prepared

MEDICINE_NAME_MAX_LENGTH = 80
MEDICINE_DOSE_MAX_LENGTH = 80
# "What changed?" with a medicine: a line, as in review notes.
CHANGE_NOTE_MAX_LENGTH = 200
# Side effects are asked about at check-ins in the week after a session.
SIDE_EFFECT_DAYS = 7


class MedicineQuerySet(models.QuerySet):
    def current(self, day):
        """Medicines taken on `day`: not stopped before it."""
        return self.filter(Q(stopped=None) | Q(stopped__gte=day))

    def during(self, first_day=None, last_day=None):
        """Medicines taken on some day from first_day to last_day (None: open ends)."""
        found = self.current(first_day) if first_day else self
        return found.filter(Q(started=None) | Q(started__lte=last_day)) if last_day else found


class Medicine(models.Model):
    """One line of the patient's own medicine list. Stopping one keeps it on the list
    (with the date), so that the chart can still say what changed and when."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("tracker.Patient", models.CASCADE, related_name="medicines")
    name = models.CharField(max_length=MEDICINE_NAME_MAX_LENGTH)
    # As the patient says it: "75 mg twice a day". Text, since doses come in every form.
    dose = models.CharField(max_length=MEDICINE_DOSE_MAX_LENGTH, blank=True)
    started = models.DateField(null=True, blank=True)
    stopped = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MedicineQuerySet.as_manager()

    class Meta:
        ordering = ["name", "created_at"]
        indexes = [models.Index(fields=["patient", "name"])]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="medicine_name_not_blank"),
            models.CheckConstraint(
                condition=Q(started=None) | Q(stopped=None) | Q(stopped__gte=models.F("started")),
                name="medicine_stopped_after_started",
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.dose}".strip()

    def is_current(self, day):
        """The rule of MedicineQuerySet.current(), for one medicine in memory."""
        return self.stopped is None or self.stopped >= day


# The choices' words are message ids (gettext_noop), not lazy: the FHIR and CSV exports
# write them in English; forms and pages translate them when shown.
class MedicineEventKind(models.TextChoices):
    EXTRA_DOSE = "extra_dose", gettext_noop("Extra dose")
    CHANGED = "changed", gettext_noop("Medicine changed")


class MedicineEvent(models.Model):
    """An extra dose or a change of medicine, ticked at a check-in."""

    patient = models.ForeignKey(
        "tracker.Patient", models.CASCADE, related_name="medicine_events", db_index=False
    )
    # The check-in it was ticked at: deleting that entry deletes it too.
    entry = models.ForeignKey(
        "tracker.SymptomEntry", models.CASCADE, related_name="medicine_events"
    )
    kind = models.CharField(max_length=20, choices=MedicineEventKind.choices)
    # Which one, when the patient said (or has only one on their list).
    medicine = models.ForeignKey(
        Medicine, models.SET_NULL, null=True, blank=True, related_name="events"
    )
    note = models.CharField(
        max_length=CHANGE_NOTE_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(CHANGE_NOTE_MAX_LENGTH)],
    )
    # The entry's time: when the patient felt it, which is when it happened.
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at"]
        indexes = [models.Index(fields=["patient", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(fields=["entry", "kind"], name="medicine_event_once_per_entry"),
            models.CheckConstraint(
                condition=Q(kind__in=MedicineEventKind.values), name="medicine_event_kind_known"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


def week_of(moment):
    """The Monday, in clinic time, of the week that `moment` falls in."""
    day = timezone.localdate(moment)
    return day - timedelta(days=day.weekday())


class WeeklyAnswer(models.Model):
    """The weekly questions: how much pain disturbed last night's sleep (0-10), and
    whether the patient fell since last week. Either may be skipped (null)."""

    patient = models.ForeignKey(
        "tracker.Patient", models.CASCADE, related_name="weekly_answers", db_index=False
    )
    week_of = models.DateField(help_text="The Monday of the week, clinic time.")
    sleep_interference = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    fell = models.BooleanField(null=True, blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["week_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "week_of"], name="weekly_answer_once_a_week"
            ),
            models.CheckConstraint(
                condition=Q(sleep_interference__gte=0, sleep_interference__lte=10)
                | Q(sleep_interference=None),
                name="weekly_answer_sleep_0_to_10",
            ),
        ]

    def __str__(self):
        return f"Week of {self.week_of:%Y-%m-%d}"

    @property
    def skipped(self):
        return self.sleep_interference is None and self.fell is None


class MnsiAnswer(models.Model):
    """The MNSI questionnaire (tracker/mnsi.py), asked every mnsi.INTERVAL_DAYS where the
    clinic has turned it on. `answers` holds 15 "Y"/"N" characters; "" when skipped."""

    patient = models.ForeignKey(
        "tracker.Patient", models.CASCADE, related_name="mnsi_answers", db_index=False
    )
    answers = models.CharField(max_length=len(mnsi.ITEMS), blank=True)
    # Computed from the answers when saved (mnsi.score), kept for the tables and exports.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["answered_at"]
        verbose_name = "MNSI questionnaire"
        indexes = [models.Index(fields=["patient", "answered_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(answers="", score=None)
                | Q(
                    answers__regex=rf"^[YN]{{{len(mnsi.ITEMS)}}}$",
                    score__isnull=False,
                    score__lte=mnsi.MAX_SCORE,
                ),
                name="mnsi_answers_complete_and_scored",
            ),
        ]

    def __str__(self):
        return f"MNSI {self.score if self.score is not None else 'skipped'}"

    @classmethod
    def of(cls, patient, answers, now):
        """An unsaved answer: `answers` 15 booleans, or None when skipped."""
        if answers is None:
            return cls(patient=patient, answers="", score=None, answered_at=now)
        return cls(
            patient=patient,
            answers=mnsi.encode(answers),
            score=mnsi.score(answers),
            answered_at=now,
        )

    def yes_no(self):
        """(item, answer) pairs for tables; empty when skipped."""
        return list(zip(mnsi.ITEMS, mnsi.decode(self.answers), strict=False))


class ImpressionOfChange(models.IntegerChoices):
    """The Patient Global Impression of Change: seven answers, from 1 (very much better)
    to 7 (very much worse), as in Farrar et al. 2001 (Pain 94:149-158), after Guy's
    Clinical Global Impression (ECDEU Assessment Manual, 1976, a US government
    publication in the public domain). The words are ours."""

    VERY_MUCH_BETTER = 1, gettext_noop("Very much better")
    MUCH_BETTER = 2, gettext_noop("Much better")
    A_LITTLE_BETTER = 3, gettext_noop("A little better")
    NO_CHANGE = 4, gettext_noop("No change")
    A_LITTLE_WORSE = 5, gettext_noop("A little worse")
    MUCH_WORSE = 6, gettext_noop("Much worse")
    VERY_MUCH_WORSE = 7, gettext_noop("Very much worse")


class GlobalImpression(models.Model):
    """The patient's overall impression of change, asked once for a session they attended."""

    patient = models.ForeignKey(
        "tracker.Patient", models.CASCADE, related_name="global_impressions", db_index=False
    )
    session = models.ForeignKey(
        "tracker.TreatmentSession", models.CASCADE, related_name="global_impressions"
    )
    answer = models.PositiveSmallIntegerField(
        choices=ImpressionOfChange.choices, null=True, blank=True
    )
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["answered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "session"], name="global_impression_once_per_session"
            ),
            models.CheckConstraint(
                condition=Q(answer__gte=1, answer__lte=7) | Q(answer=None),
                name="global_impression_1_to_7",
            ),
        ]

    def __str__(self):
        return f"Impression of change: {self.get_answer_display() or 'skipped'}"


class SideEffect(models.TextChoices):
    NONE = "none", gettext_noop("None")
    BRUISE = "bruise", gettext_noop("A bruise")
    BLEEDING = "bleeding", gettext_noop("Bleeding")
    SORENESS = "soreness", gettext_noop("Soreness")
    FAINT = "faint", gettext_noop("Feeling faint")
    OTHER = "other", gettext_noop("Something else")


class SideEffectReport(models.Model):
    """The answer to "Any side effects since your session?", once per session attended.

    `effects` lists SideEffect values: ["none"], one or more of the others, or [] when
    the patient skipped the question.
    """

    patient = models.ForeignKey(
        "tracker.Patient", models.CASCADE, related_name="side_effect_reports", db_index=False
    )
    session = models.ForeignKey(
        "tracker.TreatmentSession", models.CASCADE, related_name="side_effect_reports"
    )
    effects = models.JSONField(default=list, blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["answered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "session"], name="side_effect_report_once_per_session"
            ),
        ]

    def __str__(self):
        return f"Side effects: {', '.join(self.effects) or 'skipped'}"

    @property
    def had_any(self):
        """Side effects were reported (not "none", not skipped)."""
        return any(effect != SideEffect.NONE for effect in self.effects)

    def labels(self):
        names = dict(SideEffect.choices)
        # The choices' words are message ids (gettext_noop): said in the reader's language.
        return [_(names.get(effect, effect)) for effect in self.effects]


# --- Read for the practitioner's pages and the exports ------------------------------


def _between(queryset, field_name, since, until):
    queryset = queryset.all()
    if since is not None:
        queryset = queryset.filter(**{f"{field_name}__gte": since})
    if until is not None:
        queryset = queryset.filter(**{f"{field_name}__lte": until})
    return queryset


class Reported:
    """What one patient reported from `since` (None: ever) to `until`, in four queries
    however many rows: the medicine events (with their medicines), the weekly answers,
    the impressions of change and the side-effect reports. The sessions' notes are not
    read: the patient's own download uses this too."""

    def __init__(self, patient, since=None, until=None, mnsi=None):
        """mnsi: read the MNSI answers too (one query more); by default where the clinic
        asks it (CLINIC_MNSI). The patient's own download reads them always."""
        read_mnsi = settings.CLINIC_MNSI if mnsi is None else mnsi
        self.mnsi = (
            list(_between(patient.mnsi_answers, "answered_at", since, until)) if read_mnsi else []
        )
        self.medicine_events = list(
            _between(
                patient.medicine_events.select_related("medicine"), "occurred_at", since, until
            )
        )
        self.weekly_answers = list(_between(patient.weekly_answers, "answered_at", since, until))
        self.impressions = list(
            _between(
                patient.global_impressions.select_related("session").defer("session__notes"),
                "answered_at",
                since,
                until,
            )
        )
        self.side_effects = list(
            _between(
                patient.side_effect_reports.select_related("session").defer("session__notes"),
                "answered_at",
                since,
                until,
            )
        )

    def events(self):
        """The reported events as chart_events.Event values, oldest first: extra doses and
        medicine changes, falls, and side-effect reports that name one."""
        found = [
            ce.Event(
                e.occurred_at,
                ce.EXTRA_DOSE if e.kind == MedicineEventKind.EXTRA_DOSE else ce.CHANGED,
                medicine=e.medicine.name if e.medicine else "",
                note=e.note,
            )
            for e in self.medicine_events
        ]
        found += [ce.Event(a.answered_at, ce.FALL) for a in self.weekly_answers if a.fell]
        found += [
            ce.Event(r.answered_at, ce.SIDE_EFFECTS, effects=tuple(r.labels()))
            for r in self.side_effects
            if r.had_any
        ]
        return sorted(found, key=lambda e: e.at)

    def impression_by_session(self):
        """{session pk: the answer in words, or "Skipped"}."""
        return {i.session_id: impression_words(i.answer) for i in self.impressions}


def entry_medicine_events(patient_id, newest, oldest):
    """The medicine events of the patient's entries recorded from oldest to newest."""
    return (
        MedicineEvent.objects.filter(
            patient_id=patient_id,
            entry__recorded_at__lte=newest,
            entry__recorded_at__gte=oldest,
        )
        .order_by("occurred_at", "pk")
        .values_list("entry_id", "kind", "medicine__name", "note")
    )


ENTRY_MEDICINE_EVENTS = Prepared(entry_medicine_events, int, datetime, datetime)


def medicine_events_of_entries(patient, entries):
    """{entry pk: ((kind in words, medicine name or "", note), ...)} for the listed
    entries (newest first), in one query whatever their number."""
    if not entries:
        return {}
    newest, oldest = entries[0].recorded_at, entries[len(entries) - 1].recorded_at
    found = {}
    for entry_id, kind, medicine, note in ENTRY_MEDICINE_EVENTS.rows(patient.pk, newest, oldest):
        # The kinds' words are message ids (MedicineEventKind): said in the reader's language.
        words = _(MedicineEventKind(kind).label)
        found.setdefault(entry_id, []).append((words, medicine or "", note))
    return found


def fell_words(fell):
    """ "yes", "no", or "" for a question skipped."""
    return "" if fell is None else "yes" if fell else "no"


def impression_words(answer):
    """ "Much better" for 2; "Skipped" for a question skipped (None)."""
    return _(ImpressionOfChange(answer).label) if answer is not None else _("Skipped")


def side_effect_words(report):
    """ "A bruise, Soreness", "None", or "Skipped" for a question skipped."""
    return _(", ").join(report.labels()) or _("Skipped")
