import dataclasses
from datetime import UTC, datetime, timedelta

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


# --- Baseline -----------------------------------------------------------------


def test_baseline_uses_entries_before_first_session():
    readings = [reading(day(0), 6), reading(day(1), 8), reading(day(2), 7), reading(day(3), 1)]
    baseline = scores.baseline_for(readings, first_session_at=day(3))
    assert baseline.method == scores.BEFORE_FIRST_SESSION
    assert baseline.count == 3
    assert baseline.values["pain"] == 7.0
    assert baseline.describe() == "mean of the 14 days before the first session"


def test_entry_at_the_session_moment_is_not_before_it():
    readings = [reading(day(0)), reading(day(1)), reading(day(2))]
    # Only two entries are strictly earlier: too few, and nothing else may stand in.
    assert scores.baseline_for(readings, first_session_at=day(2)) is None
    assert scores.baseline_for(readings, first_session_at=day(2, hours=1)).count == 3


def test_baseline_without_sessions_uses_first_seven_days():
    readings = [reading(day(0), 2), reading(day(3), 4), reading(day(6, 23), 6)]
    readings.append(reading(day(7), 10))  # exactly 7 days after the first: outside
    baseline = scores.baseline_for(readings)
    assert baseline.method == scores.FIRST_WEEK
    assert baseline.count == 3
    assert baseline.values["pain"] == 4.0
    assert baseline.describe() == "mean of the first week of logging"


def test_a_baseline_never_holds_a_reading_from_after_the_first_session():
    # Two entries before the session: the first week used to stand in, and it took
    # the two readings made after treatment began.
    readings = [reading(day(0), 9), reading(day(1), 9), reading(day(2), 3), reading(day(3), 3)]
    assert scores.baseline_for(readings, first_session_at=day(2)) is None


def test_the_baseline_is_the_fortnight_before_the_first_session():
    # A reading from weeks earlier is not mixed with last week's.
    readings = [reading(day(0), 9), *(reading(day(d), 3) for d in (20, 21, 22))]
    baseline = scores.baseline_for(readings, first_session_at=day(23))
    assert (baseline.values["pain"], baseline.count) == (3.0, 3)
    assert baseline.method == scores.BEFORE_FIRST_SESSION


def test_too_few_entries_gives_no_baseline():
    assert scores.baseline_for([reading(day(0)), reading(day(1))]) is None
    assert scores.baseline_for([]) is None


def test_too_few_entries_in_first_week_gives_no_baseline():
    readings = [reading(day(0)), reading(day(1)), reading(day(8)), reading(day(9))]
    assert scores.baseline_for(readings) is None


def test_choose_baseline_applies_the_same_rule_to_aggregates():
    before = {"pain": 6, "numbness": 5, "tingling": 4}
    week = {"pain": 1, "numbness": 1, "tingling": 1}
    chosen = scores.choose_baseline(before, 3, week, 10)
    assert chosen.method == scores.BEFORE_FIRST_SESSION
    assert chosen.values == {"pain": 6.0, "numbness": 5.0, "tingling": 4.0}
    assert scores.choose_baseline(before, 2, week, 10) is None  # a session was held
    assert scores.choose_baseline(None, 0, week, 10, session_held=False).method == "first_week"
    assert scores.choose_baseline(None, 0, week, 2, session_held=False) is None
    assert scores.choose_baseline(before, 2, week, 2, min_entries=2).count == 2


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


# --- Recent values ------------------------------------------------------------


def test_recent_mean_window_excludes_exactly_seven_days_ago():
    now = day(10)
    readings = [
        reading(now - timedelta(days=7), pain=10),  # on the edge: out
        reading(now - timedelta(days=7) + timedelta(seconds=1), pain=2),
        reading(now, pain=4),  # now itself: in
        reading(now + timedelta(seconds=1), pain=10),  # future: out
    ]
    assert scores.recent_mean(readings, now)["pain"] == 3.0
    assert scores.recent_max(readings, now) == {"pain": 4, "numbness": 5, "tingling": 5}


def test_recent_mean_without_entries_is_none():
    assert scores.recent_mean([], T0) == {"pain": None, "numbness": None, "tingling": None}
    assert scores.recent_max([], T0) == {"pain": None, "numbness": None, "tingling": None}


# --- Flags --------------------------------------------------------------------

BASE = {"pain": 5.0, "numbness": 4.0, "tingling": 0.0}
CALM = {"pain": 5.0, "numbness": 4.0, "tingling": 0.0}


def flags(**kwargs):
    args = {
        "baseline_values": BASE,
        "recent_means": CALM,
        "recent_max": {"pain": 5, "numbness": 4, "tingling": 0},
        "last_entry_at": day(9),
        "now": day(10),
    }
    args.update(kwargs)
    return scores.flags_for(**args)


def test_no_flags_when_all_is_calm():
    result = flags()
    assert not result.any
    assert result.names() == []


def test_worse_flag_at_thirty_percent_of_any_symptom():
    assert flags(recent_means={**CALM, "numbness": 5.2}).worse  # +30%
    assert not flags(recent_means={**CALM, "numbness": 5.1}).worse  # +27.5%


def test_worse_flag_with_zero_baseline_needs_a_point():
    assert flags(recent_means={**CALM, "tingling": 1.0}).worse
    assert not flags(recent_means={**CALM, "tingling": 0.9}).worse


