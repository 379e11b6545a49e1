import dataclasses
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tracker import scores, symptoms
from tracker.scores import Band, Reading

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def day(n, hours=0):
    return T0 + timedelta(days=n, hours=hours)


def reading(at, pain=5, numbness=5, tingling=5):
    return Reading(at, (pain, numbness, tingling))


# --- Reading, mean ------------------------------------------------------------


def test_reading_value_by_symptom_name():
    r = reading(T0, 1, 2, 3)
    assert [r.value(s) for s in symptoms.NAMES] == [1, 2, 3]


def test_reading_value_rejects_unknown_symptom():
    with pytest.raises(ValueError):
        reading(T0).value("at")


def test_mean_of_nothing_is_none():
    assert scores.mean([]) is None
    assert scores.mean(x for x in [1, 2]) == 1.5


# --- Daily means ---------------------------------------------------------------


def test_daily_means_group_by_the_local_calendar_day():
    # 23:30 UTC on 3 Nov is 00:30 on 4 Nov in a zone an hour ahead.
    ahead = timezone(timedelta(hours=1))
    late = datetime(2025, 11, 3, 23, 30, tzinfo=UTC)
    readings = [reading(late - timedelta(hours=2), 2), reading(late, 6)]
    assert [d.day.isoformat() for d in scores.daily_means(readings, UTC)] == ["2025-11-03"]
    by_zone = scores.daily_means(readings, ahead)
    assert [(d.day.isoformat(), d.mean("pain")) for d in by_zone] == [
        ("2025-11-03", 2.0),
        ("2025-11-04", 6.0),
    ]


def test_a_day_logged_six_times_weighs_as_one_day():
    # Defect 5: the mean of entries was 6.0; the mean of daily means is 3.86.
    readings = [reading(day(d), 2) for d in range(6)] + [reading(day(6, h), 10) for h in range(6)]
    days = scores.daily_means(readings, UTC)
    assert [(d.count, d.peak("pain")) for d in days][-1] == (6, 10)
    assert round(scores.means_of_days(days)["pain"], 2) == 3.14
    week = [reading(day(d), p) for d, p in enumerate([2, 3, 4, 3, 4, 5])]
    bad_day = [reading(day(6, h), 6) for h in range(6)]
    assert round(scores.means_of_days(scores.daily_means(week + bad_day, UTC))["pain"], 2) == 3.86


# --- Baseline -----------------------------------------------------------------


def test_baseline_uses_the_days_before_first_session():
    readings = [reading(day(d), p) for d, p in enumerate([6, 8, 7, 7, 1])]
    baseline = scores.baseline_for(readings, day(4), UTC)
    assert baseline.method == scores.BEFORE_FIRST_SESSION
    assert (baseline.day_count, baseline.provisional) == (4, False)
    assert baseline.values["pain"] == 7.0
    assert baseline.describe() == "the mean of 4 days in the 14 days before the first session"
    assert baseline.describe_for_patient == (
        "the mean of 4 days in the 14 days before your first session"
    )


def test_entry_at_the_session_moment_is_not_before_it():
    readings = [reading(day(d)) for d in range(5)]
    assert scores.baseline_for(readings, day(4), UTC).day_count == 4
    assert scores.baseline_for(readings, day(4, hours=1), UTC).day_count == 5


def test_three_entries_within_an_hour_make_a_provisional_baseline_of_one_day():
    # Defect 4: three entries in one hour used to make a full baseline.
    readings = [reading(day(0, hours=h / 3)) for h in range(3)]
    baseline = scores.baseline_for(readings, day(1), UTC)
    assert (baseline.day_count, baseline.provisional) == (1, True)
    assert baseline.describe() == (
        "provisional: the mean of 1 day in the 14 days before the first session (4 are needed)"
    )


def test_before_any_session_the_baseline_is_the_first_week_and_provisional():
    readings = [reading(day(0), 2), reading(day(3), 4), reading(day(6, 23), 6)]
    readings.append(reading(day(7), 10))  # exactly 7 days after the first: outside
    baseline = scores.baseline_for(readings, None, UTC)
    assert baseline.method == scores.FIRST_WEEK
    assert (baseline.day_count, baseline.provisional) == (3, True)
    assert baseline.values["pain"] == 4.0
    assert baseline.describe() == (
        "provisional: the mean of 3 days in the first 7 days of logging, until the first session"
    )


