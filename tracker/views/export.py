"""The CSV export of one patient's record: entries, sessions, what the patient reported
beside the scores, and the figures as of the period's end, one table a spreadsheet can
sort and filter (by "record")."""

import csv
import re
from datetime import datetime, time, timedelta

from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tracker import access, audit, mnsi, scores
from tracker.access import practitioner_required
from tracker.course import progress_as_of
from tracker.forms import CsvExportForm
from tracker.models import MedicineEventKind
from tracker.reported import Reported, fell_words, impression_words, side_effect_words
from tracker.symptoms import NAMES
from tracker.views.practice import period_days, period_end

# Spreadsheets run cells that start with these as formulas (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value):
    text = "" if value is None else str(value)
    # A plain number such as a change of -1.5 is no formula, and stays a number.
    if text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


@practitioner_required
@require_safe
def export_csv(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    form = CsvExportForm(request.GET)
    if not form.is_valid():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        return HttpResponseBadRequest(
            _("Please check the dates: %(errors)s") % {"errors": errors},
            content_type="text/plain",
        )
    # The CSV is a data format, read by programs as much as by people: its headers, words
    # (places, statuses, answers, figures) and dates stay English whatever the page speaks.
    with translation.override(None):
        return csv_response(request, patient, form)


def csv_response(request, patient, form):
    """The CSV of a valid CsvExportForm's period (in English: see export_csv)."""
    start, end = form.bounds()
    period = " to ".join(str(form.cleaned_data.get(k) or "any") for k in ("start", "end"))
    audit.record(request, audit.EXPORT, patient, "csv", detail=f"period: {period}")
    entries = patient.entries.select_related("entered_by").order_by("recorded_at")
    sessions = patient.sessions.order_by("when")
    if start:
        entries, sessions = entries.filter(recorded_at__gte=start), sessions.filter(when__gte=start)
    if end:
        entries, sessions = entries.filter(recorded_at__lt=end), sessions.filter(when__lt=end)

    no_scores = [""] * len(NAMES)
    found = Reported(patient, start, end - timedelta(microseconds=1) if end else None)
    doses = medicine_cells(found.medicine_events)
    # Sessions first: at the same moment, a session comes before the scores taken at it.
    # Each row: when it happened, when it was saved, who it came from, then the columns.
    rows = [
        (
            s.when,
            s.created_at,
            SOURCE_PRACTITIONER,
            "session",
            *no_scores,
            "",
            "",
            s.points_used,
            s.notes,
            s.status,
            "",
        )
        for s in sessions
    ] + [
        (
            e.recorded_at,
            e.created_at,
            SOURCE_IN_CLINIC if e.in_clinic else SOURCE_PATIENT,
            "entry",
            *(score for _, score in e.scores()),
            ", ".join(e.location_labels()),
            e.note,
            "",
            "",
            "",
            e.entered_by.display_name if e.in_clinic else "",
            *doses.get(e.pk, ("", "")),
        )
        for e in entries
    ]
    rows += reported_rows(found, patient.medicines.during(*period_days(start, end)))
    rows.sort(key=lambda row: row[0])
    as_of = period_end(end, timezone.now())
    rows += summary_rows(*progress_as_of(patient, as_of), as_of) if rows else []

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"relief-tracker-{patient.public_id}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if form.cleaned_data["bom"]:
        # Excel reads a CSV as the computer's own code page unless it starts with the
        # UTF-8 byte-order mark: accents and emoji would come out garbled.
        response.write("\ufeff")
    writer = csv.writer(response)
    # Column names are a data format (programs read them): English, never translated.
    header = [
        "patient",
        "when",
        "saved_at",
        "source",
        "record",
        *NAMES,
        "locations",
        "note",
        "points_used",
        "session_notes",
        "session_status",
        "entered_by",
        *REPORTED_COLUMNS,
    ]
    writer.writerow(header)
    for when, saved, source, *cells in rows:
        moments = [
            timezone.localtime(t).isoformat(timespec="minutes") if t else "" for t in (when, saved)
        ]
        cells += [""] * (len(header) - 4 - len(cells))  # every row as wide as the header
        writer.writerow([safe_cell(patient.display_name), *moments, source, *map(safe_cell, cells)])
    return response


# Who a CSV row came from (its "source" column).
SOURCE_PATIENT = "patient"
SOURCE_IN_CLINIC = "in clinic"
SOURCE_PRACTITIONER = "practitioner"


# What patients report beside the scores (issue 18), in columns after the old ones so
# that a spreadsheet made from an older export still finds its columns where they were.
# One file and one table rather than several: a reader sorts or filters by "record".
# An entry row gives the extra dose or medicine change ticked at that check-in; the
# other answers are rows of their own, at the time they were given, with the words in
# these columns: a medicine (at its start), a weekly answer, an impression of change,
# a side-effect report, an MNSI questionnaire.
REPORTED_COLUMNS = [
    "extra_dose",
    "medicine_changed",
    "sleep_interference",
    "fell",
    "impression_of_change",
    "side_effects",
    "medicine",
    "dose",
    "started",
    "stopped",
    "mnsi_score",
]


def medicine_cells(events):
    """{entry pk: (extra_dose, medicine_changed)}: "yes", the medicine in brackets when
    known, and the patient's note on a change after a colon."""
    cells = {}
    for event in events:
        words = "yes" + (f" ({event.medicine.name})" if event.medicine else "")
        words += f": {event.note}" if event.note else ""
        dose, changed = cells.get(event.entry_id, ("", ""))
        if event.kind == MedicineEventKind.EXTRA_DOSE:
            dose = words
        else:
            changed = words
        cells[event.entry_id] = (dose, changed)
    return cells


def reported_rows(found, medicines):
    """The rows of the weekly answers, impressions, side-effect reports and medicines."""
    tz = timezone.get_current_timezone()
    no_scores = [""] * len(NAMES)

    def row(when, record, note="", saved=None, **cells):
        return (
            when,
            saved or when,
            SOURCE_PATIENT,
            record,
            *no_scores,
            "",
            note,
            *("", "", "", ""),  # points_used, session_notes, session_status, entered_by
            *(cells.get(column, "") for column in REPORTED_COLUMNS),
        )

    def session_words(session):
        return f"after the session of {timezone.localtime(session.when):%Y-%m-%d %H:%M}"

    rows = [
        row(
            a.answered_at,
            "weekly_answer",
            f"week of {a.week_of.isoformat()}" + (", skipped" if a.skipped else ""),
            sleep_interference="" if a.sleep_interference is None else a.sleep_interference,
            fell=fell_words(a.fell),
        )
        for a in found.weekly_answers
    ]
    rows += [
        row(
            i.answered_at,
            "impression_of_change",
            f"{impression_words(i.answer)}; {session_words(i.session)}",
            impression_of_change="skipped" if i.answer is None else i.answer,
        )
        for i in found.impressions
    ]
    rows += [
        row(
            r.answered_at,
            "side_effects",
            session_words(r.session),
            side_effects=side_effect_words(r),
        )
        for r in found.side_effects
    ]
    rows += [
        row(
            datetime.combine(m.started, time.min, tzinfo=tz) if m.started else m.created_at,
            "medicine",
            saved=m.created_at,
            medicine=m.name,
            dose=m.dose,
            started=m.started.isoformat() if m.started else "",
            stopped=m.stopped.isoformat() if m.stopped else "",
        )
        for m in medicines
    ]
    rows += [
        row(
            m.answered_at,
            "mnsi",
            "skipped" if m.score is None else f"MNSI questionnaire, score of 0 to {mnsi.MAX_SCORE}",
            mnsi_score="" if m.score is None else m.score,
        )
        for m in found.mnsi
    ]
    return rows


def summary_rows(baseline, progress, as_of):
    """The figures as of the period's end, below the entries: a row per figure, a column
    per symptom, and in the note column what the row is."""
    recent_days = scores.RECENT_DAYS
    until = timezone.localtime(as_of).date().isoformat()
    figures = [
        (
            "baseline",
            [p.baseline for p in progress],
            baseline.describe() if baseline else "no baseline",
        ),
        (
            "recent_mean",
            [p.recent for p in progress],
            f"mean of the daily means of the {recent_days} days to {until}; "
            f"{scores.RECENT_MIN_DAYS} days with entries needed",
        ),
        ("change_points", [p.points for p in progress], "recent mean minus baseline"),
        (
            "band",
            [p.band.label if p.band else None for p in progress],
            "IMMPACT bands; worsening is our own rule",
        ),
        (
            "reliable_change",
            [
                None if p.reliable is None else "yes" if p.reliable.reliable else "no"
                for p in progress
            ],
            scores.RELIABLE_EXPLAINED,
        ),
    ]
    return [
        (as_of, None, "", record, *values, "", note, "", "") for record, values, note in figures
    ]
