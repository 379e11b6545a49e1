"""FHIR R4 downloads (tracker/fhir.py): a patient's bundle, for their practitioner or
for themselves, and the definitions every bundle points to, at their canonical URLs."""

from django.http import JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from tracker import access, audit, fhir
from tracker.access import patient_required, practitioner_required

FHIR_JSON = "application/fhir+json"


def definition(resource):
    return JsonResponse(resource, content_type=FHIR_JSON, json_dumps_params={"indent": 2})


@require_safe
def questionnaire(request):
    """The check-in Questionnaire: public, the same for everyone, no patient data."""
    return definition(fhir.questionnaire())


@require_safe
def code_system(request):
    """Our CodeSystem: public, the same for everyone, no patient data."""
    return definition(fhir.code_system())


def bundle_response(patient, filename):
    now = timezone.now()
    response = StreamingHttpResponse(fhir.chunks(patient, now), content_type=FHIR_JSON)
    response["Content-Disposition"] = (
        f'attachment; filename="{filename}-{timezone.localdate(now):%Y-%m-%d}.fhir.json"'
    )
    return response


@practitioner_required
@require_safe
def patient_bundle(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    audit.record(request, audit.EXPORT, patient, "fhir")
    return bundle_response(patient, "relief-tracker-patient")


@never_cache
@patient_required
@require_safe
def my_bundle(request):
    patient = request.user.patient
    audit.record(request, audit.EXPORT, patient, "fhir", detail="patient's own data")
    return bundle_response(patient, "relief-tracker-my-data")
