"""The Team page: clinic staff invite practitioners and other staff, deactivate those who
left and move their patients to another practitioner, without the Django admin.

Not the patient's care team (tracker/views/team.py). A new member gets a Practitioner
profile, or is_staff, when invited, and chooses a password from a single-use link or a
printed sheet: the patients' Invitation, for an account (Invitation.issue_for_account),
accepted at the same page (views/invitations.accept_invitation). Their first sign-in then
sets up the authenticator app (security.SecondFactorMiddleware).

Staff see the names of a practitioner's patients only to move them, and that is on the
audit trail (one row per patient); every change is audited in its own transaction.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access, audit, usernames
from tracker.access import staff_required
from tracker.forms import InviteTeamMemberForm
from tracker.models import Invitation, InvitationChannel, Patient, Practitioner
from tracker.views.invitations import display_name_of, sheet_context

logger = logging.getLogger(__name__)

# The session key that carries a new e-mailed link to the member's page, shown there once.
LINK_KEY = "team_invitation_link"


def team_members():
    """The clinic's practitioners and staff (never patients), with each practitioner's
    patient count, in one query."""
    users = get_user_model().objects.filter(
        Q(practitioner__isnull=False) | Q(is_staff=True, patient__isnull=True)
    )
    # The patient profile too (always none here): display_name_of asks for it.
    return users.select_related("practitioner", "patient").annotate(
        patient_count=Count("practitioner__patients")
    )


@dataclass
class Member:
    user: object

    @property
    def name(self):
        return display_name_of(self.user)

    @property
    def practitioner(self):
        return getattr(self.user, "practitioner", None)

    @property
    def role(self):
        return access.PRACTITIONER if self.practitioner else access.STAFF

    @property
    def role_label(self):
        return _("Practitioner") if self.practitioner else _("Clinic staff")

    @property
    def joined(self):
        """Has chosen a password (an invited member has none until they accept)."""
        return self.user.has_usable_password()

    @property
    def patient_count(self):
        return self.user.patient_count if self.practitioner else None


def get_member_or_404(request, user_id):
    try:
        return Member(team_members().get(pk=user_id))
    except get_user_model().DoesNotExist:
        raise access.deny(request, "account", user_id) from None


@never_cache
@staff_required
@require_safe
def team(request):
    members = sorted(
        (Member(user) for user in team_members()),
        key=lambda m: (not m.user.is_active, m.role != access.PRACTITIONER, m.name.lower()),
    )
    # A practitioner who left and still has patients: those wait to be moved.
    waiting = [m for m in members if not m.user.is_active and m.patient_count]
    return render(request, "tracker/staff_team.html", {"members": members, "waiting": waiting})


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def invite(request):
    form = InviteTeamMemberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        email = data["email"]
        channel = InvitationChannel.SHEET if data["channel"] == "sheet" else InvitationChannel.EMAIL
        try:
            with transaction.atomic():
                user = usernames.new_account(email)
                if data["role"] == access.STAFF:
                    user.is_staff = True
                    user.first_name = data["display_name"][:150]
                user.save()
                if data["role"] == access.PRACTITIONER:
                    Practitioner.objects.create(user=user, display_name=data["display_name"])
                invitation, token = Invitation.issue_for_account(user, timezone.now(), channel)
                audit.record(
                    request,
                    audit.CREATE,
                    object_type="account",
                    object_id=user.pk,
                    detail=f"invited as {data['role']} ({channel_words(channel)})",
                )
        except IntegrityError:
            # The same address was added a moment ago (a double submit, or a colleague).
            form.add_error("email", _("Someone already has an account with this email address."))
        else:
            return handed_over(request, Member(user), invitation, token)
    return render(
        request,
        "tracker/staff_invite.html",
        {"form": form, "valid_days": Invitation.VALID_FOR.days},
    )


def channel_words(channel):
    return "printed sign-in sheet" if channel == InvitationChannel.SHEET else "emailed link"


def handed_over(request, member, invitation, token):
    """After a new invitation: the sheet to print, or the e-mail sent and its link shown once."""
    if invitation.channel == InvitationChannel.SHEET:
        ctx = sheet_context(
            invitation,
            token,
            member.name,
            reverse("tracker:staff_member", args=[member.user.pk]),
            settings.LANGUAGE_CODE,
        )
        return render(request, "tracker/sign_in_sheet.html", ctx)
    link = settings.SITE_URL + reverse("tracker:accept_invitation", args=[token])
    send_team_invitation(request, member, invitation, link)
    request.session[LINK_KEY] = {"user": member.user.pk, "url": link}
    messages.success(
        request,
        _("%(name)s was invited. The link was sent to %(email)s.")
        % {"name": member.name, "email": member.user.email},
    )
    return redirect("tracker:staff_member", member.user.pk)


def send_team_invitation(request, member, invitation, link):
    ctx = {
        "name": member.name,
        "role": member.role_label,
        "inviter": display_name_of(request.user),
        "clinic_name": settings.CLINIC_NAME,
        "link": link,
        "expires_at": invitation.expires_at,
        "username": member.user.get_username(),
    }
    try:
        send_mail(
            _("Your Relief Tracker account at %(clinic)s") % {"clinic": settings.CLINIC_NAME},
            render_to_string("tracker/email/team_invitation.txt", ctx),
            settings.DEFAULT_FROM_EMAIL,
            [member.user.email],
            html_message=render_to_string("tracker/email/team_invitation.html", ctx),
        )
    except OSError:  # smtplib.SMTPException is an OSError too
        logger.exception("Could not send the team invitation email to user %s", member.user.pk)
        messages.warning(
            request, _("The email could not be sent. Copy the link below and give it to them.")
        )


@never_cache
@staff_required
@require_safe
def member(request, user_id):
    member = get_member_or_404(request, user_id)
    saved = request.session.pop(LINK_KEY, None)
    link = saved["url"] if saved and saved.get("user") == member.user.pk else None
    patients = []
    if member.practitioner:
        patients = list(
            Patient.objects.filter(practitioner=member.practitioner).order_by("display_name")
        )
        if patients:
            # Staff see these names only to move the patients: on the record.
            audit.record_many(
                request, audit.VIEW, patients, "patient", detail="listed on the Team page"
            )
    targets = Practitioner.objects.filter(user__is_active=True).exclude(
        pk=getattr(member.practitioner, "pk", None)
    )
    ctx = {
        "member": member,
        "link": link,
        "patients": patients,
        "targets": list(targets),
        "is_me": member.user.pk == request.user.pk,
    }
    return render(request, "tracker/staff_member.html", ctx)


@never_cache
@staff_required
@require_POST
def invite_again(request, user_id):
    """A new link by e-mail, or a new sheet, for a member who has not joined yet."""
    member = get_member_or_404(request, user_id)
    back = redirect("tracker:staff_member", member.user.pk)
    if not member.user.is_active:
        messages.warning(request, _("%(name)s is deactivated.") % {"name": member.name})
        return back
    if member.joined:
        messages.info(
            request,
            _("%(name)s has already chosen a password, so no new link was made.")
            % {"name": member.name},
        )
        return back
    sheet = request.POST.get("channel") == "sheet"
    if not sheet and not member.user.email:
        messages.warning(
            request,
            _("%(name)s has no email address: print a sign-in sheet instead.")
            % {"name": member.name},
        )
        return back
    channel = InvitationChannel.SHEET if sheet else InvitationChannel.EMAIL
    with transaction.atomic():
        invitation, token = Invitation.issue_for_account(member.user, timezone.now(), channel)
        audit.record(
            request,
            audit.CREATE,
            object_type="invitation",
            object_id=member.user.pk,
            detail=f"new {channel_words(channel)}; earlier links revoked",
        )
    return handed_over(request, member, invitation, token)


def refuse_deactivation(request, member):
    """Why this member may not be deactivated by request.user, or None."""
    if member.user.pk == request.user.pk:
        return _("You cannot deactivate your own account. Ask another staff member.")
    return None


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def deactivate(request, user_id):
    """Confirm, then: no more signing in, every session ended, open links revoked."""
    member = get_member_or_404(request, user_id)
    back = redirect("tracker:staff_member", member.user.pk)
    if not member.user.is_active:
        messages.info(request, _("%(name)s is already deactivated.") % {"name": member.name})
        return back
    refused = refuse_deactivation(request, member)
    if refused:
        messages.error(request, refused)
        return back
    if request.method == "GET":
        return render(request, "tracker/staff_deactivate.html", {"member": member})
    User = get_user_model()
    with transaction.atomic():
        # The active staff, locked: two staff deactivating each other at once cannot
        # leave the clinic with nobody to manage it.
        staff = list(
            # of=self: the profiles are looked for by an outer join, which cannot be locked.
            User.objects.select_for_update(of=("self",))
            .filter(is_active=True, is_staff=True, patient__isnull=True, practitioner__isnull=True)
            .values_list("pk", flat=True)
        )
        account = User.objects.select_for_update().get(pk=member.user.pk)
        if account.is_active and member.role == access.STAFF and staff == [account.pk]:
            refused = _("%(name)s is the last active staff member: invite another first.") % {
                "name": member.name
            }
        elif account.is_active:
            account.is_active = False
            # Saving it ends every session of theirs (security.end_sessions_after_change).
            account.save(update_fields=["is_active"])
            Invitation.revoke_open(timezone.now(), account=account)
            audit.record(
                request,
                audit.UPDATE,
                object_type="account",
                object_id=account.pk,
                detail="deactivated; sessions ended, open links revoked",
            )
    if refused:
        messages.error(request, refused)
    elif member.patient_count:
        messages.success(
            request,
            _(
                "%(name)s is deactivated and signed out everywhere. Move their patients "
                "to another practitioner below."
            )
            % {"name": member.name},
        )
    else:
        messages.success(
            request, _("%(name)s is deactivated and signed out everywhere.") % {"name": member.name}
        )
    return back


@staff_required
@require_POST
def reassign(request, user_id):
    """Move one patient (`patient`), or all, of this practitioner to another active one."""
    member = get_member_or_404(request, user_id)
    back = redirect("tracker:staff_member", member.user.pk)
    source = member.practitioner
    if source is None:
        messages.error(request, _("%(name)s has no patients.") % {"name": member.name})
        return back
    target = (
        Practitioner.objects.filter(user__is_active=True, pk=digits(request.POST.get("to")))
        .exclude(pk=source.pk)
        .first()
    )
    if target is None:
        messages.error(request, _("Please choose an active practitioner to move them to."))
        return back
    with transaction.atomic():
        patients = Patient.objects.select_for_update().filter(practitioner=source)
        one = request.POST.get("patient")
        if one:
            patients = patients.filter(public_id=uuid_or_none(one))
        patients = list(patients)
        for patient in patients:
            patient.practitioner = target
            patient.save(update_fields=["practitioner"])
        audit.record_many(
            request,
            audit.UPDATE,
            patients,
            "patient",
            detail=f"responsible practitioner: {source.display_name} to {target.display_name}",
        )
    if not patients:
        # A double submit, or someone moved them a moment ago.
        messages.info(
            request,
            _("Nothing was moved: no such patient is with %(name)s now.") % {"name": member.name},
        )
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s patient moved to %(target)s.",
                "%(count)s patients moved to %(target)s.",
                len(patients),
            )
            % {"count": len(patients), "target": target.display_name},
        )
    return back


def digits(value):
    return int(value) if value and value.isdigit() else None


def uuid_or_none(value):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
