"""A course that ends: finish it (discharge) and re-open it, from the patient page.

A finished course raises no flags, sends no reminders and leaves the default
worklist (tracker/worklist.py, PatientQuerySet.reminders_due_candidates). The
patient can still sign in, log and download their data. Also the patient's
identity details (date of birth, record number), edited in the same side box.
"""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker import access, audit
from tracker.access import practitioner_required
from tracker.forms import DischargeForm, PatientDetailsForm


def form_errors(form):
    return " ".join(error for errors in form.errors.values() for error in errors)


@practitioner_required
@require_POST
def finish_course(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    if patient.is_discharged:
        messages.info(
            request, _("%(name)s’s course is already finished.") % {"name": patient.display_name}
        )
        return redirect(patient)
    form = DischargeForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("The course was not finished. %(errors)s") % {"errors": form_errors(form)}
        )
        return redirect(patient)
    on = form.cleaned_data["discharged_on"]
    with transaction.atomic():
        patient.finish_course(on, form.cleaned_data["note"], request.user.practitioner)
        audit.record(request, audit.UPDATE, patient, "course", detail="course finished")
    messages.success(
        request,
        _(
            "%(name)s’s course finished on %(day)s. No flags or reminders now; they can "
            "still sign in and see their record."
        )
        % {"name": patient.display_name, "day": date_format(on, _("j M Y"))},
    )
    return redirect(patient)


@practitioner_required
@require_POST
def reopen_course(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    if not patient.is_discharged:
        messages.info(
            request, _("%(name)s’s course is not finished.") % {"name": patient.display_name}
        )
        return redirect(patient)
    with transaction.atomic():
        patient.reopen_course()
        audit.record(request, audit.UPDATE, patient, "course", detail="re-opened")
    messages.success(
        request, _("%(name)s’s course is open again.") % {"name": patient.display_name}
    )
    return redirect(patient)


@practitioner_required
@require_POST
def edit_details(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    form = PatientDetailsForm(request.POST, patient=patient)
    if not form.is_valid():
        messages.error(
            request, _("The details were not saved. %(errors)s") % {"errors": form_errors(form)}
        )
        return redirect(patient)
    patient.date_of_birth = form.cleaned_data["date_of_birth"]
    patient.record_number = form.cleaned_data["record_number"]
    try:
        with transaction.atomic():
            patient.save(update_fields=["date_of_birth", "record_number"])
            # No values in the detail: the trail does not copy identity fields.
            audit.record(request, audit.UPDATE, patient, "details")
    except IntegrityError:
        # The same number given to another patient a moment ago.
        messages.error(
            request,
            _("The details were not saved. Another patient already has this record number."),
        )
        return redirect(patient)
    messages.success(request, _("Details saved."))
    return redirect(patient)
