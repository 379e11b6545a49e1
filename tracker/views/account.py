"""The signed-in user's own account: second factor, password, and a patient's own data."""

from base64 import b32encode

import django_otp
import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker import access, audit, languages, security
from tracker.access import patient_required
from tracker.forms import LanguageForm
from tracker.mnsi import MAX_SCORE as MNSI_MAX_SCORE
from tracker.reported import Reported, impression_words
from tracker.views import erasure, reminders

USERNAME_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the username's length checked before anything is written.

    Django sets the field's max_length without a validator, so an overlong
    name reached authenticate(), and django-axes' insert of it failed (a 500
    on PostgreSQL). No account has a longer name than the model allows, so a
    longer one is refused here, with a form error, and recorded (SignIn).
    """

    username = UsernameField(
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autofocus": True}),
        error_messages={
            "max_length": gettext_lazy(
                "A username has at most %(limit_value)d characters. Please check what you typed."
            ),
        },
    )


class SignIn(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        # After a time-out: why (once; the cookie that told it is removed with this response).
        ctx["signed_out_reason"] = reason = security.signed_out_reason(self.request)
        if reason:
            self.request.relief_forget_seen = True
        return ctx

    def form_invalid(self, form):
        # A username the form refuses never reaches authenticate(), so no
        # user_login_failed signal records the attempt: record it here.
        if form.has_error("username") and not form.has_error("username", "required"):
            audit.sign_in_refused(self.request, form.data.get("username", ""))
        return super().form_invalid(form)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "form-control form-control-lg otp-input",
            }
        ),
        error_messages={"required": gettext_lazy("Please type the code.")},
    )


def next_url(request):
    """Where to go after the second factor: a safe ?next= on our site, or home."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("tracker:home")


def mark_verified(request, device):
    django_otp.login(request, device)
    request.session[security.HAS_DEVICE] = True
    # More rights from here on: a new session key, as at sign-in.
    request.session.cycle_key()
    security.track_session(request, request.user)


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second step of signing in: a code from the authenticator app, or a backup code."""
    user = request.user
    if user.is_verified() or not security.has_confirmed_device(user):
        return redirect(next_url(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        check = security.verify_code(user, form.cleaned_data["code"])
        if device := check.device:
            mark_verified(request, device)
            backup = device.name == security.BACKUP_DEVICE_NAME
            audit.second_factor_passed(request, "backup code" if backup else "authenticator app")
            if backup:
                left = security.backup_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a backup code; %(left)s left. Each works once. "
                        "You can make new ones on your account page.",
                        "You used a backup code; %(left)s left. Each works once. "
                        "You can make new ones on your account page.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(next_url(request))
        elif not check.checked:
            audit.second_factor_failed(
                request, f"second-factor code not checked: {check.wait} s to wait after wrong codes"
            )
            form.add_error(
                "code",
                _("Too many wrong codes in a row. Please wait %(wait)s, then type the newest code.")
                % {"wait": wait_words(check.wait)},
            )
        else:
            audit.second_factor_failed(request, "wrong second-factor code")
            form.add_error(
                "code",
                _(
                    "That code did not work. Use the newest code from your app, "
                    "or one of your backup codes. You can try again in %(wait)s."
                )
                % {"wait": wait_words(check.wait)},
            )
    ctx = {"form": form, "next": next_url(request)}
    return render(request, "tracker/two_factor_verify.html", ctx)


def wait_words(seconds):
    """A wait in plain words: "1 second", "32 seconds", "1 minute"."""
    if seconds >= 60 and seconds % 60 == 0:
        count = seconds // 60
        words = ngettext("%(count)s minute", "%(count)s minutes", count)
    else:
        count = seconds
        words = ngettext("%(count)s second", "%(count)s seconds", count)
    return words % {"count": count}


def qr_svg(url, label):
    """The otpauth URL as an inline SVG QR code, with no style attribute (CSP)."""
    svg = segno.make(url, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=label, svgclass="qr-code"
    )
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Turn on two-step sign-in: scan the QR code, type a code to prove it works."""
    user = request.user
    if security.has_confirmed_device(user):
        messages.info(request, "Two-step sign-in is already on for your account.")
        return redirect("account")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" else None)
    # A practitioner's or staff member's first sign-in ends here; a patient
    # turning the second step on is already signed in.
    signing_in = security.second_factor_required(user) and not user.is_verified()
    if request.method == "POST" and form.is_valid():
        if device.verify_token(security.normalise_code(form.cleaned_data["code"])):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            mark_verified(request, device)
            if signing_in:
                audit.second_factor_passed(request, "new authenticator app")
            codes = security.new_backup_codes(user)
            ctx = {"codes": codes, "first_time": True, "next": next_url(request)}
            # Shown once, in this response: the codes are not kept in the session.
            return render(request, "tracker/two_factor_backup_codes.html", ctx)
        if signing_in:
            audit.second_factor_failed(request, "wrong code from a new authenticator app")
        form.add_error(
            "code",
            _("That code did not work. Check the time on your phone and use the newest code."),
        )
    secret = b32encode(device.bin_key).decode()
    ctx = {
        "form": form,
        "qr": qr_svg(device.config_url, _("QR code for your authenticator app")),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "required": security.second_factor_required(user),
        "next": next_url(request),
    }
    return render(request, "tracker/two_factor_setup.html", ctx)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def backup_codes(request):
    """How many backup codes are left; a new set (shown once) on request."""
    user = request.user
    if not security.has_authenticator(user):
        return redirect("two_factor_setup")
    ctx = {"left": security.backup_codes_left(user), "next": reverse("account")}
    if request.method == "POST":
        ctx["codes"] = security.new_backup_codes(user)
    return render(request, "tracker/two_factor_backup_codes.html", ctx)


