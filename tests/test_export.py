"""What leaves the app: the CSV export and the printable report of one patient.

Time is frozen at NOW (tests/conftest.py), a Tuesday in June: clinic time
(Europe/London) is UTC+1, so the date range's day boundaries are tested at local
midnight, not UTC midnight.
"""

import csv
import io
from datetime import date, datetime
from functools import partial

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import LONDON, body, make_entry, make_session, text
from tracker.forms import DateRangeForm
from tracker.models import Patient, SessionStatus

HEADER = [
    "patient",
    "when",
    "record",
    "pain",
    "numbness",
    "tingling",
    "locations",
    "note",
    "points_used",
    "session_notes",
    "session_status",
    "entered_by",
]
# Issue 18's columns, after the old ones: an older spreadsheet finds its columns unmoved.
REPORTED_HEADER = [
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


pytestmark = pytest.mark.usefixtures("frozen")  # at NOW, for every test


def at(day, hour=12, minute=0):
    """A moment in June 2026, clinic time."""
    return datetime(2026, 6, day, hour, minute, tzinfo=LONDON)


# Scores 4/3/2 unless a test names others: the rows and the report below expect them.
log = partial(make_entry, pain=4, numbness=3, tingling=2)


def csv_url(patient):
    return f"/practice/patients/{patient.public_id}/export.csv"


def report_url(patient):
    return f"/practice/patients/{patient.public_id}/report/"


# Issue 19's columns, beside "when" (felt at): when it was saved and who it came from.
SAVED_AT, SOURCE = 2, 3


def export_all(client, patient, **params):
    """Every row and column, the byte-order mark checked and removed."""
    response = client.get(csv_url(patient), params)
    assert response.status_code == 200
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff") == (params.get("bom") != "0")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"), newline="")))


def export(client, patient, **params):
    """The rows without the saved_at and source columns (tests below read those)."""
    header, *rows = export_all(client, patient, **params)
    assert header[SAVED_AT : SOURCE + 1] == ["saved_at", "source"]
    return [row[:SAVED_AT] + row[SOURCE + 1 :] for row in [header, *rows]]


def data_rows(client, patient, **params):
    """The entry and session rows, without the figures below them, in the old columns
    (tests/test_reported_practice.py reads the columns issue 18 added)."""
    header, *rows = export(client, patient, **params)
    assert header == HEADER + REPORTED_HEADER
    return [row[: len(HEADER)] for row in rows if row[2] in ("entry", "session")]


def summary_rows(client, patient, **params):
    """{record: row} of the figures below the entries."""
    _, *rows = export(client, patient, **params)
    return {row[2]: row for row in rows if row[2] not in ("entry", "session")}


# --- CSV: the file ----------------------------------------------------------------


def test_the_export_is_a_csv_attachment(xavier_client, alice):
    response = xavier_client.get(csv_url(alice))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="relief-tracker-{alice.public_id}.csv"'
    )


def test_an_empty_record_exports_only_the_header(xavier_client, alice):
    assert export(xavier_client, alice) == [HEADER + REPORTED_HEADER]


def test_entries_and_sessions_come_in_time_order(xavier_client, alice, bob):
    log(alice, at(15, 8), pain=6, locations=["feet_left", "hands_right"], note="after")
    make_session(alice, at(14, 10, 30), notes="calm", points_used="ST36")
    log(alice, at(13), pain=4, note="before")
    log(bob, at(14), note="Bob's, not Alice's")

    rows = data_rows(xavier_client, alice)

    assert rows == [
        ["Alice Archer", "2026-06-13T12:00+01:00", "entry", "4", "3", "2", "", "before", "", ""]
        + ["", ""],
        ["Alice Archer", "2026-06-14T10:30+01:00", "session", "", "", "", "", "", "ST36", "calm"]
        + ["attended", ""],
        [
            "Alice Archer",
            "2026-06-15T08:00+01:00",
            "entry",
            "6",
            "3",
            "2",
            "Left foot, Right hand",
            "after",
            "",
            "",
            "",
            "",
        ],
    ]


