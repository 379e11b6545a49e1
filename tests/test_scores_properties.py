"""Properties of the rules in scores.py, checked over many generated inputs (hypothesis)."""

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker import scores, symptoms
from tracker.scores import Band

score = st.floats(min_value=0, max_value=10, allow_nan=False)


@given(score, score)
def test_a_change_under_a_point_is_never_given_a_band(baseline, current):
    if abs(scores.point_change(baseline, current)) < scores.BAND_MIN_POINTS:
        assert scores.band_for(baseline, current) == Band.NO_CHANGE


@given(st.floats(min_value=0, max_value=10 - scores.WORSE_POINTS, allow_nan=False))
def test_worse_can_be_reached_from_every_baseline(baseline):
    assert scores.band_for(baseline, baseline + scores.WORSE_POINTS) == Band.WORSE


@given(score, score)
def test_a_rise_is_never_an_improvement_and_a_fall_never_worse(baseline, current):
    band = scores.band_for(baseline, current)
    if band == Band.WORSE:
        assert current > baseline
    elif band != Band.NO_CHANGE:
        assert current < baseline


@given(score, score, score)
def test_a_larger_fall_never_gets_a_smaller_improvement(baseline, first, second):
    order = [Band.NO_CHANGE, Band.MINIMAL, Band.MODERATE, Band.SUBSTANTIAL]
    low, high = sorted((first, second))
    bands = [scores.band_for(baseline, value) for value in (low, high)]
    if high <= baseline and Band.WORSE not in bands:
        assert order.index(bands[0]) >= order.index(bands[1])


# --- Daily means and reliable change ------------------------------------------------

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")  # clocks change on 29 March: inside the histories
one_score = st.integers(min_value=0, max_value=10)
readings = st.lists(
    st.builds(
        lambda minutes, values: scores.Reading(T0 + timedelta(minutes=minutes), values),
        st.integers(min_value=0, max_value=40 * 24 * 60),
        st.tuples(*(one_score for _ in symptoms.NAMES)),
    ),
    max_size=60,
).map(lambda items: sorted(items, key=lambda r: r.at))


def everything(history, first_session_at, now):
    """Every figure a page shows, from raw readings."""
    baseline = scores.baseline_for(history, first_session_at, LONDON)
    recent = scores.recent_days(history, now, LONDON)
    sessions = [first_session_at] if first_session_at else []
    return (
        baseline.values if baseline else None,
        baseline.provisional if baseline else None,
        scores.progress(baseline, recent),
        scores.flags_for(baseline, recent, history[-1].at if history else None, now),
        [(i.means, i.changes) for i in scores.intervals(history, sessions, LONDON)],
    )


@given(readings, st.integers(min_value=0, max_value=40), st.integers(min_value=1, max_value=5))
def test_logging_a_day_again_changes_no_figure(history, day_number, copies):
    # The same readings of one day logged `copies` more times weigh as that one day.
    day = (T0 + timedelta(days=day_number)).astimezone(LONDON).date()
    again = [r for r in history if r.at.astimezone(LONDON).date() == day] * copies
    doubled = sorted(history + again, key=lambda r: r.at)
    first_session_at = T0 + timedelta(days=20)
    now = T0 + timedelta(days=41)
    assert everything(doubled, first_session_at, now) == everything(history, first_session_at, now)
    assert everything(doubled, None, now) == everything(history, None, now)


day_means = st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=1, max_size=14)


@given(day_means, day_means)
def test_reliable_change_is_symmetric_in_sign(baseline, recent):
    # Mirroring every score (x -> 10 - x) turns a rise into the same fall.
    result = scores.reliable_change(baseline, recent)
    mirrored = scores.reliable_change([10 - v for v in baseline], [10 - v for v in recent])
    if result is None:
        assert mirrored is None
        return
    assert mirrored.z == pytest.approx(-result.z)
    assert mirrored.se == pytest.approx(result.se)
    assert mirrored.reliable == result.reliable or math.isclose(
        abs(result.z), scores.RELIABLE_Z, rel_tol=1e-9
    )


@given(day_means, day_means)
def test_reliable_change_keeps_its_bounds(baseline, recent):
    result = scores.reliable_change(baseline, recent)
    if result is not None:
        assert result.spread >= scores.SPREAD_FLOOR
        assert 0 <= result.autocorrelation <= scores.AUTOCORRELATION_MAX
        assert result.se > 0


session_times = st.lists(
    st.integers(min_value=0, max_value=40 * 24 * 60).map(lambda m: T0 + timedelta(minutes=m)),
    max_size=8,
    unique=True,
)


@given(readings, session_times)
def test_the_last_interval_is_the_last_of_all_intervals(history, sessions):
    assert (
        scores.last_interval(history, sessions, LONDON)
        == scores.intervals(history, sessions, LONDON)[-1]
    )


@given(readings, session_times, st.integers(min_value=-60, max_value=41 * 24 * 60))
def test_intervals_cut_are_those_of_the_whole_list_that_end_after_the_cut(
    history, sessions, minutes
):
    cut = T0 + timedelta(minutes=minutes)
    whole = scores.intervals(history, sessions, LONDON)
    kept = [i for i in whole if i.end is None or i.end > cut]
    assert scores.intervals(history, sessions, LONDON, ending_after=cut) == kept
