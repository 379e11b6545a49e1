"""Properties of the rules in scores.py, checked over many generated inputs (hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from tracker import scores
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