def test_a_baseline_never_holds_a_reading_from_after_the_first_session():
    # Two days before the session: the first week used to stand in, and it took
    # the two readings made after treatment began.
    readings = [reading(day(0), 9), reading(day(1), 9), reading(day(2), 3), reading(day(3), 3)]
    baseline = scores.baseline_for(readings, day(2), UTC)
    assert (baseline.values["pain"], baseline.day_count, baseline.provisional) == (9.0, 2, True)


def test_the_baseline_is_the_fortnight_before_the_first_session():
    # A reading from weeks earlier is not mixed with last week's.
    readings = [reading(day(0), 9), *(reading(day(d), 3) for d in (20, 21, 22, 23))]
    baseline = scores.baseline_for(readings, day(24), UTC)
    assert (baseline.values["pain"], baseline.day_count) == (3.0, 4)
    assert baseline.method == scores.BEFORE_FIRST_SESSION


def test_no_days_in_the_window_gives_no_baseline():
    assert scores.baseline_for([], None, UTC) is None
    assert scores.baseline_for([reading(day(0))], day(30), UTC) is None


def test_choose_baseline_applies_the_same_rule_to_days_from_sql():
    before = scores.daily_means([reading(day(d), 6) for d in range(4)], UTC)
    week = scores.daily_means([reading(day(d), 1) for d in range(7)], UTC)
    chosen = scores.choose_baseline(before, session_held=True)
    assert (chosen.method, chosen.values["pain"], chosen.provisional) == (
        scores.BEFORE_FIRST_SESSION,
        6.0,
        False,
    )
    assert scores.choose_baseline([], session_held=True) is None
    assert scores.choose_baseline(week, session_held=False).method == scores.FIRST_WEEK


# --- Change and bands ---------------------------------------------------------


def test_percent_change_is_rounded_to_one_decimal():
    assert scores.percent_change(6, 4) == -33.3
    assert scores.percent_change(4, 6) == 50.0


def test_percent_change_with_zero_or_missing_baseline_is_none():
    assert scores.percent_change(0, 3) is None
    assert scores.percent_change(None, 3) is None
    assert scores.percent_change(3, None) is None


def test_point_change():
    assert scores.point_change(6, 4.04) == -2.0
    assert scores.point_change(None, 4) is None


@pytest.mark.parametrize(
    "baseline, current, band",
    [
        (10, 7, Band.MODERATE),  # exactly -30%
        (10, 7.1, Band.MINIMAL),
        (10, 5, Band.SUBSTANTIAL),  # exactly -50%
        (10, 5.1, Band.MODERATE),
        (10, 9, Band.MINIMAL),  # exactly -10%
        (10, 9.1, Band.NO_CHANGE),
        (10, 13, Band.WORSE),  # exactly +30%
        (5, 6.4, Band.NO_CHANGE),  # +28%, 1.4 points
        (5, 6.5, Band.WORSE),  # exactly +30%
        (10, 11.9, Band.NO_CHANGE),  # +19%, 1.9 points
        (10, 12, Band.WORSE),  # +20%, but 2 points
        (10, 10, Band.NO_CHANGE),
        (10 / 3, 7 / 3, Band.MODERATE),  # thirds: -30.0% once rounded
        (3.333, 2.333, Band.MODERATE),
        (0, 2, Band.WORSE),  # zero baseline: any rise of a point is unbounded in %
        (0, 1, Band.WORSE),
        (0, 0.9, Band.NO_CHANGE),
        (0, 0, Band.NO_CHANGE),
    ],
)
def test_band_thresholds(baseline, current, band):
    assert scores.band_for(baseline, current) == band


def test_band_is_none_when_data_is_missing():
    assert scores.band_for(None, 4) is None
    assert scores.band_for(4, None) is None


