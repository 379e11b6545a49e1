"""Second factor, session limits and ending a user's sessions.

- Practitioners and staff must pass a second factor (TOTP, or a backup code);
  so must anyone who has turned one on, whatever way they signed in (the login
  page, an invitation link, a future password reset). SecondFactorMiddleware
  sends them to the verify page (or to enrol, on a first sign-in) before any
  other page.
- Practitioners and staff are signed out after 30 minutes idle and 12 hours
  after signing in, however active; everyone else (patients, and a user with
  no role yet) after 14 days idle (SessionLimitsMiddleware).
- Signing out, a password change and deactivation end every session of the
  user, on every device (UserSession rows, kept by the signal handlers below).
- Lockouts after wrong passwords (django-axes, with LockoutHandler below) key
  on the client's address as client_address() works it out.
"""

import functools
import ipaddress
import logging
import math
import secrets
import time
from datetime import timedelta
from importlib import import_module
from typing import NamedTuple
from urllib.parse import urlencode

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import transaction
from django.db.models import Sum
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django_otp import user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker import access
from tracker.models import UserSession

logger = logging.getLogger(__name__)

STRICT_IDLE_SECONDS = 30 * 60
STRICT_ABSOLUTE_SECONDS = 12 * 60 * 60
PATIENT_IDLE_SECONDS = 14 * 24 * 60 * 60
# The idle timer is pushed forward at most once a minute: a session write per
# request would cost every page a database UPDATE for no real gain.
TOUCH_EVERY_SECONDS = 60

LOGIN_AT = "relief_login_at"
SEEN_AT = "relief_seen_at"
TRACKED_KEY = "relief_tracked_key"
HAS_DEVICE = "relief_has_device"

# "Last seen": a signed cookie that outlives the session, so that the sign-in page can
# say why someone was signed out (signed_out_reason). Written when the idle timer is
# pushed forward; removed at sign-out and once the reason has been shown.
SEEN_COOKIE = "relief_seen"
SEEN_COOKIE_SALT = "tracker.security.seen"
SEEN_COOKIE_AGE = 60 * 24 * 60 * 60  # longer than the longest idle limit
STRICT_LIMITS = "strict"
PATIENT_LIMITS = "patient"

BACKUP_DEVICE_NAME = "backup"
BACKUP_CODE_COUNT = 10


# Lockouts and the client's address


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, with a second, higher limit per address.

    axes counts the failures of one username from one address and compares them
    with AXES_FAILURE_LIMIT. Password spraying tries a few passwords on many
    usernames, so the failures from one address, whatever the usernames, also
    count, against LOCKOUT_ADDRESS_FAILURE_LIMIT. Someone who has signed in from
    that address before is held to their own limit only: on a shared clinic
    network a spray then pauses newcomers, not the people who sign in there.

    The address alone is deliberately not one of AXES_LOCKOUT_PARAMETERS: axes
    clears every matching count at a successful sign-in, so an attacker could
    clear the address's count by signing in to an account of their own.
    """

    def get_failures(self, request, credentials=None):
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures >= limit:
            return failures
        if address_failures(request) >= settings.LOCKOUT_ADDRESS_FAILURE_LIMIT and not (
            signed_in_from_here_before(request, credentials)
        ):
            # axes compares one number with one limit: report the address as at it.
            return limit
        return failures


def address_failures(request):
    """Failed sign-ins from the request's address within the cool-off, for any username."""
    recent = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0


def signed_in_from_here_before(request, credentials):
    username = get_client_username(request, credentials)
    return AccessLog.objects.filter(username=username, ip_address=request.axes_ip_address).exists()


def client_address(request):
    """The client's address, for lockouts and the audit trail (AXES_CLIENT_IP_CALLABLE).

    Each of the DJANGO_PROXY_COUNT proxies in front appends to X-Forwarded-For
    the address it received the request from, so the client is that many
    entries from the right; anything further left is whatever the client wrote
    itself. With no proxy configured the header is ignored: anyone can send it.
    """
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    count = settings.PROXY_COUNT
    if not count:
        if forwarded:
            warn_forwarded_for_ignored()
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < count:
        # It did not come through every proxy: the sender is all we know.
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


