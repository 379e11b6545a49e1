"""Erasing a patient: their account and everything they or their practitioners recorded.

Two ways in: staff carry out a patient's deletion request in the admin (carry_out), and
`manage.py purge_expired` erases finished courses past the retention period (purge).
Both run erase(), which takes the STEPS below in order inside ONE transaction with the
audit row that records it: a failure at any step leaves everything as it was.

What goes: the entries, notes, medicines and medicine events, weekly answers,
impressions of change, side-effect reports, MNSI answers, flag reviews (and their
notes), reminders, invitations, care-team rows, the treatment sessions, the admin's
history of these objects, sign-in sessions, second-factor devices, lockout records
for the username and address, and finally the patient and user rows themselves.

Sessions are deleted, not kept as stubs. Their clinical notes and points are the
practitioner's record, but a record the clinic must keep is a reason to decline the
request (the admin warns while the records are inside CLINIC_RETENTION_YEARS), not to
keep half of it: a stub without notes would meet no legal duty, and a dated
appointment with a named practitioner still says something about the person.

What stays: the audit trail (append-only, tracker/audit.py). It never held scores,
notes or names; it keeps the username the patient signed in with (as the actor, and
as typed in failed sign-ins) and the patient's random public id, which after the
erasure points at no row. A new audit row says that the erasure happened, who did
it, and the request's number. The deletion request stays too, naming nobody.
"""

import logging
from datetime import datetime, time

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import CharField, Max, Q
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker import audit, languages, security
from tracker.models import (
    CareTeamMember,
    DeletionRequest,
    DeletionStatus,
    FlagReview,
    GlobalImpression,
    Invitation,
    Medicine,
    MedicineEvent,
    MnsiAnswer,
    Patient,
    Reminder,
    SideEffectReport,
    SymptomEntry,
    TreatmentSession,
    UserSession,
    WeeklyAnswer,
)

# --- Retention -------------------------------------------------------------------------

log = logging.getLogger(__name__)


def years_after(day, years):
    """The same day `years` later; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def cutoff(today):
    """Care that ended before this day is past the retention period."""
    return years_after(today, -settings.CLINIC_RETENTION_YEARS)


def care_ended(patient):
    """The last day of the patient's care: the latest of the discharge, the last session
    and the last entry (or the day they joined), in clinic time. Two queries."""
    days = [timezone.localdate(patient.created_at)]
    if patient.discharged_on:
        days.append(patient.discharged_on)
    last_entry = patient.entries.aggregate(at=Max("recorded_at"))["at"]
    last_session = patient.sessions.aggregate(at=Max("when"))["at"]
    days += [timezone.localdate(at) for at in (last_entry, last_session) if at]
    return max(days)


def kept_until(patient):
    """The first day the clinic is no longer bound to keep the patient's records."""
    return years_after(care_ended(patient), settings.CLINIC_RETENTION_YEARS)


def within_retention(patient, today):
    return today < kept_until(patient)


def expired(today):
    """Finished courses past the retention period: discharged before the cutoff, with no
    entry or session since (the rule of kept_until, in one query)."""
    before = cutoff(today)
    since = timezone.make_aware(datetime.combine(before, time.min))
    return (
        Patient.objects.filter(discharged_on__lt=before, created_at__lt=since)
        .exclude(Q(entries__recorded_at__gte=since) | Q(sessions__when__gte=since))
        .distinct()
        .order_by("pk")
    )


# --- The steps -------------------------------------------------------------------------


def _of_patient(model):
    return lambda patient: model.objects.filter(patient=patient)


def _admin_history(patient):
    """The admin's change history (django_admin_log) of the patient's objects: its
    object_repr is the object's name, e.g. "Session for <name> at ..."."""
    user = patient.user
    found = Q(content_type=ContentType.objects.get_for_model(Patient), object_id=str(patient.pk))
    found |= Q(content_type=ContentType.objects.get_for_model(user), object_id=str(user.pk))
    for _, model, of in OWNED:
        # A subquery, not a list: a long history would pass SQLite's limit of parameters.
        ids = of(patient).annotate(text_id=Cast("pk", CharField())).values("text_id")
        found |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
    return LogEntry.objects.filter(found)


def _lockout_records(model):
    def rows(patient):
        user = patient.user
        names = Q(username__iexact=user.username)
        if user.email:
            names |= Q(username__iexact=user.email)
        return model.objects.filter(names)

    return rows


def _devices(model):
    return lambda patient: model.objects.filter(user=patient.user)


# (what the step removes, in the dry run's words; the model; its rows for a patient).
# The patient's objects, children before parents. Each count is of that model's rows.
OWNED = [
    ("medicine events", MedicineEvent, _of_patient(MedicineEvent)),
    ("impressions of change", GlobalImpression, _of_patient(GlobalImpression)),
    ("side-effect reports", SideEffectReport, _of_patient(SideEffectReport)),
    ("MNSI answers", MnsiAnswer, _of_patient(MnsiAnswer)),
    ("weekly answers", WeeklyAnswer, _of_patient(WeeklyAnswer)),
    ("medicines", Medicine, _of_patient(Medicine)),
    ("check-ins", SymptomEntry, _of_patient(SymptomEntry)),
    ("flag reviews", FlagReview, _of_patient(FlagReview)),
    ("reminders", Reminder, _of_patient(Reminder)),
    ("invitations", Invitation, _of_patient(Invitation)),
    ("care-team members", CareTeamMember, _of_patient(CareTeamMember)),
    ("treatment sessions", TreatmentSession, _of_patient(TreatmentSession)),
]
# Then what belongs to the account.
ACCOUNT = [
    ("lockout attempts", AccessAttempt, _lockout_records(AccessAttempt)),
    ("sign-in log", AccessLog, _lockout_records(AccessLog)),
    ("failed sign-in log", AccessFailureLog, _lockout_records(AccessFailureLog)),
    ("authenticator apps", TOTPDevice, _devices(TOTPDevice)),
    ("backup code sets", StaticDevice, _devices(StaticDevice)),
]
# The admin's history first: it is found through the objects it names.
STEPS = [("admin history", LogEntry, _admin_history), *OWNED, *ACCOUNT]


