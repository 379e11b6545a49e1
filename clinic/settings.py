"""Settings for Relief Tracker.

Everything that differs between a laptop and a clinic server comes from an
environment variable (documented in README.md). The defaults run at once on a
developer machine: SQLite in the project folder, debug only if asked for.
"""

import os
from datetime import timedelta
from email.utils import formataddr
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# The clinic's env file (KEY=value lines; `manage.py setup_clinic` writes it, .env.example
# lists every variable). It fills in only what the real environment leaves unset, so a
# systemd unit's Environment= or a one-off `VAR=... manage.py` wins. No ${VAR} expansion:
# systemd's EnvironmentFile, which may read the same file, does none either.
ENV_FILE = Path(os.getenv("DJANGO_ENV_FILE") or BASE_DIR / ".env")
if ENV_FILE.is_file():
    if not os.access(ENV_FILE, os.R_OK):
        raise ImproperlyConfigured(
            f"{ENV_FILE} cannot be read by this user: run as its owner (e.g. runuser -u "
            "relief -- ...), or set DJANGO_ENV_FILE to another file."
        )
    load_dotenv(ENV_FILE, override=False, interpolate=False)


def envbool(name, default):
    """A yes/no variable. Anything else stops start-up: a typo must not quietly mean False."""
    return yesno(name, os.getenv(name, default))


def yesno(name, value):
    word = value.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value. "
        "Use one of: 1, 0, true, false, yes, no, on, off (any case), or leave it unset."
    )


def envint(name, default):
    return int(os.getenv(name, default))


def envlist(name, default):
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", "False")

