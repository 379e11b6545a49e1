"""Who may see which patient. The only module that decides it.

A patient sees only themself. A practitioner sees only the patients assigned
to them (they are the responsible practitioner) and those whose care team they
are in (cover, shared care); only the responsible practitioner changes the team
(may_manage_team). Clinic staff manage the team's accounts on the Team page
(tracker/views/staff.py) and in the admin, and see no patient pages.
Everything outside that is a 404, so nobody learns that a record exists,
and every such refusal is written to the audit trail as "denied".
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext as _

from tracker import audit
from tracker.models import CareTeamMember, Medicine, Patient, SymptomEntry, TreatmentSession
from tracker.prepared import Prepared

PATIENT = "patient"
PRACTITIONER = "practitioner"
STAFF = "staff"


def role_of(user):
    """The user's role: which profile it has, or staff, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    if hasattr(user, "patient"):
        return PATIENT
    if hasattr(user, "practitioner"):
        return PRACTITIONER
    if user.is_staff:
        return STAFF
    return None


def patients_visible_to(user):
    """A queryset of the patients this user may see."""
    role = role_of(user)
    if role == PATIENT:
        return Patient.objects.filter(pk=user.patient.pk)
    if role == PRACTITIONER:
        return patients_of_practitioner(user.practitioner.pk)
    return Patient.objects.none()


def patients_of_practitioner(practitioner_id):
    """The patients a practitioner sees: their own, and those whose care team they are in."""
    mine = Patient.objects.filter(practitioner_id=practitioner_id).order_by().values("pk")
    covered = (
        CareTeamMember.objects.filter(practitioner_id=practitioner_id).order_by().values("patient")
    )
    # One IN over a UNION, not an OR of the two: PostgreSQL reads each from its
    # index instead of every patient of the clinic (20,000: 1.8 ms, and JIT).
    return Patient.objects.filter(pk__in=mine.union(covered, all=True))


# The worklist's first query on every view: which patients, at which data_version.
VERSIONS_OF_PRACTITIONER = Prepared(
    lambda practitioner_id: patients_of_practitioner(practitioner_id).values_list(
        "pk", "data_version"
    ),
    int,
)


def versions_visible_to(user):
    """(pk, data_version) of the patients this user may see, in patients_visible_to's order."""
    if role_of(user) == PRACTITIONER:
        return VERSIONS_OF_PRACTITIONER.rows(user.practitioner.pk)
    return list(patients_visible_to(user).values_list("pk", "data_version"))


def may_manage_team(user, patient):
    """Only the responsible practitioner adds and removes care-team members (staff: the admin)."""
    return role_of(user) == PRACTITIONER and patient.practitioner_id == user.practitioner.pk


def deny(request, object_type, object_id=""):
    """Record the refusal; return the 404 to raise, as if the record did not exist.

    The row names the requested id but no patient, so the trail itself does
    not link the id to anyone.
    """
    audit.record(request, audit.DENIED, object_type=object_type, object_id=object_id)
    return Http404(_("No such page."))


def _get_or_404(request, queryset, object_type, public_id):
    try:
        return queryset.get(public_id=public_id)
    except queryset.model.DoesNotExist:
        raise deny(request, object_type, public_id) from None


def get_patient_or_404(request, public_id):
    """One of the patients request.user may see; anything else is a recorded 404."""
    # The account and the responsible practitioner come along: every patient page shows them.
    patients = patients_visible_to(request.user).select_related("user", "practitioner")
    return _get_or_404(request, patients, "patient", public_id)


def _role_required(role):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if role_of(request.user) != role:
                raise deny(request, "page", kwargs.get("public_id", ""))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


patient_required = _role_required(PATIENT)
practitioner_required = _role_required(PRACTITIONER)
staff_required = _role_required(STAFF)


def _of_visible_patients(request, model):
    return model.objects.select_related("patient").filter(
        patient__in=patients_visible_to(request.user)
    )


def get_session_or_404(request, public_id):
    """A treatment session of one of request.user's visible patients; else a recorded 404."""
    sessions = _of_visible_patients(request, TreatmentSession)
    return _get_or_404(request, sessions, "session", public_id)


def get_entry_or_404(request, public_id):
    """A check-in entry of one of request.user's visible patients; else a recorded 404."""
    return _get_or_404(request, _of_visible_patients(request, SymptomEntry), "entry", public_id)


def get_medicine_or_404(request, public_id):
    """A line of a visible patient's medicine list; else a recorded 404."""
    return _get_or_404(request, _of_visible_patients(request, Medicine), "medicine", public_id)
