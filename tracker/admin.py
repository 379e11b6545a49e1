from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from tracker import audit, erasure, mnsi, symptoms
from tracker.deletion import REASON_MAX_LENGTH
from tracker.models import (
    AuditEvent,
    CareTeamMember,
    DeletionRequest,
    GlobalImpression,
    Medicine,
    MedicineEvent,
    MnsiAnswer,
    Patient,
    Practitioner,
    SideEffectReport,
    SymptomEntry,
    TreatmentSession,
    WeeklyAnswer,
)


class AuditedAdmin(admin.ModelAdmin):
    """An admin for patient data that writes to the audit trail like the app's own pages.

    Saves and deletes record inside the admin's transaction; a list records one
    row per object shown (one INSERT), a form or delete page one row.
    """

    audit_type = ""
    # Loaded with a bulk delete's objects, for patient_of().
    audit_related = ("patient",)

    def patient_of(self, obj):
        return obj.patient

    def object_id_of(self, obj):
        return obj.public_id

    def audit(self, request, action, objects, detail=""):
        rows = [
            audit.event(
                request,
                action,
                self.patient_of(obj),
                self.audit_type,
                self.object_id_of(obj),
                detail,
            )
            for obj in objects
        ]
        AuditEvent.objects.bulk_create(rows)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            self.audit(request, audit.VIEW, changelist.result_list)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", {}).get("original")
        if shown is not None:
            self.audit(request, audit.VIEW, [shown])
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        shown = getattr(response, "context_data", {}).get("object")
        if shown is not None:
            self.audit(request, audit.VIEW, [shown])
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.audit(request, audit.UPDATE if change else audit.CREATE, [obj])

    def delete_model(self, request, obj):
        self.audit(request, audit.DELETE, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        objects = queryset.select_related(*self.audit_related) if self.audit_related else queryset
        with transaction.atomic():
            self.audit(request, audit.DELETE, objects)
            super().delete_queryset(request, queryset)


class AuditedAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete boxes (ClinicAdminSite), recorded as lists are: a row per object.

    The patient box on the session and entry forms offers every patient's name.
    """

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if isinstance(self.model_admin, AuditedAdmin):
            objects = context["object_list"]
            self.model_admin.audit(self.request, audit.VIEW, objects, detail="admin autocomplete")
        return context


User = get_user_model()
admin.site.unregister(User)


class UserChangeIgnoringCaseForm(UserChangeForm):
    """The admin's user form: a username or address that differs from another user's
    only in case is a form error, not the unique index's IntegrityError (a 500)."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        others = User.objects.exclude(pk=self.instance.pk)
        if others.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Another user has this username (capitals aside)."))
        return username

    def clean_email(self):
        email = self.cleaned_data["email"]
        others = User.objects.exclude(pk=self.instance.pk)
        if email and others.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Another user has this e-mail address (capitals aside)."))
        return email


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    """Django's user admin, audited: patients are users, with their e-mail addresses.

    A row names the user by primary key, and the patient when the user is one.
    """

    audit_type = "user"
    form = UserChangeIgnoringCaseForm

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("patient")

    def patient_of(self, obj):
        return getattr(obj, "patient", None)

    def object_id_of(self, obj):
        return obj.pk


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "created_at"]
    search_fields = ["display_name", "user__username", "user__email"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The user field offers only accounts with no profile: never a patient's, nor one
        that is a practitioner already (the one being changed excepted). (The Team page,
        tracker/views/staff.py, makes both at once.)"""
        form = super().get_form(request, obj, change=change, **kwargs)
        if "user" in form.base_fields:
            free = Q(patient__isnull=True, practitioner__isnull=True)
            if obj is not None:
                free |= Q(pk=obj.user_id)
            field = form.base_fields["user"]
            field.queryset = field.queryset.filter(free)
        return form


class CareTeamInline(admin.TabularInline):
    """Staff add and remove a patient's care-team members here (cover during leave)."""

    model = CareTeamMember
    fields = ["practitioner", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]
    extra = 0
    verbose_name = gettext_lazy("care-team member")


@admin.register(Patient)
class PatientAdmin(AuditedAdmin):
    audit_type = "patient"
    inlines = [CareTeamInline]
    audit_related = ()
    list_display = ["display_name", "practitioner", "neuropathy_kind", "created_at"]
    list_filter = ["practitioner", "neuropathy_kind"]
    search_fields = ["display_name", "user__username", "user__email"]
    readonly_fields = ["public_id", "created_at"]
    autocomplete_fields = ["user"]

    def patient_of(self, obj):
        return obj

    # Deleting a patient here is an erasure like a carried-out request: every step of
    # tracker/erasure.py, the admin's own history of them included (a plain delete would
    # leave their name in it, and their lockout records).
    def delete_model(self, request, obj):
        erasure.erase(obj, request=request, detail="deleted in the admin")

    def delete_queryset(self, request, queryset):
        for patient in queryset:
            erasure.erase(patient, request=request, detail="deleted in the admin")

    def save_formset(self, request, form, formset, change):
        # Care-team changes from the admin are audited like those from the patient page.
        patient = form.instance
        for member in formset.save(commit=False):
            if member.pk is None:
                member.added_by = request.user
            member.save()
            name = member.practitioner.user.get_username()
            self.audit(request, audit.CREATE, [patient], f"care team: {name} added (admin)")
        for member in formset.deleted_objects:
            member.delete()
            name = member.practitioner.user.get_username()
            self.audit(request, audit.DELETE, [patient], f"care team: {name} removed (admin)")


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(AuditedAdmin):
    audit_type = "session"
    list_display = ["patient", "practitioner", "when", "status"]
    list_filter = ["practitioner", "status"]
    date_hierarchy = "when"
    autocomplete_fields = ["patient"]


@admin.register(SymptomEntry)
class SymptomEntryAdmin(AuditedAdmin):
    audit_type = "entry"
    list_display = ["patient", "recorded_at", *symptoms.NAMES, "entered_by"]
    list_filter = ["patient__practitioner"]
    date_hierarchy = "recorded_at"
    autocomplete_fields = ["patient"]
    readonly_fields = ["created_at", "public_id", "entered_by", "session"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only: staff with the view permission browse and filter it."""

    list_display = [
        "at",
        "actor",
        "actor_role",
        "action",
        "object_type",
        "patient_public_id",
        "object_id",
        "path",
        "ip",
    ]
    list_filter = ["action", "actor_role", "object_type"]
    date_hierarchy = "at"
    search_fields = ["actor", "patient_public_id", "object_id", "path", "detail"]
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    list_per_page = 100
    # The changelist counts rows once per page, not twice, on a table that only grows.
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- What patients report beside the scores (issue 18) ------------------------------


class ReportedAdmin(AuditedAdmin):
    """The patient's own answers: staff may look and delete (audited), not write them.

    They come from the patient's pages only; an answer typed by someone else would no
    longer be what the patient said.
    """

    list_filter = ["patient__practitioner"]
    autocomplete_fields = ["patient"]

    def object_id_of(self, obj):
        return obj.pk  # no public id of their own: the audit row names the patient too

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Medicine)
class MedicineAdmin(ReportedAdmin):
    audit_type = "medicine"
    list_display = ["patient", "name", "dose", "started", "stopped"]

    def object_id_of(self, obj):
        return obj.public_id


@admin.register(MedicineEvent)
class MedicineEventAdmin(ReportedAdmin):
    audit_type = "medicine event"
    list_display = ["patient", "occurred_at", "kind", "medicine", "note"]
    list_select_related = ["patient", "medicine"]
    date_hierarchy = "occurred_at"


@admin.register(WeeklyAnswer)
class WeeklyAnswerAdmin(ReportedAdmin):
    audit_type = "weekly answer"
    list_display = ["patient", "week_of", "sleep_interference", "fell", "answered_at"]
    list_select_related = ["patient"]
    date_hierarchy = "answered_at"


@admin.register(GlobalImpression)
class GlobalImpressionAdmin(ReportedAdmin):
    audit_type = "impression of change"
    list_display = ["patient", "session", "answer", "answered_at"]
    list_select_related = ["patient", "session__patient"]
    date_hierarchy = "answered_at"


@admin.register(SideEffectReport)
class SideEffectReportAdmin(ReportedAdmin):
    audit_type = "side effects"
    list_display = ["patient", "session", "effects", "answered_at"]
    list_select_related = ["patient", "session__patient"]
    date_hierarchy = "answered_at"


@admin.register(MnsiAnswer)
class MnsiAnswerAdmin(ReportedAdmin):
    """The MNSI questionnaire. Asked only with CLINIC_MNSI=1: see the licence note."""

    audit_type = "mnsi"
    list_display = ["patient", "answered_at", "score"]
    list_select_related = ["patient"]
    date_hierarchy = "answered_at"
    change_list_template = "admin/tracker/mnsianswer/change_list.html"

    def changelist_view(self, request, extra_context=None):
        extra = {
            "mnsi_on": settings.CLINIC_MNSI,
            "mnsi_licence": mnsi.LICENCE_NOTE,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)


# --- Deletion requests (issue 19) ----------------------------------------------------


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason the patient will see"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 70, "maxlength": REASON_MAX_LENGTH}),
        error_messages={"required": gettext_lazy("Please give the patient a reason.")},
    )


@admin.register(DeletionRequest)
class DeletionRequestAdmin(AuditedAdmin):
    """Patients' requests to be erased: staff carry one out or decline it, each from its
    own page with a confirmation. The request rows themselves are never edited or deleted
    here: they are the clinic's record that a patient asked, and what was done."""

    audit_type = "deletion request"
    list_display = ["pk", "requested_at", "patient", "status", "decided_at", "decided_by"]
    list_display_links = ["pk", "requested_at"]
    list_filter = ["status"]
    list_select_related = ["patient", "decided_by"]
    readonly_fields = [
        "patient",
        "status",
        "reason",
        "requested_at",
        "decided_at",
        "decided_by",
        "decline_reason",
    ]
    change_form_template = "admin/tracker/deletionrequest/change_form.html"

    def object_id_of(self, obj):
        return obj.pk

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def may_decide(self, request):
        return request.user.has_perm("tracker.change_deletionrequest")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/carry-out/", wrap(self.carry_out_view), name="deletion_carry_out"),
            path("<int:pk>/decline/", wrap(self.decline_view), name="deletion_decline"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        found = DeletionRequest.objects.filter(pk=object_id).select_related("patient").first()
        if found is not None and found.is_open and found.patient is not None:
            extra["retention_warning"] = erasure.retention_words(
                found.patient, timezone.localdate()
            )
            extra["may_decide"] = self.may_decide(request)
        return super().change_view(request, object_id, form_url, extra)

    def _open_or_back(self, request, pk):
        """The open request to decide, or (None, a redirect back with a message)."""
        if not self.may_decide(request):
            raise PermissionDenied
        found = DeletionRequest.objects.filter(pk=pk).select_related("patient__user").first()
        if found is None or not found.is_open or found.patient is None:
            self.message_user(
                request, _("That request is no longer open: nothing was changed."), messages.WARNING
            )
            return None, redirect("admin:tracker_deletionrequest_changelist")
        return found, None

    def _page(self, request, found, template, **ctx):
        self.audit(request, audit.VIEW, [found])
        today = timezone.localdate()
        ctx = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": found,
            "title": ctx.pop("title"),
            "retention_warning": erasure.retention_words(found.patient, today),
            **ctx,
        }
        return TemplateResponse(request, template, ctx)

    def carry_out_view(self, request, pk):
        found, back = self._open_or_back(request, pk)
        if back:
            return back
        if request.method == "POST":
            erased = erasure.carry_out(found, request)
            if erased is None:
                self.message_user(
                    request,
                    _("That request is no longer open: nothing was changed."),
                    messages.WARNING,
                )
            else:
                self.message_user(
                    request,
                    _(
                        "Deletion request %(number)s carried out: the account and its data are "
                        "erased. The audit trail records it."
                    )
                    % {"number": found.pk},
                    messages.SUCCESS,
                )
            return redirect("admin:tracker_deletionrequest_changelist")
        counts = [(what, n) for what, n in erasure.counts_for(found.patient, found).items() if n]
        return self._page(
            request,
            found,
            "admin/tracker/deletionrequest/carry_out.html",
            title=_("Carry out deletion request %(number)s?") % {"number": found.pk},
            counts=counts,
        )

    def decline_view(self, request, pk):
        found, back = self._open_or_back(request, pk)
        if back:
            return back
        today = timezone.localdate()
        if request.method == "POST":
            form = DeclineForm(request.POST)
            if form.is_valid():
                if erasure.decline(found, form.cleaned_data["reason"], request):
                    self.message_user(
                        request,
                        _(
                            "Deletion request %(number)s declined. The patient sees the reason "
                            "on their account page."
                        )
                        % {"number": found.pk},
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(
                        request,
                        _("That request is no longer open: nothing was changed."),
                        messages.WARNING,
                    )
                return redirect("admin:tracker_deletionrequest_changelist")
        else:
            suggested = ""
            if erasure.within_retention(found.patient, today):
                until = erasure.kept_until(found.patient)
                # The patient reads it: in their language, not the staff member's.
                with translation.override(found.patient.language or settings.LANGUAGE_CODE):
                    day = date_format(until, pgettext("a long date, day in 2 digits", "d F Y"))
                    suggested = _(
                        "The clinic must keep your health records for %(years)s years after "
                        "your care ends, so until %(day)s. We will erase them after that date."
                    ) % {"years": settings.CLINIC_RETENTION_YEARS, "day": day}
            form = DeclineForm(initial={"reason": suggested})
        return self._page(
            request,
            found,
            "admin/tracker/deletionrequest/decline.html",
            title=_("Decline deletion request %(number)s") % {"number": found.pk},
            form=form,
        )
