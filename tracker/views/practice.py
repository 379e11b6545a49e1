from django.shortcuts import render

from tracker import access, learn
from tracker.access import practitioner_required


@practitioner_required
def worklist(request):
    patients = access.patients_visible_to(request.user)
    return render(request, "tracker/worklist.html", {"patients": patients})


@practitioner_required
def patient_detail(request, public_id):
    patient = access.get_patient_or_404(request.user, public_id)
    ctx = {
        "patient": patient,
        "entries": patient.entries.all()[:50],
        "sessions": patient.sessions.all(),
        "learn_pages": learn.pages_for(learn.PANEL_PRACTICE),
    }
    return render(request, "tracker/patient_detail.html", ctx)
