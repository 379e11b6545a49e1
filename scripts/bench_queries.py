"""SQL queries per request for the benchmarked pages, on whatever DATABASE_URL points at.

Run by scripts/bench.py, once on the big bench clinic and once on a small one, to show
that the counts do not grow with the data. Each page is requested once to warm up
(first-request work such as the idle-timer touch is not steady state), then once
inside CaptureQueriesContext. Prints JSON on stdout.

--explain (PostgreSQL) also runs EXPLAIN (ANALYZE, BUFFERS) on each page's reads and gives,
per query, its execution time, the buffers it touched, the rows the planner expected at the
top, its sequential scans and the time JIT compilation took: where to look when a page costs
more on a larger clinic (seed_bench --scale).

    DATABASE_URL=postgres://... .venv/bin/python scripts/bench_queries.py [--explain]
"""

import json
import os
import re
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from tracker.models import Patient, SymptomEntry, UserSession  # noqa: E402
from tracker.symptoms import NAMES  # noqa: E402

PRACTITIONER = "bench.practitioner00"
PATIENT = "bench.patient0000"


def signed_in(username, device=False):
    client = Client(SERVER_NAME="127.0.0.1")
    user = User.objects.get(username=username)
    client.force_login(user)
    if device:
        # As after the second step: the session names the verified device.
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
    return client


def checkin_data():
    # A note of its own, so that a run minutes after the last one is a new check-in and
    # not the same answers again (which the form asks about instead of saving).
    token = str(uuid.uuid4())
    return {**dict.fromkeys(NAMES, 3), "when": "now", "token": token, "note": f"bench {token}"}


def explain(sql):
    """What EXPLAIN ANALYZE says of one read: time, buffers, estimate, seq scans, JIT."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cursor.fetchall()]

    def number(pattern, default=0.0):
        found = re.search(pattern, "\n".join(plan))
        return float(found.group(1)) if found else default

    return {
        "sql": sql[:160],
        "execution_ms": number(r"Execution Time: ([\d.]+)"),
        "estimated_rows": int(number(r"rows=(\d+)")),  # the top node's estimate
        "shared_hit": int(number(r"Buffers: shared hit=(\d+)")),
        "jit_ms": number(r"Timing: .*Total ([\d.]+) ms"),
        "seq_scans": sorted({m for line in plan for m in re.findall(r"Seq Scan on (\w+)", line)}),
    }


def count(client, method, path, expect, data=None, plans=False):
    send = client.post if method == "POST" else client.get
    send(path, checkin_data() if data else None)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        response = send(path, checkin_data() if data else None)
    if response.status_code != expect:
        raise SystemExit(f"{method} {path}: {response.status_code}, expected {expect}")
    result = {"queries": len(queries), "sql": [q["sql"][:160] for q in queries]}
    if plans:
        reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(READS)]
        result["plans"] = [explain(sql) for sql in reads]
    return result


# Statements EXPLAIN ANALYZE can run without changing anything.
READS = ("SELECT", "WITH")


def main():
    plans = "--explain" in sys.argv[1:] and connection.vendor == "postgresql"
    practitioner = signed_in(PRACTITIONER, device=True)
    patient = signed_in(PATIENT)
    subject = Patient.objects.get(user__username=PATIENT)
    before = set(subject.entries.values_list("pk", flat=True))
    pages = {
        "ping_practitioner": count(practitioner, "GET", "/ping/", 200, plans=plans),
        "ping_patient": count(patient, "GET", "/ping/", 200, plans=plans),
        "worklist": count(practitioner, "GET", "/practice/", 200, plans=plans),
        "patient_detail": count(practitioner, "GET", subject.get_absolute_url(), 200, plans=plans),
        "history": count(patient, "GET", "/history/", 200, plans=plans),
        "checkin_form": count(patient, "GET", "/log/", 200, plans=plans),
        "checkin_post": count(patient, "POST", "/log/", 302, data=True),
    }
    # The check-ins made here are removed again, the sessions ended: the bench data
    # stays as seeded.
    SymptomEntry.objects.filter(patient=subject).exclude(pk__in=before).delete()
    # Only these clients' sessions: signing out would end every session of the bench users,
    # and another benchmark may be using them at the same time (bench_cpu signs in again).
    for client in (practitioner, patient):
        UserSession.objects.filter(session_key=client.session.session_key).delete()
        client.session.delete()
    practitioner_patients = Patient.objects.filter(practitioner__user__username=PRACTITIONER)
    data = {
        "database": connection.settings_dict["NAME"],
        "practitioner_patients": practitioner_patients.count(),
        "patient_entries": subject.entries.count(),
        "pages": pages,
    }
    print(json.dumps(data))


if __name__ == "__main__":
    main()
