"""The "since last session" summary (issue 16): scores.since_last_session on its own, and
the patient page's section with the patient's notes and the text to copy."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tests.conftest import body, detail_url, make_entry, make_session
from tracker import scores
from tracker.scores import Reading

TZ = UTC
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def day(n, hour=9):
    return T0 + timedelta(days=n, hours=hour - 9)


def readings(*rows):
    """(day number, pain, numbness, tingling) rows as Readings."""
    return [Reading(day(n), (p, nu, t)) for n, p, nu, t in rows]


def baseline_of(rs, first_session):
    return scores.baseline_for(rs, first_session, TZ)


# On its own


def test_no_session_held_means_no_summary():
    rs = readings((0, 5, 5, 5))
    assert scores.since_last_session(rs, [], None, day(3), TZ) is None


def test_means_and_changes_since_the_last_session():
    # Baseline week at 6, session 1 on day 7, interval 1 at 5, session 2 on day 14, then 3.
    rs = readings(
        *((n, 6, 4, 2) for n in range(7)),
        *((n, 5, 4, 2) for n in range(7, 14)),
        *((n, 3, 4, 3) for n in range(14, 19)),
    )
    held = [day(7, 8), day(14, 8)]
    baseline = baseline_of(rs, held[0])

    since = scores.since_last_session(rs, held, baseline, day(18, 20), TZ)

    assert since.number == 2 and since.at == held[1]
    assert since.days == 4
    assert since.interval.count == 5
    pain, numbness, tingling = since.rows
    assert pain["mean"] == 3.0 and pain["change"] == -2.0  # against interval 1 at 5
    assert pain["progress"].baseline == 6.0 and pain["progress"].points == -3.0
    assert pain["progress"].reliable is not None  # five days since: enough to judge
    assert numbness["change"] == 0.0
    assert tingling["change"] == 1.0 and tingling["progress"].points == 1.0


def test_a_flag_raised_since_the_session_is_new_and_one_raised_before_is_not():
    calm = [(n, 3, 3, 2) for n in range(5)]
    held = [day(7, 8)]
    now = day(10, 20)

    # A 9 for pain after the session: severe, and new.
    rs = readings(*calm, (8, 3, 3, 2), (9, 9, 3, 2))
    since = scores.since_last_session(rs, held, baseline_of(rs, held[0]), now, TZ)
    assert not baseline_of(rs, held[0]).provisional
    assert "severe" in [f.name for f in since.new_flags]

    # The same 9 the day before the session: severe then and now, so not new.
    rs = readings(*calm, (6, 9, 3, 2), (8, 3, 3, 2), (9, 3, 3, 2))
    since = scores.since_last_session(rs, held, baseline_of(rs, held[0]), now, TZ)
    assert "severe" not in [f.name for f in since.new_flags]


def test_a_missed_review_window_since_the_session_is_a_new_flag():
    rs = readings(*((n, 4, 4, 4) for n in range(7)))
    held = [day(7, 8)]
    now = day(7 + scores.MISSED_AFTER_DAYS + 1)

    since = scores.since_last_session(rs, held, baseline_of(rs, held[0]), now, TZ)

    assert [f.name for f in since.new_flags] == ["missed"]
    assert since.interval.count == 0
    assert since.rows[0]["mean"] is None


def test_only_sessions_held_count():
    rs = readings(*((n, 4, 4, 4) for n in range(10)))
    # The caller passes the sessions held by now; the last one is the one summarised.
    since = scores.since_last_session(rs, [day(3, 8)], None, day(9, 20), TZ)
    assert since.number == 1 and since.interval.count == 7  # days 3 to 9


# On the patient page


@pytest.mark.django_db
def test_the_page_shows_the_summary_the_patient_s_notes_and_the_text(xavier_client, alice):
    now = datetime.now(UTC)
    for n in range(10, 3, -1):
        make_entry(alice, now - timedelta(days=n), pain=6, note="")
    session = make_session(alice, now - timedelta(days=3, hours=1))
    session.notes = "practitioner-only-note"
    session.save()
    make_entry(alice, now - timedelta(days=2), pain=4, note="walked to the shop <b>")
    make_entry(alice, now - timedelta(days=1), pain=3, note="slept well")
    make_entry(alice, now - timedelta(hours=1), pain=3)

    page = body(xavier_client.get(detail_url(alice)))

    assert "Since session 1" in page
    section = page[page.index('id="since-heading"') : page.index('id="chart-heading"')]
    assert "walked to the shop &lt;b&gt;" in section and "<b>" not in section
    assert section.index("walked to the shop") < section.index("slept well")
    assert "practitioner-only-note" not in section
    text = section[section.index("<textarea") : section.index("</textarea>")]
    assert "readonly" in text
    assert "Since session 1" in text and "3 entries" in text
    assert "Pain: mean 3.3" in text
    assert "- " in text and "slept well" in text
    assert "New flags since the session: none." in text


@pytest.mark.django_db
def test_no_summary_before_the_first_session_or_for_a_booked_one(xavier_client, alice):
    now = datetime.now(UTC)
    make_entry(alice, now - timedelta(days=1))
    make_session(alice, now + timedelta(days=2))

    page = body(xavier_client.get(detail_url(alice)))

    assert 'id="since-heading"' not in page


@pytest.mark.django_db
def test_the_patient_never_sees_the_summary(alice_client, alice):
    now = datetime.now(UTC)
    make_entry(alice, now - timedelta(days=4), note="my note")
    make_session(alice, now - timedelta(days=3))
    page = body(alice_client.get(reverse("tracker:history")))
    assert "Copy as text" not in page and 'id="since-heading"' not in page
