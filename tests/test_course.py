"""A course cut to a chart range (course_of with whole=False).

The history and detail pages read only the readings their period needs and list only
the intervals and sessions in it. What they show must be exactly what the whole course
gives, cut to the same period; and the cut must be visible, with a way to see it all.
"""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import ENTRIES, NOW, baseline_window_read, entry_reads, freeze_at
from tracker.course import CHART_RANGES, course_of
from tracker.models import SymptomEntry, TreatmentSession

START = NOW - timedelta(days=400)


@pytest.fixture
def long_course(alice):
    """400 days of irregular entries with gaps; a weekly session from day 30 on, one booked."""
    rng = random.Random(8)
    entries, at = [], START
    while at < NOW:
        entries.append(
            SymptomEntry(
                patient=alice,
                recorded_at=at,
                pain=rng.randint(0, 10),
                numbness=rng.randint(0, 10),
                tingling=rng.randint(0, 10),
            )
        )
        # Mostly a few hours apart, sometimes a silence of up to ten days.
        at += timedelta(hours=rng.choice([5, 9, 14, 26, 30, 60, 240]))
    SymptomEntry.objects.bulk_create(entries)
    for week in range(55):
        when = START + timedelta(days=30 + 7 * week, hours=rng.randint(0, 5))
        TreatmentSession.objects.create(
            patient=alice,
            practitioner=alice.practitioner,
            when=when,
            status="attended" if when <= NOW else "booked",
        )
    return alice


def cut_by_hand(course, range_key, now):
    days = CHART_RANGES[range_key][1]
    if not days:
        return course
    cut = now - timedelta(days=days)
    return {
        **course,
        "intervals": [i for i in course["intervals"] if i.end is None or i.end > cut],
        "sessions": [s for s in course["sessions"] if s.when >= cut],
    }


@pytest.mark.parametrize("range_key", list(CHART_RANGES))
@pytest.mark.parametrize("days_ago", [0, 3, 45, 200, 380, 420])
def test_the_cut_course_equals_the_whole_course_cut(long_course, range_key, days_ago):
    # days_ago moves "now" across the course: before and after the first session, in a
    # silence, and before the first entry.
    now = NOW - timedelta(days=days_ago, hours=days_ago % 7)
    cut = course_of(long_course, now, range_key, whole=False)
    whole = cut_by_hand(course_of(long_course, now, range_key), range_key, now)
    for key in ("chart", "baseline", "progress", "intervals", "next_session"):
        assert cut[key] == whole[key], key
    assert [s.pk for s in cut["sessions"]] == [s.pk for s in whole["sessions"]]
    assert cut["session_count"] == len(course_of(long_course, now)["sessions"])
    assert cut["interval_count"] == len(course_of(long_course, now)["intervals"])


def test_a_short_range_reads_only_what_it_shows(long_course):
    # Two reads of the entries, however long the course: the baseline window (exactly
    # Patient.baseline's query) and the period, from a lower bound on recorded_at.
    first_held = long_course.sessions.order_by("when")[0].when
    window = baseline_window_read(long_course, first_held, NOW)
    with CaptureQueriesContext(connection) as queries:
        course_of(long_course, NOW, "4w", whole=False)
    reads = entry_reads(queries)
    assert window in reads, reads
    period = [sql for sql in reads if sql != window]
    assert len(period) == 1, period
    assert f'{ENTRIES}."recorded_at" >= ' in period[0], period[0]
    assert " OR " not in period[0]  # one range of the index, not the whole course filtered


@freeze_at(NOW)
def test_detail_page_lists_the_period_and_links_to_everything(long_course, xavier_client):
    url = long_course.get_absolute_url()
    text = xavier_client.get(url).content.decode()
    # Sessions booked ahead are listed apart, under "Upcoming sessions", always.
    upcoming = TreatmentSession.objects.filter(patient=long_course, when__gt=NOW).count()
    past = TreatmentSession.objects.filter(patient=long_course, when__lte=NOW)
    total = past.count()
    shown = past.filter(when__gte=NOW - timedelta(days=84)).count()
    assert 0 < shown < total
    assert f"Showing {shown} of {total} sessions: those in the last 12 weeks." in text
    assert f'href="?range=all#sessions-heading">Show all {total}</a>' in text
    # The header counts the whole course ("Showing ... of {total} sessions" does too).
    assert f" · {total} sessions" in text
    assert text.count("Edit<span") == shown + upcoming

    everything = xavier_client.get(url + "?range=all").content.decode()
    assert "Showing" not in everything
    assert everything.count("Edit<span") == total + upcoming


@freeze_at(NOW)
def test_history_says_the_interval_table_is_cut(long_course, alice_client):
    text = alice_client.get("/history/").content.decode()
    held = TreatmentSession.objects.filter(patient=long_course, when__lte=NOW).count()
    # One period before the first session and one after each session held.
    assert f"of {held + 1} periods between sessions: those in the last 12 weeks." in text
    assert f"Show all {held + 1}</a>" in text
    assert "Showing" not in alice_client.get("/history/?range=all").content.decode()