def test_sessions_say_what_happened_and_scores_taken_in_clinic_say_who_entered_them(
    xavier_client, alice, xavier
):
    make_session(alice, at(10, 9), notes="no show", status=SessionStatus.DID_NOT_ATTEND)
    make_session(alice, at(11, 9), notes="rang in ill", status=SessionStatus.CANCELLED)
    held = make_session(alice, at(12, 9), notes="needled")
    held.save_clinic_scores({"pain": 7, "numbness": 6, "tingling": 5}, xavier)
    make_session(alice, at(20, 9), notes="next week")
    log(alice, at(13), note="at home")

    rows = data_rows(xavier_client, alice)

    assert [(row[2], row[3], row[9] or row[7], row[10], row[11]) for row in rows] == [
        ("session", "", "no show", "did_not_attend", ""),
        ("session", "", "rang in ill", "cancelled", ""),
        # The session, then the scores taken at it.
        ("session", "", "needled", "attended", ""),
        ("entry", "7", "", "", "Dr Xavier"),
        ("entry", "4", "at home", "", ""),
        ("session", "", "next week", "booked", ""),
    ]


def test_the_date_range_keeps_whole_local_days_at_both_ends(xavier_client, alice):
    log(alice, at(9, 23, 59), note="day before start")
    log(alice, at(10, 0, 0), note="start of first day")
    make_session(alice, at(11, 9), notes="session inside")
    log(alice, at(12, 23, 59), note="end of last day")
    log(alice, at(13, 0, 0), note="day after end")
    make_session(alice, at(14, 9), notes="session after")

    rows = data_rows(xavier_client, alice, start="2026-06-10", end="2026-06-12")

    assert [row[7] or row[9] for row in rows] == [
        "start of first day",
        "session inside",
        "end of last day",
    ]


def test_an_open_ended_range_filters_one_side(xavier_client, alice):
    log(alice, at(9), note="old")
    log(alice, at(12), note="new")

    assert [r[7] for r in data_rows(xavier_client, alice, start="2026-06-10")] == ["new"]
    assert [r[7] for r in data_rows(xavier_client, alice, end="2026-06-10")] == ["old"]


# --- CSV: formula injection and text that must survive ----------------------------


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_note_that_starts_like_a_formula_is_defused(xavier_client, alice, start):
    log(alice, at(15), note=f'{start}HYPERLINK("http://evil","x")')

    [row] = data_rows(xavier_client, alice)

    assert row[7] == f'\'{start}HYPERLINK("http://evil","x")'


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_name_that_starts_like_a_formula_is_defused(xavier_client, alice, start):
    Patient.objects.filter(pk=alice.pk).update(display_name=f"{start}cmd|' /C calc'!A0")
    log(alice, at(15))

    [row] = data_rows(xavier_client, alice)

    assert row[0] == f"'{start}cmd|' /C calc'!A0"


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_session_points_and_notes_that_start_like_a_formula_are_defused(
    xavier_client, alice, start
):
    make_session(alice, at(15), points_used=f"{start}SUM(A1:A9)", notes=f"{start}1+1")

    [row] = data_rows(xavier_client, alice)

    assert row[8:10] == [f"'{start}SUM(A1:A9)", f"'{start}1+1"]


def test_ordinary_text_is_left_as_it_is(xavier_client, alice):
    log(alice, at(15), note="Feet 3-4 at night; dose = 2 tablets @ 8pm")
    make_session(alice, at(14), points_used="ST36 + SP6", notes="'quoted' already")

    rows = data_rows(xavier_client, alice)

    assert rows[0][0] == "Alice Archer"
    assert rows[0][8:10] == ["ST36 + SP6", "'quoted' already"]
    assert rows[1][7] == "Feet 3-4 at night; dose = 2 tablets @ 8pm"


def test_a_note_with_commas_quotes_and_newlines_round_trips(xavier_client, alice):
    note = 'Said "sharp, stabbing", then:\nworse at night,\r\nbetter by "morning"'
    log(alice, at(15), note=note)

    [row] = data_rows(xavier_client, alice)

    assert row[7] == note
    assert len(row) == len(HEADER)


