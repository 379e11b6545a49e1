"""Adding patients, inviting them, and helping them back in: there is no open sign-up.

A practitioner adds a patient, who gets a single-use link (by email, and shown
once to the practitioner to copy), or a printed sign-in sheet for a patient
without email. The link lets the patient choose a password. A patient who
forgot theirs gets a reset email (tracker/views/recovery.py) or, at the desk,
a sheet that lets them choose a new one.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tracker import access, audit, languages, usernames
from tracker.access import practitioner_required
from tracker.forms import (
    AddPatientForm,
    ChooseNewPasswordForm,
    ChoosePasswordForm,
    PatientEmailForm,
    offer_language_choice,
)
from tracker.models import (
    Invitation,
    InvitationChannel,
    InvitationPurpose,
    Patient,
    grouped,
)
from tracker.views import recovery
from tracker.views.account import qr_svg

logger = logging.getLogger(__name__)

# The session key that carries a new link to the patient page, which shows it once.
SESSION_KEY = "invitation_link"

# What the invalid-link page says for each state of an invitation.
INVALID_REASONS = {
    "used": gettext_lazy(
        "This link has already been used. If you set your password, sign in. "
        "If not, ask the clinic for a new link."
    ),
    "expired": format_lazy(
        gettext_lazy(
            "This link has expired. Links work for {days} days. Ask the clinic for a new one."
        ),
        days=Invitation.VALID_FOR.days,
    ),
    "revoked": gettext_lazy("A newer link was sent; use the newest one, or ask the clinic."),
    "has_password": gettext_lazy(
        "This account already has a password, so this link no longer works. "
        "Sign in with your password. If you forgot it, choose “Forgot your password?” "
        "on the sign-in page, or ask the clinic for a sign-in sheet."
    ),
    "unknown": gettext_lazy("This link is not valid."),
}


def language_of(patient):
    """The language the patient's invitation, sheet and acceptance page speak: the one
    chosen for them (by the practitioner, or by themselves), else the clinic's."""
    code = patient.language
    return code if code in languages.offered() else settings.LANGUAGE_CODE


@practitioner_required
@require_http_methods(["GET", "POST"])
def add_patient(request):
    practitioner = request.user.practitioner
    form = AddPatientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            with transaction.atomic():
                user = usernames.new_account(email)
                user.save()
                patient = Patient.objects.create(
                    user=user,
                    display_name=form.cleaned_data["display_name"],
                    neuropathy_kind=form.cleaned_data["neuropathy_kind"],
                    practitioner=practitioner,
                    date_of_birth=form.cleaned_data["date_of_birth"],
                    record_number=form.cleaned_data["record_number"],
                    # Only when the clinic offers a choice; "" is the clinic's language.
                    language=form.cleaned_data.get("language", ""),
                )
                if email:
                    invitation, token = Invitation.issue(patient, practitioner, timezone.now())
                audit.record(request, audit.CREATE, patient, "patient", patient.public_id)
        except IntegrityError:
            # The same address or record number was added a moment ago (a double
            # submit or a colleague).
            number = form.cleaned_data["record_number"]
            if number and Patient.objects.filter(record_number__iexact=number).exists():
                form.add_error(
                    "record_number", _("Another patient already has this record number.")
                )
            else:
                form.add_error(
                    "email", _("Someone already has an account with this email address.")
                )
        else:
            if email:
                send_invitation(request, invitation, token)
                messages.success(request, _("%(name)s was added.") % {"name": patient.display_name})
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s was added, with the username %(username)s. They have no "
                        "email address: print a sign-in sheet for them to join."
                    )
                    % {"name": patient.display_name, "username": user.username},
                )
            return redirect(patient)
    ctx = {"form": form, "valid_days": Invitation.VALID_FOR.days}
    return render(request, "tracker/patient_add.html", ctx)


