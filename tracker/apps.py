from functools import wraps

from django.apps import AppConfig
from django.contrib.admin import AdminSite
from django.contrib.admin import apps as admin_apps


class TrackerConfig(AppConfig):
    default = True
    name = "tracker"
    verbose_name = "Relief Tracker"

    def ready(self):
        # security and languages connect their own signals; checks registers the checks.
        from tracker import audit, checks, languages, security  # noqa: F401

        audit.connect_signals()


class ClinicAdminSite(AdminSite):
    """Django's admin site, with its autocomplete boxes recorded in the audit trail,
    and query strings its views cannot take answered with a 400, not a 500."""

    def admin_view(self, view, cacheable=False):
        from tracker.http import admin_query_refusal

        checked = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            return admin_query_refusal(request.GET) or checked(request, *args, **kwargs)

        return guarded

    def autocomplete_view(self, request):
        from tracker.admin import AuditedAutocompleteJsonView

        return AuditedAutocompleteJsonView.as_view(admin_site=self)(request)


class ClinicAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with ClinicAdminSite as admin.site (INSTALLED_APPS)."""

    default = False  # "tracker" itself means TrackerConfig
    default_site = "tracker.apps.ClinicAdminSite"