def test_a_non_ascii_name_survives(xavier_client, alice):
    Patient.objects.filter(pk=alice.pk).update(display_name="Zoë Ødegård 李")
    log(alice, at(15), note="Brûlure — 灼热")

    [row] = data_rows(xavier_client, alice)

    assert row[0] == "Zoë Ødegård 李"
    assert row[7] == "Brûlure — 灼热"


def test_another_practitioner_cannot_export(yara_client, alice):
    log(alice, at(15), note="secret")

    response = yara_client.get(csv_url(alice))

    assert response.status_code == 404
    assert "secret" not in body(response)


def test_the_figures_follow_the_entries_as_of_the_period_s_end(xavier_client, alice):
    for day in (1, 2, 3, 4):
        log(alice, at(day), pain=6, numbness=4, tingling=2)
    make_session(alice, at(5, 9))
    for day in (7, 8, 9, 13, 14, 15):
        log(alice, at(day), pain=3, numbness=4, tingling=2 if day < 12 else 5)

    figures = summary_rows(xavier_client, alice, end="2026-06-11")

    assert list(figures) == ["baseline", "recent_mean", "change_points", "band", "reliable_change"]
    assert figures["baseline"][1] == "2026-06-11T23:59+01:00"
    assert figures["baseline"][3:6] == ["6.0", "4.0", "2.0"]
    assert figures["baseline"][7] == "the mean of 4 days in the 14 days before the first session"
    # As of 11 June: the 7 days to then (5-11 June) hold 7, 8 and 9 June, not the rise
    # after the 12th.
    assert figures["recent_mean"][3:6] == ["3.0", "4.0", "2.0"]
    assert "7 days to 2026-06-11" in figures["recent_mean"][7]
    assert figures["change_points"][3:6] == ["-3.0", "0.0", "0.0"]  # numbers, not defused
    assert figures["band"][3:6] == [
        "Substantial improvement",
        "No important change",
        "No important change",
    ]
    assert figures["reliable_change"][3:6] == ["yes", "no", "no"]
    today = summary_rows(xavier_client, alice)
    assert today["recent_mean"][3:6] == ["3.0", "4.0", "5.0"]
    assert today["band"][5] == "Worse"


# --- Report -----------------------------------------------------------------------


@pytest.fixture
def course(alice):
    """Baseline of 6 / 4 / 2 before the first session; pain halves afterwards."""
    for day in (1, 2, 3):
        log(alice, at(day), pain=6, numbness=4, tingling=2)
    make_session(alice, at(5, 9), notes="First needling", points_used="ST36")
    make_session(alice, at(12, 9), notes="Second needling", points_used="SP6")
    for day in (13, 14, 15):
        log(alice, at(day), pain=3, numbness=4, tingling=4)
    return alice


def test_the_report_shows_the_whole_picture(xavier_client, course):
    response = xavier_client.get(report_url(course))

    assert response.status_code == 200
    page = body(response)
    assert "Symptom report: Alice Archer" in page
    assert "practitioner Dr Xavier" in page
    progress = text(page.split('class="table progress-table')[1].split("</table>")[0])
    assert "Pain 6.0 3.0 -3.0 (-50%) Substantial improvement" in progress
    assert "Numbness 4.0 4.0 0.0 (0%) No important change" in progress
    assert "Tingling 2.0 4.0 +2.0 (+100%) Worse" in progress
    intervals = text(page.split('class="table table-sm interval-table')[1].split("</table>")[0])
    assert "Before session 1 3 6.0 4.0 2.0" in intervals
    assert "After session 1 from 5 Jun 0" in intervals
    assert "After session 2 from 12 Jun 3 3.0 4.0 4.0" in intervals
    assert "S2 12 Jun 2026, 09:00 SP6 Second needling" in text(page)
    assert "S1 5 Jun 2026, 09:00 ST36 First needling" in text(page)
    assert '<svg class="chart"' in page
    assert ">S1</text>" in page


