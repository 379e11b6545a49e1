"""The patient's own medicine list (issue 18): kept by the patient, read by their practitioner.

A medicine that was taken is stopped (with a date), not removed: the chart and the
practitioner's tables still say what changed and when. Only a line added by mistake,
never ticked at a check-in, may be removed.
"""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tracker import access, audit
from tracker.access import patient_required
from tracker.reported_forms import MedicineForm


def medicine_list_context(patient, form=None):
    today = timezone.localdate()
    medicines = list(patient.medicines.all())
    return {
        "current": [m for m in medicines if m.is_current(today)],
        "stopped": [m for m in medicines if not m.is_current(today)],
        "form": form or MedicineForm(),
    }


@patient_required
@require_http_methods(["GET", "POST"])
def medicines(request):
    patient = request.user.patient
    form = MedicineForm(
        request.POST if request.method == "POST" else None,
        instance=patient.medicines.model(patient=patient),
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            medicine = form.save()
            audit.record(request, audit.CREATE, patient, "medicine", medicine.public_id)
        messages.success(request, _("%(medicine)s is on your list.") % {"medicine": medicine.name})
        return redirect("tracker:medicines")
    audit.record(request, audit.VIEW, patient, "medicines")
    return render(request, "tracker/medicines.html", medicine_list_context(patient, form))


@patient_required
@require_http_methods(["GET", "POST"])
def edit_medicine(request, public_id):
    medicine = access.get_medicine_or_404(request, public_id)
    form = MedicineForm(request.POST if request.method == "POST" else None, instance=medicine)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            audit.record(request, audit.UPDATE, medicine.patient, "medicine", medicine.public_id)
        messages.success(request, _("%(medicine)s is updated.") % {"medicine": medicine.name})
        return redirect("tracker:medicines")
    audit.record(request, audit.VIEW, medicine.patient, "medicine", medicine.public_id)
    ctx = {"form": form, "medicine": medicine, "removable": not medicine.events.exists()}
    return render(request, "tracker/medicine_edit.html", ctx)


@patient_required
@require_POST
def remove_medicine(request, public_id):
    medicine = access.get_medicine_or_404(request, public_id)
    with transaction.atomic():
        # A check-in naming it at this very moment keeps its event, without the name.
        if medicine.events.exists():
            messages.error(
                request,
                _(
                    "%(medicine)s was part of a check-in, so it stays on your list. "
                    "To show that you no longer take it, give the date you stopped."
                )
                % {"medicine": medicine.name},
            )
            return redirect("tracker:edit_medicine", medicine.public_id)
        audit.record(request, audit.DELETE, medicine.patient, "medicine", medicine.public_id)
        medicine.delete()
    messages.success(
        request, _("%(medicine)s is removed from your list.") % {"medicine": medicine.name}
    )
    return redirect("tracker:medicines")