@practitioner_required
@require_POST
def resend_invitation(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    if patient.user.has_usable_password():
        messages.info(
            request,
            _(
                "%(name)s already has an account, so no new link was sent. If they forgot "
                "their password, send them a password reset email or print a sign-in sheet."
            )
            % {"name": patient.display_name},
        )
        return redirect(patient)
    if not patient.user.email:
        messages.warning(
            request,
            _(
                "Nothing was sent: %(name)s has no email address. Print a sign-in sheet for "
                "them instead, or add their email address."
            )
            % {"name": patient.display_name},
        )
        return redirect(patient)
    with transaction.atomic():
        invitation, token = Invitation.issue(patient, request.user.practitioner, timezone.now())
        audit.record(request, audit.CREATE, patient, "invitation", detail="earlier links revoked")
    send_invitation(request, invitation, token)
    messages.success(request, _("A new link was sent. Earlier links no longer work."))
    return redirect(patient)


def send_invitation(request, invitation, token):
    """Email the link and keep it in the session for the patient page to show once."""
    patient = invitation.patient
    # From the configured address, not the request's Host header (which the client picks).
    link = settings.SITE_URL + reverse("tracker:accept_invitation", args=[token])
    # Names, the link and its expiry only: an email leaves the clinic's hands, so it
    # carries no health data (no neuropathy kind, scores or notes).
    ctx = {
        "name": patient.display_name,
        "practitioner_name": invitation.created_by.display_name,
        "clinic_name": settings.CLINIC_NAME,
        "link": link,
        "expires_at": invitation.expires_at,
        # The email address, unless the patient was added without one and given a username.
        "username": patient.user.get_username(),
        "email": patient.user.email,
    }
    # In the patient's language, not the practitioner's who sends it.
    with translation.override(patient.language or settings.LANGUAGE_CODE):
        subject = _("Your Relief Tracker invitation")
        text = render_to_string("tracker/email/invitation.txt", ctx)
        html = render_to_string("tracker/email/invitation.html", ctx)
    try:
        # A plain-text part and an HTML alternative (send_mail builds EmailMultiAlternatives).
        send_mail(
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [patient.user.email],
            html_message=html,
        )
    except OSError:  # smtplib.SMTPException is an OSError too
        logger.exception("Could not send the invitation email for patient %s", patient.public_id)
        messages.warning(
            request,
            _("The email could not be sent. Copy the link below and give it to the patient."),
        )
    request.session[SESSION_KEY] = {
        "patient": str(patient.public_id),
        "url": link,
        "email": patient.user.email,
        "expires_at": invitation.expires_at.isoformat(),
    }


def pop_invitation_link(request, patient):
    """The link just made for this patient, once; None otherwise.

    Returns a dict with url, email and expires_at (a datetime) for
    tracker/invitation_sent.html. The link leaves the session either way, and a
    link made for another patient is never returned, so it cannot be shown on
    the wrong patient's page.
    """
    saved = request.session.pop(SESSION_KEY, None)
    if not saved or saved.get("patient") != str(patient.public_id):
        return None
    return {
        "url": saved["url"],
        "email": saved["email"],
        "expires_at": datetime.fromisoformat(saved["expires_at"]),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    """Open to anyone with the link, or the code from a sheet. Every invalid one gets the
    same plain page.

    The page speaks the patient's language when one was chosen for them (at "Add a
    patient", or by themselves), and, when the clinic offers more than one, lets them
    choose it with their password: the one they send is used for the page it comes back
    to, and once the password is set it is theirs (Patient.language) from then on."""
    invitation = Invitation.find(token)
    if invitation is None:
        return invalid(request, "unknown")
    if invitation.patient is None:
        # A practitioner or staff member invited from the Team page: the browser's language.
        return accept_in_language(request, invitation, "")
    offered = languages.offered()
    code = invitation.patient.language if invitation.patient.language in offered else ""
    if request.method == "POST" and len(offered) > 1 and request.POST.get("language") in offered:
        code = request.POST["language"]
    if not code:
        return accept_in_language(request, invitation, code)
    with translation.override(code):
        response = accept_in_language(request, invitation, code)
    return response


def accept_in_language(request, invitation, code):
    """accept_invitation, in the language `code` ("" for the browser's)."""
    user = invitation.user
    patient = invitation.patient  # None for a member of the team
    reason = refusal(invitation, user, timezone.now())
    if reason:
        return invalid(request, reason, patient)
    new_password = invitation.purpose == InvitationPurpose.RESET
    ctx = {"username": user.get_username(), "new_password": new_password}
    if request.user.is_authenticated and request.user != user:
        # Do not sign anyone out on a GET; let them choose to.
        ctx["signed_in_as"] = request.user.get_username()
        return render(request, "tracker/invitation_accept.html", ctx)

    form_class = ChooseNewPasswordForm if new_password else ChoosePasswordForm
    form = form_class(user, request.POST if request.method == "POST" else None)
    if patient is not None:
        offer_language_choice(form, code or translation.get_language())
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("language")
        with transaction.atomic():
            # Lock the account, then the link, and look again: of two submits only the
            # first sets a password, and a password that staff set meanwhile wins. (A
            # password save writes the user row before it revokes links: the same order.)
            account = get_user_model().objects.select_for_update().get(pk=user.pk)
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            now = timezone.now()
            reason = refusal(locked, account, now)
            if reason is None:
                # Marked used first: saving the password then revokes only the
                # patient's other open links (tracker/models.py), not this one.
                locked.used_at = now
                locked.save(update_fields=["used_at"])
                form.save(commit=False)
                # Only the password: the rest of the row may have changed since it was read.
                user.save(update_fields=["password"])
                if chosen:
                    patient.language = chosen
                    patient.save(update_fields=["language"])
                way = (
                    "a sign-in sheet"
                    if locked.channel == InvitationChannel.SHEET
                    else "an invitation"
                )
                audit.record(
                    request,
                    audit.UPDATE,
                    patient,
                    "account",
                    detail=f"password set from {way}"
                    + ("; other sessions ended" if new_password else ""),
                    user=user,
                )
        if reason:
            return invalid(request, reason, patient)
        # A second factor, for those who have one, is asked next (SecondFactorMiddleware).
        # Our backend: its get_user reads the profile with the user (one query a request).
        login(request, user, backend="tracker.backends.UsernameOrEmailBackend")
        if chosen:
            languages.remember(request, chosen)
        if new_password:
            messages.success(
                request,
                _(
                    "Your new password is set. If you were signed in on another device, you "
                    "were signed out there. Next time, sign in with %(username)s."
                )
                % {"username": user.get_username()},
            )
        else:
            messages.success(
                request,
                _("Welcome, %(name)s. Your password is set. Next time, sign in with %(username)s.")
                % {"name": display_name_of(user), "username": user.get_username()},
            )
        if patient is None:
            # Practitioners and staff set up their authenticator app next
            # (SecondFactorMiddleware), then go on to their home page.
            return redirect("tracker:home")
        # A new patient with an address to send to is asked once about reminders.
        asked = not new_password and user.email
        response = redirect(reverse("tracker:reminders") + "?welcome=1" if asked else "tracker:log")
        if chosen:
            languages.set_cookie(response, request, chosen)
        return response
    ctx["form"] = form
    return render(request, "tracker/invitation_accept.html", ctx)


def display_name_of(user):
    """A patient's or practitioner's display name; a staff member's name, else the username."""
    profile = getattr(user, "patient", None) or getattr(user, "practitioner", None)
    if profile is not None:
        return profile.display_name
    return user.get_full_name() or user.get_username()


def refusal(invitation, user, now):
    """Why the link cannot set this user's password now (a key of INVALID_REASONS), or None."""
    if not user.is_active:
        return "unknown"
    state = invitation.state(now)
    if state == "used":
        return state
    if user.has_usable_password() and invitation.purpose == InvitationPurpose.JOIN:
        # Whoever holds the email must not replace a password the account already has
        # (set by staff, say, while the link was still open).
        return "has_password"
    return None if state == "valid" else state


def invalid(request, reason, patient=None):
    if reason == "has_password":
        # Someone tried to take over an account through its old link: on the record.
        audit.record(
            request,
            audit.DENIED,
            patient,
            "invitation",
            detail="link refused: the account already has a password",
        )
    return render(
        request, "tracker/invitation_invalid.html", {"reason": str(INVALID_REASONS[reason])}
    )


@practitioner_required
@require_POST
def send_password_reset(request, public_id):
    """Email the patient a link to choose a new password (the one the sign-in page sends)."""
    patient = access.get_patient_or_404(request, public_id)
    user = patient.user
    if not user.email:
        messages.warning(
            request,
            _(
                "Nothing was sent: %(name)s has no email address. "
                "Print a sign-in sheet for them instead."
            )
            % {"name": patient.display_name},
        )
    elif not user.has_usable_password():
        messages.info(
            request,
            _(
                "%(name)s has not chosen a password yet, so no reset email was sent. "
                "Send a new invitation link, or print a sign-in sheet."
            )
            % {"name": patient.display_name},
        )
    else:
        outcome = recovery.reset_by_email(request, user, timezone.now())
        if outcome == recovery.SENT:
            messages.success(
                request,
                ngettext(
                    "An email with a link to choose a new password was sent to %(email)s. "
                    "The link works once, for %(hours)s hour.",
                    "An email with a link to choose a new password was sent to %(email)s. "
                    "The link works once, for %(hours)s hours.",
                    recovery.LINK_HOURS,
                )
                % {"email": user.email, "hours": recovery.LINK_HOURS},
            )
        elif outcome == recovery.NOT_SENT_LIMIT:
            messages.warning(
                request,
                ngettext(
                    "Nothing was sent: %(count)s reset email went to this patient in the last "
                    "hour. Print a sign-in sheet instead.",
                    "Nothing was sent: %(count)s reset emails went to this patient in the last "
                    "hour. Print a sign-in sheet instead.",
                    recovery.EMAILS_PER_ACCOUNT_PER_HOUR,
                )
                % {"count": recovery.EMAILS_PER_ACCOUNT_PER_HOUR},
            )
        else:
            messages.warning(
                request,
                _("The email could not be sent. Print a sign-in sheet for the patient instead."),
            )
    return redirect(patient)


@never_cache
@practitioner_required
@require_POST
def sign_in_sheet(request, public_id):
    """A printable sheet with a short link and its QR code: to join, or to choose a new password.

    The code is shown in this response only (it is stored as a hash): printing
    again makes a new sheet, and the older one stops working.
    """
    patient = access.get_patient_or_404(request, public_id)
    with transaction.atomic():
        invitation, code = Invitation.issue(
            patient, request.user.practitioner, timezone.now(), InvitationChannel.SHEET
        )
        # The audit trail is a record, kept in English whatever the page speaks.
        with translation.override(None):
            purpose = invitation.get_purpose_display().lower()
        audit.record(
            request,
            audit.CREATE,
            patient,
            "sign_in_sheet",
            detail=f"printed sign-in sheet ({purpose}); earlier links revoked",
        )
    # The sheet itself speaks the patient's language (the page around it, the practitioner's).
    ctx = sheet_context(
        invitation, code, patient.display_name, patient.get_absolute_url(), language_of(patient)
    )
    return render(request, "tracker/sign_in_sheet.html", ctx)


def sheet_context(invitation, code, name, back_url, sheet_language):
    """What tracker/sign_in_sheet.html shows: for a patient here, for a new member of the
    team on the Team page (tracker/views/staff.py)."""
    link = settings.SITE_URL + reverse("tracker:sheet_link", args=[grouped(code)])
    with translation.override(sheet_language):
        qr_label = _("QR code that opens the link on this sheet")
    return {
        "sheet_language": sheet_language,
        "name": name,
        "back_url": back_url,
        "invitation": invitation,
        "new_password": invitation.purpose == InvitationPurpose.RESET,
        "username": invitation.user.get_username(),
        "link": link,
        # What to type: the address without the scheme, which browsers add.
        "typed_site": link.split("://", 1)[1].removesuffix(f"{grouped(code)}/"),
        "code": grouped(code),
        "qr": qr_svg(link, qr_label),
        "clinic_name": settings.CLINIC_NAME,
        "sign_in": (settings.SITE_URL + reverse("login")).split("://", 1)[1],
    }


@practitioner_required
@require_POST
def add_patient_email(request, public_id):
    """An email address for a patient added without one. Changing an address is for staff."""
    patient = access.get_patient_or_404(request, public_id)
    user = patient.user
    if user.email:
        messages.info(
            request,
            _("%(name)s already has an email address. Clinic staff can change it.")
            % {"name": patient.display_name},
        )
        return redirect(patient)
    form = PatientEmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["email"]))
        return redirect(patient)
    user.email = form.cleaned_data["email"]
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
            audit.record(request, audit.UPDATE, patient, "account", detail="email address added")
    except IntegrityError:
        # Someone took the address a moment ago (the index ignores case).
        messages.error(request, _("Someone already has an account with this email address."))
        return redirect(patient)
    if user.has_usable_password():
        messages.success(
            request, _("The email address %(email)s was added.") % {"email": user.email}
        )
    else:
        messages.success(
            request,
            _(
                "The email address %(email)s was added. You can now send %(name)s an "
                "invitation link."
            )
            % {"email": user.email, "name": patient.display_name},
        )
    return redirect(patient)
