from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Relief Tracker"

    def ready(self):
        from tracker import audit, security  # noqa: F401  (security connects its own signals)

        audit.connect_signals()
