from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Relief Tracker"

    def ready(self):
        # security connects its own signals; checks registers the system checks.
        from tracker import audit, checks, security  # noqa: F401

        audit.connect_signals()