EARLIER = "earlier requests (declined or withdrawn)"


def counts_for(patient, by_request=None):
    """What erase() would remove, as {what: rows}: the dry run."""
    found = {what: rows(patient).count() for what, _, rows in STEPS}
    found["sign-in sessions"] = UserSession.objects.filter(user=patient.user).count()
    found[EARLIER] = _earlier_requests(patient, by_request).count()
    found["accounts"] = 1
    return found


def _earlier_requests(patient, request_row):
    rows = DeletionRequest.objects.filter(patient=patient)
    return rows.exclude(pk=request_row.pk) if request_row is not None else rows


def erase(patient, by_request=None, request=None, detail=""):
    """Erase the patient (see the module's docstring), all or nothing; returns {what: rows removed}.

    by_request: the DeletionRequest being carried out, marked done here; request: the
    staff member's HTTP request (None from the command), for the audit row.
    """
    with transaction.atomic():
        patient = Patient.objects.select_for_update().select_related("user").get(pk=patient.pk)
        user = patient.user
        counts = {}
        for what, _, rows in STEPS:
            counts[what] = rows(patient).delete()[0]
        sessions = UserSession.objects.filter(user=user)
        counts["sign-in sessions"] = sessions.count()
        security.end_sessions(user)
        if by_request is not None:
            by_request.status = DeletionStatus.DONE
            by_request.patient = None
            by_request.reason = ""
            by_request.decided_at = timezone.now()
            by_request.decided_by = request.user if request is not None else None
            by_request.save()
        # Declined or withdrawn before: their reasons may name the patient.
        counts[EARLIER] = _earlier_requests(patient, by_request).delete()[0]
        patient.delete()
        user.delete()
        counts["accounts"] = 1
        # The public id only: it points at no row any more, and ties this row to the
        # patient's earlier ones in the trail. No name.
        audit.record(
            request,
            audit.DELETE,
            patient,
            "erasure",
            by_request.pk if by_request is not None else "",
            detail=detail,
        )
    return counts


def carry_out(deletion_request, request):
    """Staff carry out an open deletion request (the admin). Returns the counts, or None when
    the request is no longer open (carried out or declined meanwhile: two clicks)."""
    with transaction.atomic():
        still_open = (
            DeletionRequest.objects.select_for_update()
            .filter(pk=deletion_request.pk, status=DeletionStatus.OPEN)
            .exclude(patient=None)
            .first()
        )
        if still_open is None:
            return None
        # Told by e-mail, once it is done: they cannot sign in to see it any more. The
        # address is read now and kept only in the message.
        message = outcome_message(
            still_open, "erasure_done", gettext_lazy("Your account was erased")
        )
        counts = erase(
            still_open.patient,
            by_request=still_open,
            request=request,
            detail=f"account and data erased: deletion request {still_open.pk}",
        )
        if message is not None:
            transaction.on_commit(lambda: send_quietly(message))
        return counts


def decline(deletion_request, reason, request):
    """Staff decline an open request; the patient sees the reason on /account/."""
    with transaction.atomic():
        changed = DeletionRequest.objects.filter(
            pk=deletion_request.pk, status=DeletionStatus.OPEN
        ).update(
            status=DeletionStatus.DECLINED,
            decline_reason=reason,
            decided_at=timezone.now(),
            decided_by=request.user,
        )
        if changed:
            audit.record(
                request,
                audit.UPDATE,
                deletion_request.patient,
                "deletion request",
                deletion_request.pk,
                detail="declined",
            )
            subject = gettext_lazy("Your request to erase your account")
            message = outcome_message(deletion_request, "erasure_declined", subject)
            if message is not None:
                transaction.on_commit(lambda: send_quietly(message))
    return bool(changed)


def outcome_message(deletion_request, template, subject):
    """The e-mail telling the patient what became of their request (no health data, not
    the decline's reason: that is on their account page), or None without an address."""
    patient = deletion_request.patient
    address = patient.user.email
    if not address:
        return None
    ctx = {
        "name": patient.display_name,
        "clinic_name": settings.CLINIC_NAME,
        "requested_at": deletion_request.requested_at,
        "account_link": settings.SITE_URL + reverse("account"),
    }
    # In the patient's language, not the staff member's who decided.
    with translation.override(languages.language_for(patient)):
        text = render_to_string(f"tracker/email/{template}.txt", ctx)
        html = render_to_string(f"tracker/email/{template}.html", ctx)
        subject = str(subject)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
    message.attach_alternative(html, "text/html")
    return message


def send_quietly(message):
    """Send after the change is committed; a mail server that is down does not undo it."""
    try:
        message.send()
    except OSError:
        log.warning("The e-mail about a deletion request could not be sent.")


def retention_words(patient, today):
    """The admin's warning, or "" when the records are past the retention period."""
    until = kept_until(patient)
    if today >= until:
        return ""
    return (
        f"These records are within the clinic's retention period "
        f"({settings.CLINIC_RETENTION_YEARS} years after care ends) until {until:%d %B %Y}. "
        "The clinic may have a legal duty to keep them: check before erasing, or decline "
        "and say so."
    )
