"""System checks of the project's own settings (`manage.py check`)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_proxy_count(app_configs, **kwargs):
    """`check --deploy` warns while no proxy is configured (DJANGO_PROXY_COUNT=0).

    The app is meant to run behind a TLS-terminating proxy (README, "Running in
    production"). With the count at 0, X-Forwarded-For and X-Forwarded-Proto
    are ignored, which is right only if clients reach gunicorn directly. A check
    cannot see requests, so it cannot tell whether they carry the header; it
    warns whenever the count is 0, and the app logs a warning the first time a
    request does carry it (tracker.security.client_address).
    """
    if settings.PROXY_COUNT:
        return []
    return [
        checks.Warning(
            "DJANGO_PROXY_COUNT is 0: X-Forwarded-For and X-Forwarded-Proto are ignored.",
            hint=(
                "Behind a reverse proxy, every client then shares the proxy's address "
                "(one person's wrong passwords pause sign-in for everyone, and the audit "
                "trail records the proxy), and HTTPS is not recognised. Set "
                "DJANGO_PROXY_COUNT to the number of proxies in front of the app."
            ),
            id="tracker.W001",
        )
    ]
