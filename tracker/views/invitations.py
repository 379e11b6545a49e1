"""Adding patients and inviting them: there is no open sign-up.

A practitioner adds a patient, who gets a single-use link (by email, and shown
once to the practitioner to copy). The link lets the patient choose a password.
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
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tracker import access, audit
from tracker.access import practitioner_required
from tracker.forms import AddPatientForm, ChoosePasswordForm
from tracker.models import Invitation, Patient

logger = logging.getLogger(__name__)

# The session key that carries a new link to the patient page, which shows it once.
SESSION_KEY = "invitation_link"

# What the invalid-link page says for each state of an invitation.
INVALID_REASONS = {
    "used": "This link has already been used. If you set your password, sign in. "
    "If not, ask the clinic for a new link.",
    "expired": f"This link has expired. Links work for {Invitation.VALID_FOR.days} days. "
    "Ask the clinic for a new one.",
    "revoked": "A newer link was sent; use the newest one, or ask the clinic.",
    "has_password": "This account already has a password, so this link no longer works. "
    "Sign in with your password. If you forgot it, ask the clinic.",
    "unknown": "This link is not valid.",
}


@practitioner_required
@require_http_methods(["GET", "POST"])
def add_patient(request):
    practitioner = request.user.practitioner
    form = AddPatientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            with transaction.atomic():
                user = get_user_model()(username=email, email=email)
                user.set_unusable_password()
                user.save()
                patient = Patient.objects.create(
                    user=user,
                    display_name=form.cleaned_data["display_name"],
                    neuropathy_kind=form.cleaned_data["neuropathy_kind"],
                    practitioner=practitioner,
                )
                invitation, token = Invitation.issue(patient, practitioner, timezone.now())
                audit.record(request, audit.CREATE, patient, "patient", patient.public_id)
        except IntegrityError:
            # The same address was added a moment ago (a double submit or a colleague).
            form.add_error("email", "Someone already has an account with this email address.")
        else:
            send_invitation(request, invitation, token)
            messages.success(request, f"{patient.display_name} was added.")
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
            f"{patient.display_name} already has an account, so no new link was sent. "
            "If they forgot their password, ask clinic staff.",
        )
        return redirect(patient)
    with transaction.atomic():
        invitation, token = Invitation.issue(patient, request.user.practitioner, timezone.now())
        audit.record(request, audit.CREATE, patient, "invitation", detail="earlier links revoked")
    send_invitation(request, invitation, token)
    messages.success(request, "A new link was sent. Earlier links no longer work.")
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
        "username": patient.user.email,
    }
    try:
        # A plain-text part and an HTML alternative (send_mail builds EmailMultiAlternatives).
        send_mail(
            "Your Relief Tracker invitation",
            render_to_string("tracker/email/invitation.txt", ctx),
            settings.DEFAULT_FROM_EMAIL,
            [patient.user.email],
            html_message=render_to_string("tracker/email/invitation.html", ctx),
        )
    except OSError:  # smtplib.SMTPException is an OSError too
        logger.exception("Could not send the invitation email for patient %s", patient.public_id)
        messages.warning(
            request,
            "The email could not be sent. Copy the link below and give it to the patient.",
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
    """Open to anyone with the link. Every invalid link gets the same plain page."""
    invitation = (
        Invitation.objects.select_related("patient__user").filter(token_hash=Invitation.hash(token))
    ).first()
    if invitation is None:
        return invalid(request, "unknown")
    user = invitation.patient.user
    reason = refusal(invitation, user, timezone.now())
    if reason:
        return invalid(request, reason, invitation.patient)
    ctx = {"username": user.get_username()}
    if request.user.is_authenticated and request.user != user:
        # Do not sign anyone out on a GET; let them choose to.
        ctx["signed_in_as"] = request.user.get_username()
        return render(request, "tracker/invitation_accept.html", ctx)

    form = ChoosePasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
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
                audit.record(
                    request,
                    audit.UPDATE,
                    invitation.patient,
                    "account",
                    detail="password set from an invitation",
                    user=user,
                )
        if reason:
            return invalid(request, reason, invitation.patient)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            f"Welcome, {invitation.patient.display_name}. Your password is set. "
            f"Next time, sign in with {user.get_username()}.",
        )
        return redirect(reverse("tracker:reminders") + "?welcome=1")
    ctx["form"] = form
    return render(request, "tracker/invitation_accept.html", ctx)


def refusal(invitation, user, now):
    """Why the link cannot set this user's password now (a key of INVALID_REASONS), or None."""
    if not user.is_active:
        return "unknown"
    state = invitation.state(now)
    if state == "used":
        return state
    if user.has_usable_password():
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
    return render(request, "tracker/invitation_invalid.html", {"reason": INVALID_REASONS[reason]})