@login_required
@require_safe
def account(request):
    user = request.user
    role = access.role_of(user)
    ctx = {
        "two_factor_on": security.has_authenticator(user),
        "two_factor_required": security.second_factor_required(user),
        "backup_left": security.backup_codes_left(user),
        "is_patient": role == access.PATIENT,
    }
    if role == access.PATIENT:
        ctx.update(reminders.account_context(user.patient))
        ctx.update(erasure.account_context(user.patient))
    if len(languages.offered()) > 1 and languages.profile_of(user) is not None:
        chosen = languages.chosen_by(user) or translation.get_language()
        ctx["language_form"] = LanguageForm(initial={"language": chosen})
    return render(request, "tracker/account.html", ctx)


@require_POST
def switch_language(request):
    """The signed-out pages' switcher: the language cookie, then back to the page it was
    on (only a page of this site), else the sign-in page."""
    code = request.POST.get("language", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("login")
    response = redirect(back)
    if code in languages.offered():
        languages.set_cookie(response, request, code)
    return response


@login_required
@require_POST
def choose_language(request):
    """Keep the user's language: on their row, in this session, and in the language cookie,
    so that the sign-in page speaks it too after they sign out."""
    form = LanguageForm(request.POST)
    profile = languages.profile_of(request.user)
    if profile is None or not form.is_valid():
        messages.error(request, _("That language cannot be chosen here."))
        return redirect("account")
    code = form.cleaned_data["language"]
    profile.language = code
    profile.save(update_fields=["language"])
    languages.remember(request, code)
    messages.success(request, _("The app now speaks your language."))
    response = redirect("account")
    languages.set_cookie(response, request, code)
    return response


class PasswordChange(auth_views.PasswordChangeView):
    """Django's view; saving the new password ends the user's other sessions (security.py)."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Django gave this session a new key; the old ones are gone.
        security.track_session(self.request, self.request.user)
        messages.success(
            self.request, _("Your password is changed. You were signed out everywhere else.")
        )
        return response


def iso(value):
    return timezone.localtime(value).isoformat() if value else None


def reported_data(patient):
    """What the patient reported beside the scores (issue 18), for their download: five
    queries, whatever the number. Sessions are named by their time, as in "sessions"."""
    found = Reported(patient, mnsi=True)
    return {
        "medicines": [
            {
                "name": m.name,
                "dose": m.dose,
                "started": m.started.isoformat() if m.started else None,
                "stopped": m.stopped.isoformat() if m.stopped else None,
            }
            for m in patient.medicines.all()
        ],
        "medicine_events": [
            {
                "at": iso(e.occurred_at),
                "what": e.get_kind_display(),
                "medicine": e.medicine.name if e.medicine else None,
                "note": e.note,
            }
            for e in found.medicine_events
        ],
        "weekly_answers": [
            {
                "week_of": a.week_of.isoformat(),
                "answered_at": iso(a.answered_at),
                "sleep_interference": a.sleep_interference,
                "fell": a.fell,
            }
            for a in found.weekly_answers
        ],
        "impressions_of_change": [
            {
                "session": iso(i.session.when),
                "answered_at": iso(i.answered_at),
                "answer": i.answer,
                "in_words": impression_words(i.answer),
            }
            for i in found.impressions
        ],
        "side_effects": [
            {
                "session": iso(r.session.when),
                "answered_at": iso(r.answered_at),
                "effects": r.labels() or None,
            }
            for r in found.side_effects
        ],
        # The MNSI questionnaire (tracker/mnsi.py): each item with the answer given.
        "mnsi": [
            {
                "answered_at": iso(m.answered_at),
                "score": m.score,
                "out_of": MNSI_MAX_SCORE,
                "answers": [{"question": q, "yes": yes} for q, yes in m.yes_no()] or None,
            }
            for m in found.mnsi
        ],
    }


@never_cache
@patient_required
@require_safe
def my_data(request):
    """Everything we hold about the signed-in patient, as a JSON download.

    The practitioner's clinical notes on sessions are theirs, not part of it (and
    not even read); so are flag reviews and the discharge note.
    """
    patient = request.user.patient
    audit.record(request, audit.EXPORT, patient, "json", detail="patient's own data")
    data = {
        "exported_at": iso(timezone.now()),
        "profile": {
            "username": request.user.get_username(),
            "email": request.user.email,
            "name": patient.display_name,
            "neuropathy_kind": patient.get_neuropathy_kind_display(),
            "practitioner": patient.practitioner.display_name,
            "joined": iso(patient.created_at),
            # Their own identity details, which no page of theirs shows (issue 16).
            "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
            "clinic_record_number": patient.record_number,
            # The date only: the practitioner's discharge note is theirs, like session notes.
            "course_finished_on": (
                patient.discharged_on.isoformat() if patient.discharged_on else None
            ),
        },
        "entries": [
            {
                "recorded_at": iso(e.recorded_at),
                "saved_at": iso(e.created_at),
                **{symptom.name: score for symptom, score in e.scores()},
                "locations": e.location_labels(),
                "note": e.note,
                # Scores the patient stated at a session, entered by the practitioner.
                "entered_in_clinic_by": e.entered_by.display_name if e.in_clinic else None,
            }
            for e in patient.entries.select_related("entered_by").order_by("recorded_at")
        ],
        "sessions": [
            {"when": iso(s.when), "status": s.get_status_display(), "points_used": s.points_used}
            for s in patient.sessions.order_by("when").defer("notes")
        ],
        **reported_data(patient),
    }
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    filename = f"relief-tracker-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
