"""Who may see which patient. The only module that decides it.

A patient sees only themself. A practitioner sees only the patients assigned
to them. Clinic staff manage accounts in the admin and see no patient pages.
Everything outside that is a 404, so nobody learns that a record exists.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from tracker.models import Patient, TreatmentSession

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
        return Patient.objects.filter(practitioner=user.practitioner)
    return Patient.objects.none()


def get_patient_or_404(user, public_id):
    return get_object_or_404(patients_visible_to(user), public_id=public_id)


def _role_required(role):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if role_of(request.user) != role:
                raise Http404("No such page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


patient_required = _role_required(PATIENT)
practitioner_required = _role_required(PRACTITIONER)


def get_session_or_404(user, public_id):
    """A treatment session of one of the user's visible patients."""
    return get_object_or_404(
        TreatmentSession.objects.select_related("patient"),
        patient__in=patients_visible_to(user),
        public_id=public_id,
    )
