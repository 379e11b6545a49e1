"""The audit trail: one AuditEvent row per read or write of a patient's data.

Views call record() (or record_many() for a list of patients) after access is
decided. A write records inside the same transaction.atomic() block as the
change, so a change whose audit row fails is rolled back with it. A read records
before the page is rendered, so a read that cannot be recorded is not shown.
Sign-ins, failed sign-ins and sign-outs come from Django's auth signals, except
for users with a second factor to pass: their sign-in is complete, and recorded,
only when the code is right; each code, right or wrong, is recorded by the
verify page (views/account.py).
"""

import ipaddress
import json

from axes.helpers import get_client_ip_address
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import connection
from django.utils import timezone

from tracker import access, security
from tracker.models import AuditAction, AuditEvent

VIEW = AuditAction.VIEW
CREATE = AuditAction.CREATE
UPDATE = AuditAction.UPDATE
DELETE = AuditAction.DELETE
EXPORT = AuditAction.EXPORT
DENIED = AuditAction.DENIED

ANONYMOUS = "anonymous"


def client_ip(request):
    """The client's address as django-axes sees it (its proxy settings apply), or None."""
    if request is None:
        return None
    address = get_client_ip_address(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def event(request, action, patient=None, object_type="", object_id="", detail="", user=None):
    """An unsaved AuditEvent; user defaults to request.user."""
    if user is None:
        user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return AuditEvent(
        actor=user.get_username() if signed_in else ANONYMOUS,
        actor_role=(access.role_of(user) or "") if signed_in else "",
        ip=client_ip(request),
        action=action,
        patient_public_id=patient.public_id if patient is not None else None,
        object_type=object_type,
        object_id=str(object_id or "")[:64],
        path=(request.path if request is not None else "")[:255],
        detail=detail[:255],
    )


def record(request, action, patient=None, object_type="", object_id="", detail="", user=None):
    """Write one audit row (one INSERT, of the fixed text record_many() sends)."""
    row = event(request, action, patient, object_type, object_id, detail, user)
    _insert(row, [row.patient_public_id])


def record_many(request, action, patients, object_type, detail=""):
    """One row per patient, written by one INSERT whatever the number of patients.

    Who, from where and what are worked out once; only the patient differs per row.
    The statement is the same text for any number of patients (the ids go as one
    array, or JSON list on SQLite): the worklist writes its 50 rows on every view,
    and building 50 model instances and 500 parameters cost more than a whole
    /ping/ (issue 21). Returns the number of rows written.
    """
    ids = [patient.public_id for patient in patients]
    if ids:
        _insert(event(request, action, object_type=object_type, detail=detail), ids)
    return len(ids)


def _insert(base, ids):
    """A row like `base` (an unsaved AuditEvent) for each patient public id in ids (None:
    no patient), as of now. SQL of fixed text: the ORM's INSERT of one model instance
    is built anew for every row, and every page writes one."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = "at, actor, actor_role, ip, action, object_type, object_id, path, detail"
    ops = connection.ops
    values = [
        ops.adapt_datetimefield_value(timezone.now()),
        base.actor,
        base.actor_role,
        base.ip,
        base.action,
        base.object_type,
        base.object_id,
        base.path,
        base.detail,
    ]
    if connection.vendor == "postgresql":
        sql = (
            f"INSERT INTO {table} ({columns}, patient_public_id) "
            "SELECT %s::timestamptz, %s, %s, %s::inet, %s, %s, %s, %s, %s, id "
            "FROM unnest(%s::uuid[]) AS id"
        )
        values.append(ids)
    else:  # SQLite keeps a UUID as its 32 hex digits
        sql = (
            f"INSERT INTO {table} ({columns}, patient_public_id) "
            "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, value FROM json_each(%s)"
        )
        values.append(json.dumps([public_id.hex if public_id else None for public_id in ids]))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def on_login(sender, request, user, **kwargs):
    if security.second_factor_required(user) or security.has_confirmed_device(user):
        # The password alone is not a sign-in: second_factor_passed() records it.
        return
    record(request, AuditAction.LOGIN, object_type="account", user=user)


def second_factor_passed(request, how):
    """Sign-in complete: the code was right. how: "authenticator app", "backup code", ..."""
    record(request, AuditAction.LOGIN, object_type="account", detail=f"second factor: {how}")


def second_factor_failed(request, why):
    record(request, AuditAction.LOGIN_FAILED, object_type="account", detail=why)


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password; keep only the name that was tried.
    username = str(credentials.get("username", ""))[:150]
    record(request, AuditAction.LOGIN_FAILED, object_type="account", detail=f"username: {username}")


def sign_in_refused(request, username):
    """A sign-in the form refused before checking it (views/account.py, SignIn)."""
    # A NUL cannot be stored in PostgreSQL text: shown as U+FFFD, the replacement character.
    shown = username[:150].replace("\x00", "\ufffd")
    detail = f"username refused ({len(username)} characters): {shown}"
    record(request, AuditAction.LOGIN_FAILED, object_type="account", detail=detail)


def on_logout(sender, request, user, **kwargs):
    record(request, AuditAction.LOGOUT, object_type="account", user=user)


def connect_signals():
    """Called once from TrackerConfig.ready()."""
    user_logged_in.connect(on_login, dispatch_uid="tracker.audit.login")
    user_login_failed.connect(on_login_failed, dispatch_uid="tracker.audit.login_failed")
    user_logged_out.connect(on_logout, dispatch_uid="tracker.audit.logout")