def test_band_labels():
    assert Band.MODERATE.label == "Moderate improvement"
    assert Band.NO_CHANGE.label == "No important change"
    assert Band.WORSE.label == "Worse"


# --- Recent days --------------------------------------------------------------


def test_recent_days_are_the_last_seven_calendar_days_up_to_now():
    now = day(10, hours=3)  # 12:00 UTC on day 10
    start = scores.days_start(now, UTC)
    assert start == datetime(2025, 11, 7, 0, 0, tzinfo=UTC)  # days 4 to 10
    readings = [
        reading(start - timedelta(microseconds=1), pain=10),  # the day before: out
        reading(start, pain=2),
        reading(now, pain=4),  # now itself: in
        reading(now + timedelta(seconds=1), pain=10),  # future: out
    ]
    recent = scores.recent_days(readings, now, UTC)
    assert [(d.day.isoformat(), d.mean("pain")) for d in recent] == [
        ("2025-11-07", 2.0),
        ("2025-11-13", 4.0),
    ]
    assert scores.recent_peaks(recent) == {"pain": 4, "numbness": 5, "tingling": 5}


def test_recent_means_need_three_days():
    # Defect 4: one entry in 7 days could raise "worse".
    two = scores.daily_means([reading(day(0), 9), reading(day(1), 9)], UTC)
    assert scores.recent_means(two) == {"pain": None, "numbness": None, "tingling": None}
    three = scores.daily_means([reading(day(d), 9) for d in range(3)], UTC)
    assert scores.recent_means(three)["pain"] == 9.0


def test_recent_without_entries_is_none():
    assert scores.recent_days([], T0, UTC) == []
    assert scores.recent_means([]) == {"pain": None, "numbness": None, "tingling": None}
    assert scores.recent_peaks([]) == {"pain": None, "numbness": None, "tingling": None}


# --- Reliable change ----------------------------------------------------------


def test_reliable_change_follows_the_formula():
    baseline, recent = [6, 7, 6, 8, 7], [4, 5, 4, 4, 5, 4]
    result = scores.reliable_change(baseline, recent)
    ss = sum((v - 6.8) ** 2 for v in baseline) + sum((v - 13 / 3) ** 2 for v in recent)
    s = math.sqrt(ss / 9)
    # r1 of the baseline: sum of lagged products over the sum of squares, here negative.
    lagged = sum((baseline[t] - 6.8) * (baseline[t + 1] - 6.8) for t in range(4))
    assert lagged < 0 and result.autocorrelation == 0.0
    se = s * math.sqrt(1 / 5 + 1 / 6)
    assert result.spread == pytest.approx(s)
    assert result.se == pytest.approx(se)
    assert result.z == pytest.approx((13 / 3 - 6.8) / se)
    assert result.reliable and result.label == "Beyond usual ups and downs"


def test_a_patient_who_always_logs_the_same_has_the_floor_as_spread():
    result = scores.reliable_change([5] * 4, [4] * 3)
    assert result.spread == scores.SPREAD_FLOOR
    assert result.se == pytest.approx(0.5 * math.sqrt(1 / 4 + 1 / 3))
    assert result.reliable  # a whole point against a spread of half a point


def test_days_that_follow_each_other_closely_widen_the_error():
    steady = scores.reliable_change([2, 3, 4, 5, 6, 7, 8], [7, 8, 7])
    assert steady.autocorrelation == pytest.approx(4 / 7)  # r1 of a straight line of 7
    assert steady.se == pytest.approx(
        steady.spread * math.sqrt(1 / 7 + 1 / 3) * math.sqrt((1 + 4 / 7) / (1 - 4 / 7))
    )
    assert not steady.reliable
    assert steady.phrase() == "within your usual ups and downs"


def test_autocorrelation_is_kept_under_its_ceiling():
    assert scores.lag1_autocorrelation([1, 1, 1, 9, 9, 9]) > 0
    ramp = list(range(30))
    assert scores.lag1_autocorrelation(ramp) > scores.AUTOCORRELATION_MAX
    assert scores.reliable_change(ramp, [0, 1, 2]).autocorrelation == scores.AUTOCORRELATION_MAX


