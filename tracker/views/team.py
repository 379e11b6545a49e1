"""A patient's care team: practitioners who share the care with the responsible one.

Members see and work with the patient as the responsible practitioner does
(tracker/access.py); only the responsible practitioner changes the team here, and
staff in the admin. Every change is an audit row in the same transaction.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker import access, audit
from tracker.access import practitioner_required
from tracker.forms import CareTeamForm
from tracker.models import CareTeamMember, Practitioner


def team_of(patient):
    """(members, others) in one query: the practitioners in the patient's care team, each
    with member_id set, and the active ones who could be added. The responsible
    practitioner is in neither."""
    membership = CareTeamMember.objects.filter(patient=patient, practitioner=OuterRef("pk"))
    practitioners = (
        Practitioner.objects.exclude(pk=patient.practitioner_id)
        .annotate(member_id=Subquery(membership.values("pk")[:1]))
        .filter(user__is_active=True)
        .order_by("display_name")
    )
    members, others = [], []
    for practitioner in practitioners:
        (members if practitioner.member_id else others).append(practitioner)
    return members, others


def team_context(request, patient):
    """What the patient page's care-team box shows (templates/tracker/patient_team.html)."""
    members, others = team_of(patient)
    return {
        "team": members,
        "team_candidates": others,
        "may_manage_team": access.may_manage_team(request.user, patient),
    }


def managed_patient(request, public_id):
    """The patient, if request.user may change their team; a recorded 403 if only a member."""
    patient = access.get_patient_or_404(request, public_id)
    if not access.may_manage_team(request.user, patient):
        audit.record(request, audit.DENIED, patient, "care_team", detail="not responsible")
        raise PermissionDenied(_("Only the responsible practitioner changes the care team."))
    return patient


@practitioner_required
@require_POST
def add_team_member(request, public_id):
    patient = managed_patient(request, public_id)
    form = CareTeamForm(patient, request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["practitioner"]))
        return redirect(patient)
    practitioner = form.cleaned_data["practitioner"]
    try:
        with transaction.atomic():
            CareTeamMember.objects.create(
                patient=patient, practitioner=practitioner, added_by=request.user
            )
            audit.record(
                request,
                audit.CREATE,
                patient,
                "care_team",
                practitioner.user_id,
                detail=f"care team: {practitioner.user.get_username()} added",
            )
    except IntegrityError:
        # Added a moment ago, by a double submit or from the admin.
        pass
    messages.success(
        request,
        _("%(member)s is now in %(name)s’s care team and can see their record.")
        % {"member": practitioner.display_name, "name": patient.display_name},
    )
    return redirect(patient)


@practitioner_required
@require_POST
def remove_team_member(request, public_id, member_id):
    patient = managed_patient(request, public_id)
    member = get_object_or_404(
        CareTeamMember.objects.select_related("practitioner__user"), pk=member_id, patient=patient
    )
    with transaction.atomic():
        member.delete()
        audit.record(
            request,
            audit.DELETE,
            patient,
            "care_team",
            member.practitioner.user_id,
            detail=f"care team: {member.practitioner.user.get_username()} removed",
        )
    messages.success(
        request,
        _("%(member)s is no longer in %(name)s’s care team.")
        % {"member": member.practitioner.display_name, "name": patient.display_name},
    )
    return redirect(patient)