SECRET_KEY = os.getenv("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # A guessable key would let anyone forge sessions: refuse to start.
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value, "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

INSTALLED_APPS = [
    # django.contrib.admin, with its autocomplete audited (tracker/apps.py).
    "tracker.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tracker",
]

MIDDLEWARE = [
    # Before everything: a load balancer's probes touch no session, audit row or
    # redirect (tracker/health.py).
    "tracker.health.HealthMiddleware",
    # A request id, and one log line per request (tracker/requestlog.py).
    "tracker.requestlog.RequestLogMiddleware",
    # A database that cannot be reached: a GET tried once more, then a 503 in plain words
    # (tracker/outages.py, with handler500 in clinic/urls.py).
    "tracker.outages.DatabaseOutageMiddleware",
    # First, so that nothing reads a body before it is checked: refuses one over
    # DATA_UPLOAD_MAX_MEMORY_SIZE, or without a length, with a short plain page.
    "tracker.http.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's Accept-Language (or the switcher's cookie) among LANGUAGES...
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ...unless the signed-in user chose one (tracker/languages.py).
    "tracker.languages.UserLanguageMiddleware",
    # Cache-Control: no-store, private on every response to a signed-in user.
    "tracker.http.NoStoreForSignedInMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Practitioners, staff and anyone with a device must pass the second factor first.
    "tracker.security.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits by role (after messages: it leaves one).
    "tracker.security.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into its own response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins per username and address, and refuses during a cool-off.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, by username or e-mail address, ignoring case.
    "tracker.backends.UsernameOrEmailBackend",
    # Still listed: sessions signed in through it (before issue 15, and the
    # invitation link's login()) name it, and Django signs out a session whose
    # backend is not listed.
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.context_processors.role",
                "tracker.context_processors.symptom_list",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL (e.g. postgres://user@host:5432/relief)
# switches database. Persistent connections need health checks, or a
# database restart leaves every worker holding a dead connection.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "600"),
        conn_health_checks=True,
        # Behind PgBouncer in transaction mode: a server-side cursor (.iterator(), the FHIR
        # download) lives in one PostgreSQL session, and the next transaction may get
        # another (README: Scaling).
        disable_server_side_cursors=envbool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", "False"),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first (OWASP's first choice); the others only to upgrade old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# NIST 800-63B: length, not composition rules; common and look-alike passwords refused.
# There is no maximum below Django's own 4096 characters, and spaces are allowed.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# A password reset link works for an hour (Django's default is three days), and once.
PASSWORD_RESET_TIMEOUT = 60 * 60

# The languages the app can speak (tracker/languages.py); the clinic's own is the default
# for everyone who has not chosen, and the languages offered are a choice of the clinic
# (see the README's Languages).
LANGUAGES = [
    ("en-gb", "English"),
    ("en-us", "English (US)"),  # the same words; dates as a US clinic writes them
    ("es", "Español"),
    ("zh-hans", "简体中文"),
]
LANGUAGE_CODE = os.getenv("CLINIC_LANGUAGE", "en-gb")
# Offered by default: the clinic's language, Spanish and Chinese (each translated for
# everything a patient sees; tests/test_languages.py keeps them so).
OFFERED = envlist("CLINIC_LANGUAGES", ",".join(dict.fromkeys([LANGUAGE_CODE, "es", "zh-hans"])))
if LANGUAGE_CODE not in OFFERED or any(code not in dict(LANGUAGES) for code in OFFERED):
    raise ImproperlyConfigured(
        f"CLINIC_LANGUAGE={LANGUAGE_CODE!r} and CLINIC_LANGUAGES={','.join(OFFERED)!r}: each "
        f"must be one of {', '.join(dict(LANGUAGES))}, and the clinic's language among those "
        "offered."
    )
LANGUAGES = [(code, name) for code, name in LANGUAGES if code in OFFERED]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("CLINIC_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tracker:home"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed file names let browsers cache for a year, but need collectstatic;
# the test suite and runserver use the plain storage.
if envbool("DJANGO_STATIC_MANIFEST", "False" if DEBUG else "True"):
    STATICFILES_BACKEND = "whitenoise.storage.CompressedManifestStaticFilesStorage"
else:
    STATICFILES_BACKEND = "django.contrib.staticfiles.storage.StaticFilesStorage"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": STATICFILES_BACKEND},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.getenv(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)


def parse_email_url(url):
    """Django's SMTP settings from one EMAIL_URL.

    smtp://user:password@host:587/?tls=1&timeout=10 is SMTP with STARTTLS (tls=1) or
    without; smtps://... is SSL from the first byte. The user and password are
    percent-encoded (an @ in a user name is %40). Errors never repeat the URL: it holds
    the password.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ImproperlyConfigured("EMAIL_URL must start with smtp:// or smtps://.")
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL has no host, e.g. smtp://mail.example.org:587.")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(
            "EMAIL_URL has a port that is not a number from 1 to 65535."
        ) from None
    options = dict(parse_qsl(parts.query))
    unknown = set(options) - {"tls", "ssl", "timeout"}
    if unknown:
        raise ImproperlyConfigured(
            f"EMAIL_URL has unknown options: {', '.join(sorted(unknown))}. Use tls, ssl, timeout."
        )
    use_tls = yesno("EMAIL_URL's tls", options.get("tls", "0"))
    use_ssl = parts.scheme == "smtps" or yesno("EMAIL_URL's ssl", options.get("ssl", "0"))
    if use_tls and use_ssl:
        raise ImproperlyConfigured(
            "EMAIL_URL asks for TLS and SSL together. Use smtp://...?tls=1 for STARTTLS "
            "(usually port 587) or smtps:// for SSL (usually port 465), not both."
        )
    timeout = options.get("timeout")
    if timeout is not None:
        if not timeout.isdigit() or int(timeout) == 0:
            raise ImproperlyConfigured("EMAIL_URL's timeout must be a whole number of seconds.")
        timeout = int(timeout)
    return {
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }


# Unset: Django's defaults, localhost:25 without a password (a relay on the server).
if os.getenv("EMAIL_URL"):
    globals().update(parse_email_url(os.environ["EMAIL_URL"]))

# The clinic's name: the sender's display name, and how e-mails sign off.
CLINIC_NAME = os.getenv("CLINIC_NAME", "Relief Tracker")
DEFAULT_FROM_EMAIL = os.getenv("DJANGO_DEFAULT_FROM_EMAIL") or formataddr(
    (CLINIC_NAME, "noreply@localhost")
)

# The site's address as patients reach it: links in emails are built from it, never
# from the request, whose Host header the client chooses (a link to another host would
# hand the invitation's token to whoever runs it). Scheme, host and port only. Required
# when debug is off, like the secret key: a server that starts without it would send
# links that do not work, or point elsewhere, and nobody would notice until a patient did.
SITE_URL = os.getenv("DJANGO_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if not SITE_URL:
    raise ImproperlyConfigured(
        "DJANGO_SITE_URL is not set. Set it to the address patients open the app at, "
        "e.g. https://relief.example.org (links in emails are built from it), "
        "or set DJANGO_DEBUG=1 for local development."
    )


def site_url_error(url):
    """Why url is not a site address (scheme, host and port only), or "" when it is.

    Also used by `manage.py setup_clinic`, so that it never writes what start-up refuses.
    """
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.path
        or parts.query
        or parts.fragment
    ):
        return (
            f"DJANGO_SITE_URL={url!r} is not a site address. Give the scheme, host and "
            "port only, e.g. https://relief.example.org or http://127.0.0.1:8000."
        )
    try:
        parts.port  # noqa: B018 (a port that is not a number raises)
    except ValueError:
        return f"DJANGO_SITE_URL={url!r} has a port that is not a number from 1 to 65535."
    return ""


if site_url_error(SITE_URL):
    raise ImproperlyConfigured(site_url_error(SITE_URL))

# Days without an entry before a patient is flagged "review missed".
REVIEW_MISSED_DAYS = envint("CLINIC_REVIEW_MISSED_DAYS", "7")

# The MNSI questionnaire every 4 weeks (tracker/mnsi.py): off unless the clinic has
# checked its licence with the University of Michigan.
CLINIC_MNSI = envbool("CLINIC_MNSI", "False")

# Years a clinic keeps a patient's records after their care ends (a legal duty in many
# places). The admin warns before erasing records still inside it; purge_expired erases
# finished courses past it (tracker/erasure.py).
CLINIC_RETENTION_YEARS = envint("CLINIC_RETENTION_YEARS", "8")
if CLINIC_RETENTION_YEARS < 0:
    raise ImproperlyConfigured(
        f"CLINIC_RETENTION_YEARS={CLINIC_RETENTION_YEARS} is below 0: give a number of years."
    )

# Backups (manage.py backup / verify_backup, tracker/backups.py): where, and how many kept.
CLINIC_BACKUP_DIR = Path(os.getenv("CLINIC_BACKUP_DIR", BASE_DIR / "backups"))
CLINIC_BACKUP_KEEP = envint("CLINIC_BACKUP_KEEP", "14")
if CLINIC_BACKUP_KEEP < 1:
    raise ImproperlyConfigured(f"CLINIC_BACKUP_KEEP={CLINIC_BACKUP_KEEP}: keep at least 1.")

# Production transport security. Behind a TLS-terminating proxy, the proxy
# must set X-Forwarded-Proto (trusted only with DJANGO_PROXY_COUNT, below).
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", "True")
    SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Session lifetimes are set per role by tracker.security.SessionLimitsMiddleware:
# practitioners and staff 30 minutes idle and 12 hours at most, patients 14 days idle.
# This is the lifetime of a session before sign-in (e.g. the CSRF-protected login form).
SESSION_COOKIE_AGE = 14 * 24 * 60 * 60

# Two-step sign-in (django-otp): the name authenticator apps show next to the code.
OTP_TOTP_ISSUER = "Relief Tracker"
# Staff may remove a lost device in the admin, but never read a secret or a backup code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# django-otp's wait after wrong codes doubles without a cap (days after 20): off.
# It still counts them; tracker.security.verify_code waits at most a minute.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Lockout (django-axes, with tracker.security.LockoutHandler): 10 failures for
# one username from one address, or LOCKOUT_ADDRESS_FAILURE_LIMIT from one
# address whatever the usernames (password spraying), then a 15-minute cool-off.
# Not a permanent lock: that would let anyone lock out a patient. Tries during
# the cool-off are refused without being counted, so they do not extend it:
# otherwise one try every 15 minutes would keep a person out for ever.
AXES_FAILURE_LIMIT = 10
LOCKOUT_ADDRESS_FAILURE_LIMIT = 30
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "tracker.security.LockoutHandler"
# The username as typed, in lower case: changing its case does not dodge the count.
AXES_USERNAME_CALLABLE = "tracker.backends.lockout_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address (for lockouts and the audit trail) and whether the
# request came over HTTPS. X-Forwarded-For and X-Forwarded-Proto are trusted
# only when the operator says how many proxies sit in front: anyone can send
# them. `check --deploy` warns while the count is 0 (tracker/checks.py).
PROXY_COUNT = envint("DJANGO_PROXY_COUNT", "0")
if PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"DJANGO_PROXY_COUNT={PROXY_COUNT} is below 0.")
AXES_CLIENT_IP_CALLABLE = "tracker.security.client_address"
if PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A strict Content-Security-Policy: everything from our own origin, no inline
# script or style, nobody may frame us, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Check-ins are a few hundred bytes. A body over this, of any content type, is
# refused with a 413 before it is read (tracker.http.RequestBodyLimitMiddleware):
# Django's own check of this setting leaves out multipart file parts.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
# No view takes files: a multipart body with a file part is a 400 as soon as the
# parser reaches the part, before any of the file is read or stored.
DATA_UPLOAD_MAX_NUMBER_FILES = 0

# DJANGO_LOG_FORMAT=json: every line one JSON object, for a log search tool; a line per
# request from tracker.requestlog (README: Logs).
LOG_FORMAT = os.getenv("DJANGO_LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT={LOG_FORMAT!r}: use text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "tracker.requestlog.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.getenv("DJANGO_LOG_LEVEL", "INFO")},
}
