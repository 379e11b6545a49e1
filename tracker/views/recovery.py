"""A forgotten password: a reset link by e-mail, from the sign-in page or the practitioner.

Django's token makes the link: it works for PASSWORD_RESET_TIMEOUT (1 hour), and
once, because it is signed over the password hash, which the reset changes. The
new password ends every other session of the user and revokes open invitations
(the signal handlers in tracker/security.py and tracker/models.py); the second
factor is still asked afterwards (SecondFactorMiddleware). Every request, link
and new password is an audit row, and the rows are what the limits count, so
the limits hold across processes and restarts.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from tracker import audit, languages
from tracker.backends import find_user
from tracker.forms import ChooseNewPasswordForm, ForgotPasswordForm
from tracker.models import AuditEvent

logger = logging.getLogger(__name__)

RESET = "password_reset"
LINK_HOURS = settings.PASSWORD_RESET_TIMEOUT // 3600
# A patient who taps twice, then once more, still gets a link; a stranger cannot
# fill someone's inbox.
EMAILS_PER_ACCOUNT_PER_HOUR = 3
# Per client address, whatever was typed: someone trying address after address
# to see what happens is slowed down without learning anything.
REQUESTS_PER_ADDRESS_PER_HOUR = 10

SENT = "reset e-mail sent"
NOT_SENT_LIMIT = f"reset e-mail not sent: {EMAILS_PER_ACCOUNT_PER_HOUR} in the last hour"
NOT_SENT_FAILED = "reset e-mail could not be sent"
NO_ACCOUNT = "reset asked: no active account with an e-mail address matched"


def recent_requests(since, **which):
    return AuditEvent.objects.filter(
        action=audit.CREATE, object_type=RESET, at__gte=since, **which
    ).count()


def emails_sent_recently(user, now):
    return recent_requests(now - timedelta(hours=1), object_id=str(user.pk), detail=SENT)


def send_reset_email(user):
    """E-mail the user a link to choose a new password. Raises OSError if it cannot be sent."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    # From the configured address, not the request's Host header (which the client picks).
    link = settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])
    patient = getattr(user, "patient", None)
    practitioner = getattr(user, "practitioner", None)
    name = (patient or practitioner).display_name if (patient or practitioner) else ""
    # The name, the username and the link only: no health data leaves in an e-mail.
    ctx = {
        "name": name,
        "username": user.get_username(),
        "clinic_name": settings.CLINIC_NAME,
        "link": link,
        "hours": LINK_HOURS,
        "sign_in": settings.SITE_URL + reverse("login"),
    }
    # In the recipient's language, whoever asked for it (a practitioner, say).
    with translation.override(languages.language_for(user)):
        send_mail(
            _("Choose a new Relief Tracker password"),
            render_to_string("tracker/email/password_reset.txt", ctx),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
            html_message=render_to_string("tracker/email/password_reset.html", ctx),
        )


def reset_by_email(request, user, now):
    """Send the link unless the account had its share this hour; audited. Returns the outcome."""
    patient = getattr(user, "patient", None)
    if emails_sent_recently(user, now) >= EMAILS_PER_ACCOUNT_PER_HOUR:
        detail = NOT_SENT_LIMIT
    else:
        try:
            send_reset_email(user)
        except OSError:  # smtplib.SMTPException is an OSError too
            logger.exception("Could not send the password reset e-mail to user %s", user.pk)
            detail = NOT_SENT_FAILED
        else:
            detail = SENT
    audit.record(request, audit.CREATE, patient, RESET, user.pk, detail=detail)
    return detail


def active_account(identifier):
    """The active account with an e-mail address that this username or address names, or None."""
    user = find_user(get_user_model(), identifier)
    if user is None or not user.is_active or not user.email:
        return None
    return user


@never_cache
@require_http_methods(["GET", "POST"])
def forgot_password(request):
    """Ask for a link. The answer is the same page whether or not the account exists."""
    form = ForgotPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        now = timezone.now()
        ip = audit.client_ip(request)
        since = now - timedelta(hours=1)
        if ip and recent_requests(since, ip=ip) >= REQUESTS_PER_ADDRESS_PER_HOUR:
            # Says nothing about any account: the same for every name typed.
            audit.record(request, audit.DENIED, object_type=RESET, detail="too many requests")
            return render(
                request,
                "registration/password_reset_form.html",
                {"form": form, "too_many": True},
                status=429,
            )
        if form.is_valid():
            user = active_account(form.cleaned_data["identifier"])
            if user is None:
                audit.record(request, audit.CREATE, object_type=RESET, detail=NO_ACCOUNT)
            else:
                reset_by_email(request, user, now)
            return redirect("password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})


@require_safe
def forgot_password_done(request):
    return render(request, "registration/password_reset_done.html", {"hours": LINK_HOURS})


class ResetPassword(auth_views.PasswordResetConfirmView):
    """Django's view for the link in the e-mail, signing in afterwards.

    Signing in goes through login(), so a user with a second factor is asked for
    it before any page (SecondFactorMiddleware).
    """

    form_class = ChooseNewPasswordForm
    template_name = "registration/password_reset_confirm.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("tracker:home")

    @transaction.atomic
    def dispatch(self, *args, **kwargs):
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and response.status_code == 200:
            audit.record(
                self.request,
                audit.DENIED,
                object_type=RESET,
                detail="reset link refused: expired, used or not valid",
            )
        elif kwargs["token"] != self.reset_url_token and response.status_code == 302:
            # A valid link was opened; Django keeps its token in the session from here.
            patient = getattr(self.user, "patient", None)
            audit.record(
                self.request, audit.VIEW, patient, RESET, self.user.pk, "reset link opened"
            )
        return response

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A link sent before the account was closed must not reopen it.
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(
            self.request,
            audit.UPDATE,
            getattr(self.user, "patient", None),
            "account",
            detail="password set from a reset link; other sessions ended",
            user=self.user,
        )
        messages.success(
            self.request,
            _(
                "Your new password is set. If you were signed in on another device, you were "
                "signed out there. Next time, sign in with %(username)s."
            )
            % {"username": self.user.get_username()},
        )
        return response

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["hours"] = LINK_HOURS
        if self.validlink:
            ctx["username"] = self.user.get_username()
        return ctx
