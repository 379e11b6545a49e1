"""Flags that get reviewed: "Mark reviewed" and its undo, from the worklist and the patient page.

A review covers the flags raised when it was made until a new one arises
(scores.still_reviewed). Reviews are for the patient's practitioners only: no
patient page reads them.
"""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker import access, audit, worklist
from tracker.access import practitioner_required
from tracker.forms import FlagReviewForm
from tracker.models import FlagReview


def back_to(request, patient):
    """Where the form came from (the worklist with its filters, or the patient page).

    Only a path on this site: a crafted form cannot send the practitioner elsewhere.
    """
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(patient)


@practitioner_required
@require_POST
def review(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    now = timezone.now()
    form = FlagReviewForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("%(errors)s Nothing was saved.") % {"errors": " ".join(form.errors["note"])}
        )
        return back_to(request, patient)
    row = worklist.row_of(patient, now, settings.REVIEW_MISSED_DAYS)
    if patient.is_discharged or not row.flags.any:
        messages.info(
            request, _("%(name)s has no flags to review now.") % {"name": patient.display_name}
        )
        return back_to(request, patient)
    with transaction.atomic():
        made = FlagReview.objects.create(
            patient=patient,
            reviewer=request.user.practitioner,
            reviewed_at=now,
            note=form.cleaned_data["note"],
            flags=row.flags.names(),
        )
        audit.record(
            request,
            audit.CREATE,
            patient,
            "flag_review",
            made.pk,
            # Not which flags: health data stays out of the append-only trail.
            detail="flags reviewed",
        )
    messages.success(
        request, _("%(name)s: flags marked reviewed.") % {"name": patient.display_name}
    )
    return back_to(request, patient)


@practitioner_required
@require_POST
def undo_review(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    now = timezone.now()
    latest = patient.flag_reviews.order_by("-reviewed_at", "-pk").first()
    if latest is None or latest.undone_at is not None:
        messages.info(
            request, _("%(name)s has no review to undo.") % {"name": patient.display_name}
        )
        return back_to(request, patient)
    if not latest.can_undo(now):
        messages.warning(
            request,
            _(
                "A review can only be undone on the day it was made. This one was made on "
                "%(day)s: it stays until something new is flagged."
            )
            % {"day": date_format(timezone.localtime(latest.reviewed_at), _("j M"))},
        )
        return back_to(request, patient)
    with transaction.atomic():
        # Only a review still open is undone: two clicks at once undo it once.
        done = FlagReview.objects.filter(pk=latest.pk, undone_at=None).update(undone_at=now)
        if done:
            audit.record(request, audit.UPDATE, patient, "flag_review", latest.pk, detail="undone")
    messages.success(
        request,
        _("%(name)s: review undone; the flags are back.") % {"name": patient.display_name},
    )
    return back_to(request, patient)