def test_the_report_period_narrows_the_chart(xavier_client, course):
    whole = xavier_client.get(report_url(course))
    part = xavier_client.get(report_url(course), {"start": "2026-06-13", "end": "2026-06-14"})

    assert part.status_code == 200
    assert "Entries shown: 6 pain" in body(whole)
    assert "Entries shown: 2 pain" in body(part)
    assert "Period: 13 Jun 2026 to" in text(body(part))
    # The baseline is the course's; the intervals stop at the period's end (13 and 14
    # June, not 15 June), and so do the recent figures.
    assert part.context["baseline"] == whole.context["baseline"]
    assert [i.count for i in part.context["intervals"]] == [3, 0, 2]
    assert [i.count for i in whole.context["intervals"]] == [3, 0, 3]


def test_the_report_period_shows_the_chosen_end_date(xavier_client, course):
    response = xavier_client.get(report_url(course), {"start": "2026-06-13", "end": "2026-06-14"})

    assert "Period: 13 Jun 2026 to 14 Jun 2026" in text(body(response))


def test_a_period_before_the_first_entry_draws_no_entries(xavier_client, course):
    response = xavier_client.get(report_url(course), {"end": "2026-05-20"})

    assert response.status_code == 200
    assert "No entries in this period." in body(response)
    assert '<svg class="chart"' not in body(response)


def test_an_end_before_the_start_is_explained(xavier_client, course):
    response = xavier_client.get(report_url(course), {"start": "2026-06-14", "end": "2026-06-13"})

    assert response.status_code == 200
    assert "The end date is before the start date." in body(response)
    assert "Symptom report: Alice Archer" in body(response)


def test_a_report_with_no_entries_says_so(xavier_client, alice):
    response = xavier_client.get(report_url(alice))

    assert response.status_code == 200
    page = body(response)
    assert "No baseline yet" in page
    assert "No entries in this period." in page
    assert "No sessions." in page


def test_an_invalid_range_is_refused_not_ignored(xavier_client, alice):
    log(alice, at(10))
    response = xavier_client.get(csv_url(alice), {"start": "2026-06-12", "end": "2026-06-01"})
    assert response.status_code == 400
    assert "end date is before the start date" in body(response)


def test_the_report_lists_only_the_sessions_in_the_period(xavier_client, alice):
    log(alice, at(1))
    make_session(alice, at(3), notes="early session")
    make_session(alice, at(12), notes="late session")
    response = xavier_client.get(report_url(alice), {"start": "2026-06-10"})
    assert "late session" in body(response)
    assert "early session" not in body(response)


def test_a_past_period_s_report_shows_that_period_s_figures_not_today_s(xavier_client, course):
    # Today is 16 June; pain fell to 3 on 13-15 June, after the second session (12 June).
    response = xavier_client.get(report_url(course), {"start": "2026-06-01", "end": "2026-06-10"})

    # The 7 days to 10 June hold no entries: nothing recent, so no change, as of then.
    assert [p.recent for p in response.context["progress"]] == [None, None, None]
    page = body(response)
    progress = text(page.split('class="table progress-table')[1].split("</table>")[0])
    assert "7 days to 10 Jun 2026" in progress
    # Only the first session had been held by 10 June, and nothing logged after it yet.
    intervals = text(page.split('class="table table-sm interval-table')[1].split("</table>")[0])
    assert "After session 1 from 5 Jun 0" in intervals
    assert "After session 2" not in intervals
    assert "Mean score per interval, from the first entry to the end of the period" in page


# --- Periods at the ends of the calendar (issue 14, item 8) -------------------------
# These gave a 500: a day after 9999-12-31, or a week before 0001-01-01, is no date.

# Today is in 2026 (NOW): the period may end at the end of next year.
BOUNDS = "Please choose a date from 1 January 2000 to 31 December 2027."


def test_an_end_in_the_year_9999_is_refused_on_the_csv(xavier_client, alice):
    log(alice, at(10))
    response = xavier_client.get(csv_url(alice), {"end": "9999-12-31"})

    assert response.status_code == 400
    assert BOUNDS in body(response)


