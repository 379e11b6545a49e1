"""The pages' HTML, byte for byte, against snapshots (issue 21: "page HTML identical before
and after for the same data").

Profiling work on the worklist, the patient detail page, the history and the check-in must
not change one byte of what they render. This builds one fixed clinic (fixed usernames,
public ids and clock, so that every URL and date is the same in every run and on every
database), renders the pages and compares them with tests/golden/*.html.

Snapshots are written, never compared, with UPDATE_GOLDEN=1:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_page_html_unchanged.py -n 0 -q

Only what legitimately differs from one request to the next is normalised (see normalised()):
the CSRF token in forms (Django masks it afresh on every request) and the check-in form's
one-time token (a new uuid4 per form shown). The pages have no CSP nonces (the policy allows
no inline script or style at all) and show no session-dependent ids.
"""

import difflib
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.conftest import (
    NOW,
    PASSWORD,
    client_for,
    freeze_at,
    make_entry,
    make_session,
    verified_client_for,
)
from tracker.models import (
    BodyLocation,
    FlagReview,
    NeuropathyKind,
    Patient,
    Practitioner,
    SessionStatus,
)
from tracker.reported import (
    GlobalImpression,
    Medicine,
    MedicineEvent,
    MedicineEventKind,
    SideEffectReport,
    WeeklyAnswer,
    week_of,
)

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# Integer keys appear in a few URLs (care-team rows); on PostgreSQL sequences survive a
# rolled-back test, so they are reset for this one.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


def fixed_uuid(kind, number):
    """A stable uuid per object, e.g. fixed_uuid(2, 7): the seventh object of kind 2."""
    return uuid.UUID(int=(kind << 64) + number)


PATIENT, ENTRY, SESSION, MEDICINE = 1, 2, 3, 4
NOTES = [
    "Walked to the shop",
    "Bad night, <b>burning</b> & tingling",  # escaped, not markup
    "Better after the session",
    "",
    "Feet cold all day; wore two pairs of socks",
]
LOCATION_SETS = [
    [BodyLocation.FEET_LEFT, BodyLocation.FEET_RIGHT],
    [BodyLocation.LOWER_LEGS_LEFT, BodyLocation.LOWER_LEGS_RIGHT, BodyLocation.OTHER],
    [BodyLocation.HANDS_LEFT, BodyLocation.HANDS_RIGHT, BodyLocation.ARMS_LEFT],
    [BodyLocation.ARMS_RIGHT],
    [],
]


def user(username):
    return User.objects.create_user(username=username, password=PASSWORD)


