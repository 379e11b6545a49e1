from django.contrib import admin

from tracker.models import Patient, Practitioner, SymptomEntry, TreatmentSession


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "created_at"]
    search_fields = ["display_name", "user__username", "user__email"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["display_name", "practitioner", "neuropathy_kind", "created_at"]
    list_filter = ["practitioner", "neuropathy_kind"]
    search_fields = ["display_name", "user__username", "user__email"]
    readonly_fields = ["public_id", "created_at"]
    autocomplete_fields = ["user"]


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(admin.ModelAdmin):
    list_display = ["patient", "practitioner", "when"]
    list_filter = ["practitioner"]
    date_hierarchy = "when"
    autocomplete_fields = ["patient"]


@admin.register(SymptomEntry)
class SymptomEntryAdmin(admin.ModelAdmin):
    list_display = ["patient", "recorded_at", "pain", "numbness", "tingling"]
    list_filter = ["patient__practitioner"]
    date_hierarchy = "recorded_at"
    autocomplete_fields = ["patient"]
    readonly_fields = ["created_at", "public_id"]