@functools.cache
def warn_forwarded_for_ignored():
    """Logged once per process. A system check cannot see requests; the first such request can."""
    logger.warning(
        "A request carries X-Forwarded-For, but DJANGO_PROXY_COUNT is 0, so the header is "
        "ignored. If a proxy sits in front of the app, every client shares its address: "
        "one person's wrong passwords pause sign-in for everyone behind it, and the audit "
        "trail records the proxy's address. Set DJANGO_PROXY_COUNT to the number of proxies."
    )


# Who needs a second factor


def second_factor_required(user):
    """Practitioners and staff: their accounts can open patients' records or the admin."""
    return access.role_of(user) in (access.PRACTITIONER, access.STAFF)


def strict_limits(user):
    """The short session limits go with the second factor: practitioners and staff.

    A user with no role yet gets the patients' limits: they can open no record
    (only the "not set up" page and their own account), and a role given later
    applies from their next request, second factor and 12-hour limit included.
    """
    return second_factor_required(user)


def has_confirmed_device(user):
    return user_has_device(user, confirmed=True)


def has_authenticator(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def normalise_code(code):
    return "".join(code.split()).replace("-", "").lower()


# After a wrong code, the next is checked only after 1, 2, 4, 8, 16 and 32
# seconds, then a minute however many more follow. The doubling keeps guessing
# slow (6 codes in the first minute, then one a minute); the cap means that
# whoever has only the password can make the owner wait a minute, not days.
CODE_WAIT_MAX_SECONDS = 60


def code_wait_seconds(failures):
    """Seconds between the last of this many wrong codes in a row and the next code checked."""
    return min(2 ** (failures - 1), CODE_WAIT_MAX_SECONDS) if failures else 0


class CodeCheck(NamedTuple):
    device: Device | None  # the device that accepted the code
    checked: bool  # False: refused unchecked, during the wait after wrong codes
    wait: int  # whole seconds before the next code will be checked


def verify_code(user, code):
    """Try a code against the user's confirmed devices; a CodeCheck.

    Six digits are tried against the authenticator app, anything else against
    the backup codes (each works once). Wrong codes of either kind count as one
    run (django-otp keeps the count on each device; its own wait, which doubles
    without a cap, is turned off in settings). A code sent during the wait is
    refused unchecked and does not lengthen it. The wait is worked out with the
    devices' rows locked, so codes sent at the same moment are not all checked.
    """
    code = normalise_code(code)
    with transaction.atomic():
        devices = [
            *TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update(),
            *StaticDevice.objects.devices_for_user(user, confirmed=True).select_for_update(),
        ]
        wait = seconds_to_wait(devices)
        if wait:
            return CodeCheck(None, checked=False, wait=wait)
        model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
        for device in devices:
            if isinstance(device, model) and device.verify_token(code):
                for other in devices:
                    if other.throttling_failure_count:
                        other.throttle_reset()  # the run of wrong codes is over
                return CodeCheck(device, checked=True, wait=0)
    logger.warning("Wrong second-factor code for user %s", user.pk)
    return CodeCheck(None, checked=True, wait=seconds_to_wait(devices))


def seconds_to_wait(devices):
    """Whole seconds until the next code may be checked, after the devices' wrong codes."""
    failed = [d for d in devices if d.throttling_failure_count and d.throttling_failure_timestamp]
    if not failed:
        return 0
    failures = sum(d.throttling_failure_count for d in failed)
    last = max(d.throttling_failure_timestamp for d in failed)
    ready_at = last + timedelta(seconds=code_wait_seconds(failures))
    return max(0, math.ceil((ready_at - timezone.now()).total_seconds()))


def new_backup_codes(user):
    """Replace the user's backup codes with BACKUP_CODE_COUNT new ones; returns them.

    Ten digits each (shown as 12345-67890), not django-otp's letters: the code
    box brings up a phone's number pad, which has no letters.
    """
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def backup_codes_left(user):
    return StaticToken.objects.filter(
        device__user=user, device__confirmed=True, device__name=BACKUP_DEVICE_NAME
    ).count()


class SecondFactorMiddleware:
    """Keeps a signed-in user who must pass a second factor, and has not, on the way to it.

    Open to them: the verify page, the setup page (until they have a device),
    signing out, the learn pages and static files. Everything else, the admin
    included, redirects.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not always_open(request.path)
            and needs_second_factor(request.session, user)
        ):
            has_device = has_confirmed_device(user)
            setup = reverse("two_factor_setup")
            # Practitioners and staff without a device enrol on their first sign-in.
            if has_device or not request.path.startswith(setup):
                url = reverse("two_factor_verify") if has_device else setup
                return ask_for_second_factor(request, url)
        return self.get_response(request)


def needs_second_factor(session, user):
    """Practitioners and staff always; anyone else who has a confirmed device.

    Whether someone has a device is looked up at sign-in, then again at most
    once a minute (touch), and kept in the session: a patient's pages cost no
    extra query.
    """
    if second_factor_required(user):
        return True
    if session.get(HAS_DEVICE) is None:
        session[HAS_DEVICE] = has_confirmed_device(user)
    return session[HAS_DEVICE]


def always_open(path):
    open_paths = (
        reverse("logout"),
        reverse("two_factor_verify"),
        reverse("tracker:learn_index"),
        settings.STATIC_URL,
        "/favicon",
    )
    return path.startswith(open_paths)


def ask_for_second_factor(request, url):
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    if request.headers.get("HX-Request"):
        # htmx would swap the whole page into a fragment: load it instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# Session limits


class SessionLimitsMiddleware:
    """Idle and absolute session limits by role. Must come after MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            login_at = request.session.get(LOGIN_AT)
            if strict_limits(user) and (
                login_at is None or now - login_at >= STRICT_ABSOLUTE_SECONDS
            ):
                response = self.sign_out(request)
                keep_seen_cookie(request, response)  # removed: the message says why
                return response
            if now - request.session.get(SEEN_AT, 0) >= TOUCH_EVERY_SECONDS:
                touch(request.session, user, now, request)
            elif SEEN_COOKIE not in request.COOKIES:
                # Signed in without this middleware seeing it (or the cookie was removed).
                request.relief_seen = seen_cookie_value(limits_of(user), request.session[SEEN_AT])
            if request.session.get(TRACKED_KEY) != request.session.session_key:
                # The key changed (password change, verification): follow it.
                track_session(request, user)

        response = self.get_response(request)
        keep_seen_cookie(request, response)
        return response

    @staticmethod
    def sign_out(request):
        # This session only: the user's other devices keep their own 12 hours.
        request.end_this_session_only = True
        logout(request)
        hours = STRICT_ABSOLUTE_SECONDS // 3600
        messages.info(
            request,
            ngettext(
                "You were signed out after %(hours)s hour, the longest a session lasts, to "
                "protect patients’ health information. Please sign in again.",
                "You were signed out after %(hours)s hours, the longest a session lasts, to "
                "protect patients’ health information. Please sign in again.",
                hours,
            )
            % {"hours": hours},
        )
        return redirect_to_login(request.get_full_path())


def touch(session, user, now, request=None):
    """Push the idle timer forward (the session row and the cookie both expire then)."""
    strict = strict_limits(user)
    session.set_expiry(STRICT_IDLE_SECONDS if strict else PATIENT_IDLE_SECONDS)
    session[SEEN_AT] = now
    # A device turned on in another session counts here within a minute.
    session[HAS_DEVICE] = has_confirmed_device(user)
    if request is not None:
        request.relief_seen = seen_cookie_value(limits_of(user), now)


# Signed out for a reason


def limits_of(user):
    """Which time-outs apply to the user, as the "last seen" cookie names them."""
    return STRICT_LIMITS if strict_limits(user) else PATIENT_LIMITS


def seen_cookie_value(limits, timestamp):
    """The "last seen" cookie: which limits applied, and when the idle timer last moved."""
    return signing.Signer(salt=SEEN_COOKIE_SALT).sign(f"{limits}:{int(timestamp)}")


def keep_seen_cookie(request, response):
    """Write, or remove, the "last seen" cookie as the request asked (see touch)."""
    if getattr(request, "relief_forget_seen", False):
        response.delete_cookie(SEEN_COOKIE, samesite="Lax")
    elif value := getattr(request, "relief_seen", None):
        response.set_cookie(
            SEEN_COOKIE,
            value,
            max_age=SEEN_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def signed_out_reason(request, now=None):
    """Why a signed-out visitor was signed out, in words, if it was an idle time-out; else "".

    The session expired STRICT_IDLE_SECONDS or PATIENT_IDLE_SECONDS after the idle
    timer last moved, which is what the cookie records. The 12-hour limit is told by
    a message at the moment it signs the person out (SessionLimitsMiddleware.sign_out).
    """
    raw = request.COOKIES.get(SEEN_COOKIE)
    if not raw or request.user.is_authenticated:
        return ""
    try:
        limits, seen = signing.Signer(salt=SEEN_COOKIE_SALT).unsign(raw).split(":")
        seen = int(seen)
    except (signing.BadSignature, ValueError):
        return ""
    idle = int(time.time() if now is None else now) - seen
    if limits == STRICT_LIMITS and idle >= STRICT_IDLE_SECONDS:
        minutes = STRICT_IDLE_SECONDS // 60
        return ngettext(
            "You were signed out after %(minutes)s minute without activity, "
            "to protect patients’ health information.",
            "You were signed out after %(minutes)s minutes without activity, "
            "to protect patients’ health information.",
            minutes,
        ) % {"minutes": minutes}
    if limits == PATIENT_LIMITS and idle >= PATIENT_IDLE_SECONDS:
        days = PATIENT_IDLE_SECONDS // (24 * 60 * 60)
        return ngettext(
            "You were signed out after %(days)s day without activity, "
            "to protect your health information.",
            "You were signed out after %(days)s days without activity, "
            "to protect your health information.",
            days,
        ) % {"days": days}
    return ""


# Ending sessions


def session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def track_session(request, user):
    key = request.session.session_key
    if key:
        UserSession.objects.update_or_create(session_key=key, defaults={"user": user})
        request.session[TRACKED_KEY] = key


def end_sessions(user, keep=None):
    """End every session of the user, except the one with key keep."""
    store = session_store()
    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    for key in list(rows.values_list("session_key", flat=True)):
        store(session_key=key).delete()
    rows.delete()


def forget_dead_sessions(user, keep):
    """Drop rows whose session has expired or gone, so that they do not pile up."""
    store = session_store()
    rows = UserSession.objects.filter(user=user).exclude(session_key=keep)
    dead = []
    for key in rows.values_list("session_key", flat=True):
        # A signed-in session is never empty: empty means expired or deleted.
        if not store(session_key=key).load():
            store().delete(key)
            dead.append(key)
    UserSession.objects.filter(session_key__in=dead).delete()


@receiver(user_logged_in, dispatch_uid="relief_session_start")
def on_login(sender, request, user, **kwargs):
    # login() has already given the session a new key (no session fixation).
    now = int(time.time())
    request.session[LOGIN_AT] = now
    touch(request.session, user, now, request)
    track_session(request, user)
    forget_dead_sessions(user, keep=request.session.session_key)


@receiver(user_logged_out, dispatch_uid="relief_session_end")
def on_logout(sender, request, user, **kwargs):
    # Signed out on purpose (or at the 12-hour limit, which says so itself): no time-out
    # to explain later.
    request.relief_forget_seen = True
    if user is None:
        return
    # Someone who has the password but not the second factor must not be able
    # to sign the real person out everywhere: they end only their own session.
    # (Outside a request through OTPMiddleware, e.g. the test client's logout(), is_verified
    # is missing: those callers are trusted code.)
    is_verified = getattr(user, "is_verified", None)
    unverified = (
        is_verified is not None and not is_verified() and needs_second_factor(request.session, user)
    )
    if unverified or getattr(request, "end_this_session_only", False):
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    else:
        end_sessions(user)


@receiver(pre_save, sender=get_user_model(), dispatch_uid="relief_user_change_check")
def note_password_or_deactivation(sender, instance, update_fields=None, raw=False, **kwargs):
    """Mark a user whose password changes or who is deactivated; post_save ends their sessions."""
    watched = {"password", "is_active"}
    if raw or instance.pk is None or (update_fields is not None and not watched & update_fields):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._relief_end_sessions = (
        before["password"] != instance.password or not instance.is_active
    )


@receiver(post_save, sender=get_user_model(), dispatch_uid="relief_user_change_end_sessions")
def end_sessions_after_change(sender, instance, **kwargs):
    if getattr(instance, "_relief_end_sessions", False):
        instance._relief_end_sessions = False
        # A password change in our own view keeps its session: Django gives it
        # a new key straight after (update_session_auth_hash).
        end_sessions(instance)