def test_reliable_change_needs_a_baseline_day_and_enough_recent_days():
    assert scores.reliable_change([], [1, 2, 3]) is None
    assert scores.reliable_change([5], [1, 2]) is None
    assert scores.reliable_change([5], [1, 2, 3]) is not None


# --- Flags --------------------------------------------------------------------

BASE = {"pain": 5.0, "numbness": 4.0, "tingling": 0.0}
CALM = {"pain": 5.0, "numbness": 4.0, "tingling": 0.0}


def days_like(values, n, start=0):
    """n Days, one reading each, with the given {symptom: score} (scores may be floats)."""
    means = tuple(float(values[s]) for s in symptoms.NAMES)
    peaks = tuple(math.ceil(m) for m in means)
    return [scores.Day(T0.date() + timedelta(days=start + i), means, peaks, 1) for i in range(n)]


def base_of(values, n=4):
    return scores.Baseline(tuple(days_like(values, n)), scores.BEFORE_FIRST_SESSION)


def flags(baseline=BASE, recent=CALM, peaks=None, recent_count=3, **kwargs):
    days = days_like(recent, recent_count, start=10) if recent is not None else []
    if peaks is not None:
        days[-1] = days[-1]._replace(peaks=tuple(peaks[s] for s in symptoms.NAMES))
    args = {
        "baseline": base_of(baseline) if baseline is not None else None,
        "recent": days,
        "last_entry_at": day(9),
        "now": day(10),
    }
    args.update(kwargs)
    return scores.flags_for(**args)


def maxima(pain=5, numbness=4, tingling=0):
    return {"pain": pain, "numbness": numbness, "tingling": tingling}


def test_no_flags_when_all_is_calm():
    result = flags()
    assert not result.any
    assert result.names() == []


def test_worse_flag_at_thirty_percent_of_any_symptom():
    assert flags(recent={**CALM, "numbness": 5.2}).worse  # +30%
    assert not flags(recent={**CALM, "numbness": 5.1}).worse  # +27.5%


def test_worse_flag_with_zero_baseline_needs_a_point():
    assert flags(recent={**CALM, "tingling": 1.0}).worse
    assert not flags(recent={**CALM, "tingling": 0.9}).worse


def test_worse_flag_needs_a_baseline_and_three_recent_days():
    assert not flags(baseline=None, recent={**CALM, "pain": 10}).worse
    assert not flags(recent=None).worse
    assert not flags(recent={**CALM, "pain": 10}, recent_count=2).worse
    assert flags(recent={**CALM, "pain": 10}, recent_count=3).worse


def test_severe_flag_from_seven_even_on_one_day():
    assert flags(peaks=maxima(pain=7), recent_count=1).severe
    assert not flags(peaks=maxima(pain=6)).severe
    assert not flags(recent=None).severe


def test_missed_flag_at_exactly_seven_days():
    now = day(10)
    assert flags(last_entry_at=now - timedelta(days=7)).missed
    assert not flags(last_entry_at=now - timedelta(days=7) + timedelta(seconds=1)).missed
    assert flags(last_entry_at=now - timedelta(days=3), missed_after_days=3).missed


def test_patient_who_never_logged_is_missed_only_after_the_grace_period():
    now = day(10)
    assert not flags(last_entry_at=None, since=now - timedelta(days=6)).missed
    assert flags(last_entry_at=None, since=now - timedelta(days=7)).missed
    assert not flags(last_entry_at=None, since=None).missed


def test_flag_names_and_labels():
    result = flags(recent={**CALM, "pain": 9}, peaks=maxima(9), last_entry_at=day(1))
    assert result.names() == ["worse", "severe", "missed"]
    assert result.any
    assert [flag.name for flag in scores.FLAGS] == [*result.names(), "fall"]
    assert [flag.label for flag in scores.FLAGS] == [
        "Worse",
        "Severe",
        "Review missed",
        "Fall since last review",
    ]


# --- Rolling means ------------------------------------------------------------