def clinic():
    """Dr Gold and seven patients of different courses; returns (doctor, {name: patient})."""
    doctor = Practitioner.objects.create(user=user("gold"), display_name="Dr Gold")
    kinds = [
        NeuropathyKind.DIABETIC,
        NeuropathyKind.CHEMOTHERAPY,
        NeuropathyKind.IDIOPATHIC,
        NeuropathyKind.OTHER,
        NeuropathyKind.DIABETIC,
        NeuropathyKind.CHEMOTHERAPY,
        NeuropathyKind.IDIOPATHIC,
    ]
    names = [
        "Ada Abbot",
        "Ben Brook",
        "Cleo Cole",
        "Dev Dunn",
        "Eve Eng",
        "Finn Ford",
        "Gus Gray",
    ]
    patients = {}
    for number, (name, kind) in enumerate(zip(names, kinds, strict=True), start=1):
        patients[name] = Patient.objects.create(
            user=user(name.split()[0].lower()),
            public_id=fixed_uuid(PATIENT, number),
            display_name=name,
            practitioner=doctor,
            neuropathy_kind=kind,
            record_number=f"RN-{number:04d}",
        )
    entry_number = iter(range(1, 10_000))
    session_number = iter(range(1, 10_000))

    def entries(patient, days, scores):
        """One entry each of `days` days before NOW (at varying hours), scores cycling."""
        for i, day in enumerate(days):
            pain, numbness, tingling = scores(i)
            at = NOW - timedelta(days=day, hours=(i * 5) % 11)
            make_entry(
                patient,
                at,
                created_at=at + timedelta(minutes=3),
                pain=pain,
                numbness=numbness,
                tingling=tingling,
                note=NOTES[i % len(NOTES)],
                locations=[str(place) for place in LOCATION_SETS[i % len(LOCATION_SETS)]],
                public_id=fixed_uuid(ENTRY, next(entry_number)),
            )

    def session(patient, days, status=None, notes=""):
        made = make_session(patient, NOW - timedelta(days=days), notes=notes, status=status)
        made.public_id = fixed_uuid(SESSION, next(session_number))
        made.save(update_fields=["public_id"])
        return made

    # Ada: ten weeks, getting better after weekly sessions; every kind of answer.
    ada = patients["Ada Abbot"]
    entries(ada, range(70, -1, -3), lambda i: (max(0, 8 - i // 3), max(0, 7 - i // 4), 5 - i % 3))
    first = session(ada, 49, notes="Points: LI4, ST36")
    for days in (42, 35, 28, 21, 14):
        session(ada, days, notes=f"Session {days} days ago")
    session(ada, 10, status=SessionStatus.CANCELLED)
    session(ada, 7, status=SessionStatus.DID_NOT_ATTEND)
    session(ada, -5)  # booked
    GlobalImpression.objects.create(patient=ada, session=first, answer=2, answered_at=NOW)
    SideEffectReport.objects.create(
        patient=ada, session=first, effects=["soreness", "bruise"], answered_at=NOW
    )
    for weeks in range(10):
        moment = NOW - timedelta(weeks=weeks, hours=2)
        WeeklyAnswer.objects.create(
            patient=ada,
            week_of=week_of(moment),
            sleep_interference=None if weeks == 3 else (weeks * 3) % 11,
            fell=True if weeks == 2 else (None if weeks == 3 else False),
            answered_at=moment,
        )
    # Ben: severe and rising in the last days (flagged), one review of it.
    ben = patients["Ben Brook"]
    entries(ben, range(30, -1, -2), lambda i: (min(10, 3 + i // 2), 4 + i % 4, min(10, 2 + i)))
    session(ben, 20)
    session(ben, -2)
    FlagReview.objects.create(
        patient=ben,
        reviewer=doctor,
        reviewed_at=NOW - timedelta(days=2),
        note="Called, booked an earlier session",
        flags=["severe"],
    )
    # Cleo: a session awaiting its outcome, few entries.
    cleo = patients["Cleo Cole"]
    entries(cleo, (40, 25, 12, 3), lambda i: (6, 6 - i, 2 + i))
    session(cleo, 26)
    session(cleo, 1, status=SessionStatus.BOOKED)
    # Dev: nothing logged for weeks (missing).
    dev = patients["Dev Dunn"]
    entries(dev, (60, 55, 50, 45), lambda i: (5, 5, 5))
    session(dev, 52)
    # Eve: discharged after a full course.
    eve = patients["Eve Eng"]
    entries(eve, range(69, 9, -4), lambda i: (max(0, 7 - i // 2), 3, 2))
    for days in (60, 50, 40, 30):
        session(eve, days)
    eve.discharged_on = (NOW - timedelta(days=8)).date()
    eve.discharged_by = doctor
    eve.discharge_note = "Course finished, much better"
    eve.save()
    # Finn: new, no entries, no sessions.
    # Gus: two intervals without entries, and scores taken in clinic at a session.
    gus = patients["Gus Gray"]
    entries(gus, (35, 32, 5, 2), lambda i: (7 - i, 6, 4 + i))
    held = [session(gus, days) for days in (30, 20, 10)]
    make_entry(
        gus,
        held[0].when,
        pain=6,
        numbness=5,
        tingling=5,
        entered_by=doctor,
        session=held[0],
        public_id=fixed_uuid(ENTRY, next(entry_number)),
    )
    # And Gus's check-in of two hours ago, still his to change, with medicine events.
    recent = make_entry(
        gus,
        NOW - timedelta(hours=2),
        created_at=NOW - timedelta(hours=2),
        pain=5,
        numbness=4,
        tingling=3,
        note="Took an extra tablet",
        public_id=fixed_uuid(ENTRY, next(entry_number)),
    )
    tablets = Medicine.objects.create(
        patient=gus, name="Gabapentin", dose="300 mg", public_id=fixed_uuid(MEDICINE, 1)
    )
    for kind, medicine, note in (
        (MedicineEventKind.EXTRA_DOSE, tablets, ""),
        (MedicineEventKind.CHANGED, None, "Dose halved"),
    ):
        MedicineEvent.objects.create(
            patient=gus,
            entry=recent,
            kind=kind,
            medicine=medicine,
            note=note,
            occurred_at=recent.recorded_at,
        )
    return doctor, patients


def normalised(html):
    """The page with what differs per request (see the module's docstring) replaced."""
    html = re.sub(
        r'(name="csrfmiddlewaretoken" value=")[^"]+"', r'\1CSRF"', html
    )  # masked afresh per request
    return re.sub(r'(name="token" value=")[^"]+"', r'\1TOKEN"', html)  # uuid4 per form shown


def pages():
    """(snapshot name, html) of every page covered, rendered on the fixed clinic."""
    rendered = []
    with freeze_at(NOW):
        doctor, patients = clinic()
        ada = patients["Ada Abbot"]
        detail = f"/practice/patients/{ada.public_id}/"
        gold = verified_client_for(doctor.user)
        spanish = {"accept-language": "es"}  # Dr Gold and Ada have not chosen a language
        for name, url in (
            ("worklist", "/practice/"),
            ("worklist_all_change", "/practice/?show=all&sort=change"),
            ("patient_detail", detail),
            ("patient_detail_4w", detail + "?range=4w"),
            ("report", detail + "report/"),
        ):
            rendered.append((name, gold.get(url)))
        rendered.append(("patient_detail_es", gold.get(detail, headers=spanish)))
        # Flagged and reviewed; awaiting an outcome; discharged; in clinic, empty intervals.
        for name in ("Ben Brook", "Cleo Cole", "Eve Eng", "Gus Gray"):
            url = f"/practice/patients/{patients[name].public_id}/"
            rendered.append((f"patient_detail_{name.split()[0].lower()}", gold.get(url)))
        patient = client_for(ada.user)  # patients have no second factor
        rendered.append(("history", patient.get("/history/")))
        rendered.append(("history_es", patient.get("/history/", headers=spanish)))
        # In clinic, still to be changed, medicine events: Gus's history, in two languages.
        gus = client_for(patients["Gus Gray"].user)
        rendered.append(("history_gus", gus.get("/history/")))
        rendered.append(("history_gus_es", gus.get("/history/", headers=spanish)))
        rendered.append(("log", patient.get("/log/")))
        posted = patient.post(
            "/log/",
            {
                "pain": 4,
                "numbness": 3,
                "tingling": 2,
                "when": "now",
                "note": "After the golden test's walk",
                "locations": ["feet_left", "hands_right"],
                "token": str(fixed_uuid(ENTRY, 9999)),
            },
            follow=True,
        )
        assert posted.redirect_chain, "the check-in did not redirect"
        rendered.append(("checkin_post", posted))
    for name, response in rendered:
        assert response.status_code == 200, (name, response.status_code)
    return [(name, normalised(response.content.decode())) for name, response in rendered]


def test_pages_render_exactly_as_their_snapshots():
    differences = []
    for name, html in pages():
        golden = GOLDEN / f"{name}.html"
        if UPDATE:
            GOLDEN.mkdir(exist_ok=True)
            golden.write_text(html, encoding="utf-8")
            continue
        expected = golden.read_text(encoding="utf-8")
        if html != expected:
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True),
                html.splitlines(keepends=True),
                fromfile=f"tests/golden/{name}.html",
                tofile=f"{name} (rendered now)",
            )
            differences.append("".join(diff))
    assert not differences, "pages differ from their snapshots:\n" + "\n".join(differences)