def test_worse_flag_needs_a_baseline_and_a_recent_mean():
    assert not flags(baseline_values=None, recent_means={**CALM, "pain": 10}).worse
    assert not flags(recent_means={"pain": None, "numbness": None, "tingling": None}).worse


def test_severe_flag_from_seven():
    assert flags(recent_max=maxima(pain=7)).severe
    assert not flags(recent_max=maxima(pain=6)).severe
    assert not flags(recent_max=maxima(pain=None, numbness=None, tingling=None)).severe


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
    result = flags(recent_means={**CALM, "pain": 9}, recent_max=maxima(9), last_entry_at=day(1))
    assert result.names() == ["worse", "severe", "missed"]
    assert result.any
    assert [flag.name for flag in scores.FLAGS] == result.names()
    assert [flag.label for flag in scores.FLAGS] == ["Worse", "Severe", "Review missed"]


# --- Rolling means ------------------------------------------------------------


def test_rolling_means_with_a_gap():
    readings = [
        reading(day(0), pain=2),
        reading(day(1), pain=4),
        reading(day(7), pain=9),  # day 0 has just left the window (edge excluded)
        reading(day(20), pain=1),  # after a long gap only itself is in the window
    ]
    result = scores.rolling_means(readings, "pain")
    assert [value for _at, value in result] == [2.0, 3.0, 6.5, 1.0]
    assert [at for at, _value in result] == [day(0), day(1), day(7), day(20)]


def test_rolling_means_sorts_and_includes_simultaneous_entries():
    readings = [reading(day(1), pain=6), reading(day(0), pain=2), reading(day(1), pain=4)]
    result = scores.rolling_means(readings, "pain", days=7)
    assert [value for _at, value in result] == [2.0, 4.0, 4.0]


def test_rolling_means_of_nothing():
    assert scores.rolling_means([], "pain") == []


# --- Intervals ----------------------------------------------------------------


def test_intervals_without_sessions_is_one_interval():
    readings = [reading(day(0), pain=2), reading(day(1), pain=4)]
    [only] = scores.intervals(readings, [])
    assert only.label == "All entries"
    assert only.number == 0
    assert (only.start, only.end, only.count) == (None, None, 2)
    assert only.means["pain"] == 3.0
    assert only.changes["pain"] is None


def test_intervals_with_one_session():
    readings = [reading(day(0), pain=8), reading(day(1), pain=6), reading(day(2), pain=4)]
    before, after = scores.intervals(readings, [day(2)])
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
    result = scores.intervals(readings, sessions)
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
    result = scores.intervals([reading(day(2))], [day(1)])
    assert result[0].count == 0
    assert result[1].count == 1


# --- Sentences ----------------------------------------------------------------


def test_summary_sentence_for_an_improvement():
    text = scores.summary_sentence("numbness", 6.0, 4.0)
    assert text == (
        "Numbness: 4.0 on average over the last 7 days, 2.0 points lower (33% less) "
        "than your baseline of 6.0 — a moderate improvement."
    )


def test_summary_sentence_percent_never_contradicts_the_band():
    # -29.5% must not be shown as "30%" next to "a minimal improvement".
    text = scores.summary_sentence("pain", 10.0, 7.05)
    assert "(29% less)" in text and "a minimal improvement" in text


def test_summary_sentence_for_worse_and_same():
    assert "higher (50% more)" in scores.summary_sentence("pain", 4.0, 6.0)
    assert "a clear worsening" in scores.summary_sentence("pain", 4.0, 6.0)
    same = scores.summary_sentence("pain", 4.0, 4.0)
    assert "the same as your baseline of 4.0 — no important change." in same


def test_summary_sentence_with_zero_baseline_has_no_percent():
    text = scores.summary_sentence("tingling", 0.0, 2.0)
    assert text == (
        "Tingling: 2.0 on average over the last 7 days, 2.0 points higher "
        "than your baseline of 0.0 — a clear worsening."
    )


def test_summary_sentence_with_missing_data():
    assert scores.summary_sentence("pain", None, 3.0).endswith(
        "Not enough entries yet to set a baseline."
    )
    assert scores.summary_sentence("pain", 3.0, None) == "Pain: no entries in the last 7 days."


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


def maxima(pain=5, numbness=4, tingling=0):
    return {"pain": pain, "numbness": numbness, "tingling": tingling}


def test_worse_can_fire_above_a_baseline_of_7_7():
    # 8 -> 10 is 2 points but only 25%: a 30% rise is impossible above 7.7.
    assert scores.band_for(8, 10) == Band.WORSE
    assert scores.summary_sentence("pain", 8, 10).endswith("a clear worsening.")
    assert flags(baseline_values=HIGH, recent_means={**HIGH, "pain": 10.0}).worse


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
    assert not flags(baseline_values=HIGH, recent_means=HIGH, recent_max=maxima(pain=9)).severe
    # Numbness was 4: reaching 7 is new, so it is flagged.
    assert flags(baseline_values=HIGH, recent_means=HIGH, recent_max=maxima(numbness=7)).severe


def test_severe_flags_a_new_patient_without_a_baseline():
    assert flags(baseline_values=None, recent_max=maxima(pain=9)).severe