def test_rolling_means_of_daily_means_with_a_gap():
    readings = [
        reading(day(0), pain=2),
        reading(day(1), pain=4),
        reading(day(1, hours=1), pain=6),  # day 1's mean is 5
        reading(day(7), pain=9),  # day 0 has just left the 7 calendar days
        reading(day(20), pain=1),  # after a long gap only itself is in the window
    ]
    result = scores.rolling_means(scores.daily_means(readings, UTC), "pain")
    assert [value for _at, value in result] == [2.0, 3.5, 7.0, 1.0]
    assert [at for at, _value in result] == [day(0), day(1, hours=1), day(7), day(20)]


def test_rolling_means_of_nothing():
    assert scores.rolling_means([], "pain") == []


# --- Intervals ----------------------------------------------------------------


def test_intervals_without_sessions_is_one_interval():
    readings = [reading(day(0), pain=2), reading(day(1), pain=4)]
    [only] = scores.intervals(readings, [], UTC)
    assert only.label == "All entries"
    assert only.number == 0
    assert (only.start, only.end, only.count) == (None, None, 2)
    assert only.means["pain"] == 3.0
    assert only.changes["pain"] is None


def test_intervals_with_one_session():
    readings = [reading(day(0), pain=8), reading(day(1), pain=6), reading(day(2), pain=4)]
    before, after = scores.intervals(readings, [day(2)], UTC)
    assert (before.label, before.number, before.start, before.end) == (
        "Before session 1",
        0,
        None,
        day(2),
    )
    assert before.count == 2 and before.means["pain"] == 7.0
    # The session moment itself belongs to the interval after it.
    assert (after.label, after.number, after.start, after.end) == (
        "After session 1",
        1,
        day(2),
        None,
    )
    assert after.count == 1 and after.means["pain"] == 4.0
    assert after.changes["pain"] == -3.0


def test_sessions_without_entries_between_them():
    readings = [reading(day(0), pain=8), reading(day(5), pain=5)]
    sessions = [day(3), day(1), day(2)]  # unsorted on purpose
    result = scores.intervals(readings, sessions, UTC)
    assert [i.label for i in result] == [
        "Before session 1",
        "After session 1",
        "After session 2",
        "After session 3",
    ]
    assert [i.count for i in result] == [1, 0, 0, 1]
    assert result[1].means["pain"] is None
    assert result[1].changes["pain"] is None
    assert result[3].changes["pain"] is None  # previous interval is empty
    assert result[3].means["pain"] == 5.0


def test_intervals_with_no_entries_before_first_session():
    result = scores.intervals([reading(day(2))], [day(1)], UTC)
    assert result[0].count == 0
    assert result[1].count == 1


# --- Sentences ----------------------------------------------------------------


def sentence(symptom, baseline_value, recent_value, recent_count=3, provisional=False):
    """The patient's sentence for one symptom, through scores.progress()."""
    values = dict.fromkeys(symptoms.NAMES, 5.0)
    baseline = None
    if baseline_value is not None:
        method = scores.FIRST_WEEK if provisional else scores.BEFORE_FIRST_SESSION
        baseline = scores.Baseline(tuple(days_like({**values, symptom: baseline_value}, 4)), method)
    recent = []
    if recent_value is not None:
        recent = days_like({**values, symptom: recent_value}, recent_count, start=10)
    [row] = [p for p in scores.progress(baseline, recent) if p.symptom.name == symptom]
    return row.sentence


def test_summary_sentence_for_an_improvement():
    text = sentence("numbness", 6.0, 4.0)
    assert text == (
        "Numbness: 4.0 on average over the last 7 days, 2.0 points lower (33% less) "
        "than your baseline of 6.0 — a moderate improvement, larger than your usual ups "
        "and downs."
    )


def test_summary_sentence_percent_never_contradicts_the_band():
    # -29.5% must not be shown as "30%" next to "a minimal improvement".
    text = sentence("pain", 10.0, 7.05)
    assert "(29% less)" in text and "a minimal improvement" in text


def test_summary_sentence_for_worse_and_same():
    assert "higher (50% more)" in sentence("pain", 4.0, 6.0)
    assert "a clear worsening" in sentence("pain", 4.0, 6.0)
    same = sentence("pain", 4.0, 4.0)
    assert "the same as your baseline of 4.0 — no important change, within your usual" in same


