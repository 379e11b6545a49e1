"""scores.still_reviewed and scores.missed_since: when a review stops covering the flags.

Pure Python, no database: the rule the worklist applies to every row.
"""

from datetime import UTC, datetime, timedelta

import pytest

from tracker.scores import Flags, Review, flags_for, missed_since, still_reviewed

REVIEWED = datetime(2026, 6, 16, 11, 0, tzinfo=UTC)
BEFORE, AFTER = REVIEWED - timedelta(hours=1), REVIEWED + timedelta(hours=1)


def review(*flags):
    return Review(REVIEWED, flags)


def test_no_review_covers_nothing():
    assert not still_reviewed(Flags(severe=True), None, None, None)


def test_with_no_flags_now_there_is_nothing_to_cover():
    assert not still_reviewed(Flags(), review("severe"), None, None)


def test_the_flags_reviewed_stay_covered_while_nothing_new_arises():
    assert still_reviewed(Flags(severe=True, worse=True), review("severe", "worse"), BEFORE, None)


def test_fewer_flags_than_at_the_review_stay_covered():
    assert still_reviewed(Flags(worse=True), review("severe", "worse"), None, None)


@pytest.mark.parametrize("flags_now", [Flags(worse=True), Flags(severe=True, worse=True)])
def test_worse_that_was_not_there_at_the_review_reopens_it(flags_now):
    assert not still_reviewed(flags_now, review("severe"), BEFORE, None)


def test_severe_that_was_not_there_at_the_review_reopens_it():
    assert not still_reviewed(Flags(severe=True, worse=True), review("worse"), BEFORE, None)


@pytest.mark.parametrize(
    ("saved_at", "covered"),
    [(BEFORE, True), (REVIEWED, True), (AFTER, False), (None, True)],
)
def test_a_severe_score_saved_after_the_review_reopens_it(saved_at, covered):
    assert still_reviewed(Flags(severe=True), review("severe"), saved_at, None) is covered


def test_a_severe_score_saved_after_the_review_does_not_matter_without_the_flag():
    assert still_reviewed(Flags(worse=True), review("worse"), AFTER, None)


@pytest.mark.parametrize(
    ("opened", "covered"),
    [(BEFORE, True), (REVIEWED, True), (AFTER, False), (None, False)],
)
def test_a_missed_window_that_opened_after_the_review_reopens_it(opened, covered):
    assert still_reviewed(Flags(missed=True), review("missed"), None, opened) is covered


def test_missed_not_there_at_the_review_has_a_window_that_opened_after_it():
    # Not overdue when reviewed: the window opens later, so it is new.
    assert not still_reviewed(Flags(missed=True), review("severe"), None, AFTER)


def test_missed_since_counts_from_the_last_entry_else_from_joining():
    last, joined = REVIEWED - timedelta(days=3), REVIEWED - timedelta(days=30)
    assert missed_since(last, joined, 7) == last + timedelta(days=7)
    assert missed_since(None, joined, 7) == joined + timedelta(days=7)
    assert missed_since(None, None, 7) is None


@pytest.mark.parametrize("days", [6, 7, 8])
def test_missed_since_is_the_moment_flags_for_raises_missed(days):
    last = REVIEWED - timedelta(days=days)
    raised = flags_for(None, [], last, REVIEWED, missed_after_days=7).missed
    assert raised == (missed_since(last, None, 7) <= REVIEWED)


def test_a_fall_after_the_last_review_is_flagged_and_one_before_it_is_not():
    calm = {"baseline": None, "recent": [], "last_entry_at": REVIEWED, "now": AFTER}
    assert flags_for(**calm, last_fall_at=AFTER, reviewed_at=REVIEWED).fall
    assert not flags_for(**calm, last_fall_at=BEFORE, reviewed_at=REVIEWED).fall
    assert not flags_for(**calm, last_fall_at=REVIEWED, reviewed_at=REVIEWED).fall
    # Never reviewed: any fall counts; no fall, no flag.
    assert flags_for(**calm, last_fall_at=BEFORE).fall
    assert not flags_for(**calm).fall


def test_no_review_covers_a_fall_flag():
    # The flag counts only falls after the last review, so a review never covers it.
    assert not still_reviewed(Flags(fall=True), review("fall"), None, None)
    assert not still_reviewed(Flags(fall=True, worse=True), review("worse", "fall"), None, None)
