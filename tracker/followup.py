"""The questions that follow a check-in (issue 18): which are due, and storing the answers.

After Save, a patient may be asked, on a page of its own so that the check-in itself
stays short and is already stored:
- once a week: sleep last night and any fall since last week, and, when they attended a
  session in the last IMPRESSION_DAYS they have not rated yet, their impression of change;
- after a session they attended (in the week after it, until answered or skipped):
  any side effects;
- for each medicine change or extra dose just ticked: which medicine, when their list has
  more than one, and for a change what changed.
- every mnsi.INTERVAL_DAYS, where the clinic turned it on (CLINIC_MNSI): the MNSI.
Every question may be left unanswered; "Skip" stores that the patient was asked, so
that the same question does not come back.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tracker import mnsi
from tracker.models import (
    GlobalImpression,
    MedicineEvent,
    MedicineEventKind,
    MnsiAnswer,
    SideEffect,
    SideEffectReport,
    TreatmentSession,
    WeeklyAnswer,
)
from tracker.prepared import Prepared
from tracker.reported import SIDE_EFFECT_DAYS, week_of

# The impression of change is asked about a session attended in the last four weeks.
IMPRESSION_DAYS = 28


@dataclass
class Due:
    """What to ask a patient now. Falsy when there is nothing to ask."""

    week: date | None = None  # the weekly questions, for the week starting then
    impression_session: TreatmentSession | None = None
    side_effect_session: TreatmentSession | None = None
    # Events of the check-in to ask "which medicine?" or "what changed?" about.
    medicine_events: list = field(default_factory=list)
    medicines: list = field(default_factory=list)  # the current ones to choose from
    mnsi: bool = False  # the MNSI questionnaire, where the clinic turned it on

    def __bool__(self):
        return bool(
            self.week
            or self.impression_session
            or self.side_effect_session
            or self.medicine_events
            or self.mnsi
        )


def record_medicine_events(entry, kinds):
    """Store the extra dose or change ticked at a check-in (inside its transaction).

    With exactly one medicine on the list, the event names it; with more the follow-up
    page asks which.
    """
    if not kinds:
        return []
    day = timezone.localdate(entry.recorded_at)
    current = list(entry.patient.medicines.current(day)[:2])
    only = current[0] if len(current) == 1 else None
    return MedicineEvent.objects.bulk_create(
        MedicineEvent(
            patient=entry.patient,
            entry=entry,
            kind=kind,
            medicine=only,
            occurred_at=entry.recorded_at,
        )
        for kind in kinds
    )


# Whether the patient answered the weekly questions of a week (a row, or none).
WEEK_ANSWERED = Prepared(
    lambda patient_id, week: WeeklyAnswer.objects.filter(
        patient_id=patient_id, week_of=week
    ).values_list("pk")[:1],
    int,
    date,
)


def latest_session(patient, now):
    """The last session the patient attended, with whether each question was answered."""
    return (
        TreatmentSession.objects.filter(patient=patient)
        .held(now)
        .filter(when__gte=now - timedelta(days=IMPRESSION_DAYS))
        .annotate(
            rated=Exists(GlobalImpression.objects.filter(session=OuterRef("pk"))),
            side_effects_told=Exists(SideEffectReport.objects.filter(session=OuterRef("pk"))),
        )
        .order_by("-when")
        .first()
    )


def due_after(entry, now, events=None, first_only=False):
    """What to ask after the check-in `entry`, saved by its patient. Five queries at most.

    events: the entry's medicine events when the caller has them (one query fewer).
    first_only: stop at the weekly questions when they are due, the usual case: the
    check-in only needs to know whether anything is (the follow-up page asks it all).
    """
    patient = entry.patient
    due = Due()
    this_week = week_of(now)
    if not WEEK_ANSWERED.rows(patient.pk, this_week):
        due.week = this_week
        if first_only:
            return due
    session = latest_session(patient, now)
    if session is not None:
        if due.week and not session.rated:
            due.impression_session = session
        recent = session.when >= now - timedelta(days=SIDE_EFFECT_DAYS)
        if recent and not session.side_effects_told:
            due.side_effect_session = session
    if settings.CLINIC_MNSI:
        since = now - timedelta(days=mnsi.INTERVAL_DAYS)
        due.mnsi = not MnsiAnswer.objects.filter(patient=patient, answered_at__gt=since).exists()
    events = list(entry.medicine_events.all()) if events is None else events
    if events:
        day = timezone.localdate(entry.recorded_at)
        medicines = list(patient.medicines.current(day))
        unnamed = len(medicines) > 1 and any(event.medicine_id is None for event in events)
        changed = any(event.kind == MedicineEventKind.CHANGED for event in events)
        if unnamed or changed:
            due.medicine_events = events
            due.medicines = medicines if len(medicines) > 1 else []
    return due


class AlreadyAnswered(Exception):
    """The questions were answered in another tab or by a second tap: nothing stored."""


def save_answers(patient, due, answers, now):
    """Store the answers to the due questions, skipped ones as None, all or nothing.

    answers: the follow-up form's cleaned data ({} for "Skip"). Raises AlreadyAnswered
    when a question was answered meanwhile (the database's unique constraints say so).
    """
    try:
        with transaction.atomic():
            if due.week:
                WeeklyAnswer.objects.create(
                    patient=patient,
                    week_of=due.week,
                    sleep_interference=answers.get("sleep_interference"),
                    fell=answers.get("fell"),
                    answered_at=now,
                )
            if due.impression_session:
                GlobalImpression.objects.create(
                    patient=patient,
                    session=due.impression_session,
                    answer=answers.get("impression"),
                    answered_at=now,
                )
            if due.side_effect_session:
                SideEffectReport.objects.create(
                    patient=patient,
                    session=due.side_effect_session,
                    effects=answers.get("side_effects") or [],
                    answered_at=now,
                )
            if due.mnsi:
                MnsiAnswer.of(patient, answers.get("mnsi"), now).save()
            for event in due.medicine_events:
                medicine = answers.get(f"medicine_{event.pk}")
                note = answers.get(f"change_{event.pk}") or ""
                if medicine or note:
                    event.medicine = medicine or event.medicine
                    event.note = note
                    event.save(update_fields=["medicine", "note"])
    except IntegrityError as error:
        raise AlreadyAnswered from error


# After a fall, bleeding or feeling faint: the app does not alert anyone at once.
CARE_MESSAGE = gettext_lazy(
    "Your practitioner will see this when they next look at your record, not straight away. "
    "If you are worried, call the clinic. The page ‘Safety and when to get help’, "
    "under Learn, says when to get help at once."
)


def needs_care_now(effects):
    """Side effects that call for the clinic's advice today rather than at the next visit."""
    return bool({SideEffect.BLEEDING, SideEffect.FAINT} & set(effects))