def test_summary_sentence_with_zero_baseline_has_no_percent():
    text = sentence("tingling", 0.0, 2.0)
    assert text.startswith(
        "Tingling: 2.0 on average over the last 7 days, 2.0 points higher "
        "than your baseline of 0.0 — a clear worsening, "
    )


def test_summary_sentence_with_missing_data():
    assert sentence("pain", None, 3.0).endswith("Not enough entries yet to set a baseline.")
    assert sentence("pain", 3.0, None) == "Pain: no entries in the last 7 days."
    assert sentence("pain", 3.0, 9.0, recent_count=2) == (
        "Pain: not enough recent entries to compare (2 days in the last 7; 3 are needed)."
    )


def test_summary_sentence_names_a_provisional_baseline():
    assert "than your provisional baseline of 6.0" in sentence("pain", 6.0, 4.0, provisional=True)


def test_compare_phrase():
    assert (
        scores.compare_phrase("numbness", 4, 6.0, "your first week")
        == "Numbness 4 — 2 lower than your first week"
    )
    assert (
        scores.compare_phrase("pain", 5, 5, "your last entry") == "Pain 5 — same as your last entry"
    )
    assert (
        scores.compare_phrase("tingling", 3, 2, "your last entry")
        == "Tingling 3 — 1 higher than your last entry"
    )
    assert scores.compare_phrase("pain", 3, 4.5, "your baseline") == (
        "Pain 3 — 1.5 lower than your baseline"
    )
    assert scores.compare_phrase("pain", 3, None, "your last entry") == "Pain 3"


def test_every_flag_in_the_registry_has_its_field_and_no_field_lacks_one():
    assert [f.name for f in dataclasses.fields(scores.Flags)] == list(scores.FLAG_NAMES)


# --- Defects found by the clinical review (issue 13), each written before its fix ----------

HIGH = {"pain": 8.0, "numbness": 4.0, "tingling": 0.0}


def test_worse_can_fire_above_a_baseline_of_7_7():
    # 8 -> 10 is 2 points but only 25%: a 30% rise is impossible above 7.7.
    assert scores.band_for(8, 10) == Band.WORSE
    assert "a clear worsening" in sentence("pain", 8, 10)
    assert flags(baseline=HIGH, recent={**HIGH, "pain": 10.0}).worse


@pytest.mark.parametrize(
    "baseline, current, band",
    [
        (0.1, 0.2, Band.NO_CHANGE),  # +100%, but a tenth of a point
        (0.5, 0.2, Band.NO_CHANGE),  # -60%, but 0.3 points
        (1.9, 1.0, Band.NO_CHANGE),  # -47%, 0.9 points
        (0, 1.9, Band.WORSE),  # from nothing to nearly 2 points
        (0, 0.9, Band.NO_CHANGE),
    ],
)
def test_a_band_needs_a_change_of_a_point_near_zero(baseline, current, band):
    assert scores.band_for(baseline, current) == band


def test_severe_is_not_always_on_when_the_baseline_is_severe():
    # Pain was 8 before treatment: a 9 this week is the worsening rule's to judge.
    assert not flags(baseline=HIGH, recent=HIGH, peaks=maxima(pain=9)).severe
    # Numbness was 4: reaching 7 is new, so it is flagged.
    assert flags(baseline=HIGH, recent=HIGH, peaks=maxima(numbness=7)).severe


def test_severe_flags_a_new_patient_without_a_baseline():
    assert flags(baseline=None, peaks=maxima(pain=9)).severe


def test_a_baseline_that_does_not_move_has_no_runs_despite_float_noise():
    # Found by hypothesis: three daily means of 0.7 average to 0.6999999999999998, and
    # the autocorrelation of those crumbs was a random number; mirrored (9.3) it was 0.
    assert scores.lag1_autocorrelation([0.7, 0.7, 0.7]) == 0.0
    plain = scores.reliable_change([0.7] * 3, [0.0] * 3)
    mirrored = scores.reliable_change([9.3] * 3, [10.0] * 3)
    assert plain.se == pytest.approx(mirrored.se)
