"""A patient asks for their account and data to be erased (issue 19).

The request waits for clinic staff, who carry it out or decline it in the admin
(tracker/admin.py, tracker/erasure.py). The patient sees where it stands on /account/.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from tracker import audit
from tracker.access import patient_required
from tracker.deletion import REASON_MAX_LENGTH, DeletionRequest, DeletionStatus

ALREADY_ASKED = gettext_lazy(
    "You have already asked for your account to be erased. The clinic will answer here."
)


class DeletionRequestForm(forms.Form):
    """The confirm step: the patient's password again, and an optional reason."""

    reason = forms.CharField(
        label=gettext_lazy("Why? (optional)"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX_LENGTH}),
        help_text=gettext_lazy(
            "You do not have to say. Only the clinic staff who handle requests read it."
        ),
        error_messages={
            "max_length": gettext_lazy(
                "Please keep it to %(limit_value)d characters (this has %(show_value)d)."
            )
        },
    )
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=gettext_lazy(
            "The one you sign in with: so that nobody else can ask in your name."
        ),
        error_messages={"required": gettext_lazy("Please type your password.")},
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password. Please type the password you sign in with.")
            )
        return password


def account_context(patient):
    """What the erasure part of /account/ shows (tracker/account_erase.html)."""
    return {"deletion_request": patient.deletion_requests.first()}


@never_cache
@sensitive_post_parameters("password")
@patient_required
@require_http_methods(["GET", "POST"])
def erase_account(request):
    """What erasing means, then the confirm step; one open request at a time."""
    patient = request.user.patient
    if patient.deletion_requests.filter(status=DeletionStatus.OPEN).exists():
        messages.info(request, ALREADY_ASKED)
        return redirect("account")
    form = DeletionRequestForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    made = DeletionRequest.objects.create(
                        patient=patient,
                        reason=form.cleaned_data["reason"],
                        requested_at=timezone.now(),
                    )
                    audit.record(request, audit.CREATE, patient, "deletion request", made.pk)
            except IntegrityError:
                # Two taps at once: the constraint let one through.
                messages.info(request, ALREADY_ASKED)
                return redirect("account")
            messages.success(
                request,
                _("Thank you. The clinic has your request and will answer on this page."),
            )
            return redirect("account")
        if form.has_error("password"):
            audit.record(
                request, audit.DENIED, patient, "deletion request", detail="wrong password"
            )
    ctx = {"form": form, "retention_years": settings.CLINIC_RETENTION_YEARS}
    return render(request, "tracker/erase_account.html", ctx)


@patient_required
@require_POST
def withdraw_request(request):
    """The patient takes back their open request; nothing was erased."""
    patient = request.user.patient
    with transaction.atomic():
        found = (
            DeletionRequest.objects.select_for_update()
            .filter(patient=patient, status=DeletionStatus.OPEN)
            .first()
        )
        if found is not None:
            found.status = DeletionStatus.WITHDRAWN
            found.decided_at = timezone.now()
            found.decided_by = request.user
            found.save(update_fields=["status", "decided_at", "decided_by"])
            audit.record(
                request, audit.UPDATE, patient, "deletion request", found.pk, detail="withdrawn"
            )
    if found is None:
        messages.info(request, _("You have no request waiting: there was nothing to withdraw."))
    else:
        messages.success(request, _("Your request is withdrawn. Nothing was erased."))
    return redirect("account")