def test_an_end_in_the_year_9999_is_explained_on_the_report(xavier_client, course):
    response = xavier_client.get(report_url(course), {"end": "9999-12-31"})

    assert response.status_code == 200
    assert BOUNDS in body(response)
    assert "Symptom report: Alice Archer" in body(response)


def test_a_start_in_the_year_1_is_explained_on_the_report(xavier_client, course):
    response = xavier_client.get(report_url(course), {"start": "0001-01-01"})

    assert response.status_code == 200
    assert BOUNDS in body(response)
    # The rest of the report is the whole course, as with no period.
    assert "Entries shown: 6 pain" in body(response)


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize(
    ("day", "allowed"),
    [("1999-12-31", False), ("2000-01-01", True), ("2027-12-31", True), ("2028-01-01", False)],
)
def test_periods_run_from_2000_to_the_end_of_next_year(xavier_client, alice, field, day, allowed):
    log(alice, at(10))
    exported = xavier_client.get(csv_url(alice), {field: day})
    reported = xavier_client.get(report_url(alice), {field: day})

    assert exported.status_code == (200 if allowed else 400)
    assert reported.status_code == 200
    assert (BOUNDS in body(exported)) == (not allowed)
    assert (BOUNDS in body(reported)) == (not allowed)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dates(), st.one_of(st.none(), st.dates()))
@example(date.min, date.max)
@example(date(2000, 1, 1), date(2027, 12, 31))
def test_any_dates_are_refused_or_make_a_period_within_the_bounds(start, end):
    form = DateRangeForm({"start": start.isoformat(), "end": end.isoformat() if end else ""})

    dates = [d for d in (start, end) if d]
    within = all(date(2000, 1, 1) <= d <= date(2027, 12, 31) for d in dates)
    assert form.is_valid() == (within and (end is None or start <= end))
    low, high = form.bounds()  # never an overflow, valid or not
    if form.is_valid():
        assert low.date() == start
        assert high is None or high.date() == date.fromordinal(end.toordinal() + 1)
    else:
        assert (low, high) == (None, None)


@pytest.mark.parametrize("value", ["2026-02-30", "next week", "2026-06-01\x00", "9" * 5000])
def test_a_start_that_is_no_date_is_refused_and_says_which(xavier_client, alice, value):
    response = xavier_client.get(csv_url(alice), {"start": value})

    assert response.status_code == 400
    assert "The start is not a real date. Please check it." in body(response)


# --- CSV: issue 19's byte-order mark, saved at, source ------------------------------


def test_the_csv_starts_with_a_byte_order_mark_for_excel_unless_asked_not_to(xavier_client, alice):
    log(alice, at(15), note="Brûlure 🔥")

    with_mark = xavier_client.get(csv_url(alice)).content
    plain = xavier_client.get(csv_url(alice), {"bom": "0"}).content

    assert with_mark.startswith(b"\xef\xbb\xbf")
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert with_mark[3:] == plain
    assert "Brûlure 🔥" in plain.decode("utf-8")


def test_a_bad_bom_value_is_refused_with_a_message(xavier_client, alice):
    response = xavier_client.get(csv_url(alice), {"bom": "maybe"})

    assert response.status_code == 400
    assert "bom must be 1 (for Excel) or 0 (plain UTF-8)" in response.content.decode()


def test_each_row_says_when_it_was_saved_and_who_it_came_from(xavier_client, alice, xavier):
    log(alice, at(10, 9), created_at=at(12, 18))  # backdated two days
    session = make_session(alice, at(14, 10))
    session.save_clinic_scores({"pain": 5, "numbness": 5, "tingling": 5}, xavier)

    header, *rows = export_all(xavier_client, alice)

    records = [(row[4], row[SAVED_AT], row[SOURCE]) for row in rows]
    assert records[0] == ("entry", "2026-06-12T18:00+01:00", "patient")
    assert records[1][0] == "session" and records[1][2] == "practitioner"
    assert records[2][0] == "entry" and records[2][2] == "in clinic"
    # The figures below are worked out, not saved by anyone.
    assert all(row[SAVED_AT] == row[SOURCE] == "" for row in rows[3:])
