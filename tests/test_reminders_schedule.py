"""tracker/reminders.py on its own: when reminders fall due. No database.

Both Europe/London changes of 2026 (29 March: 01:00 GMT becomes 02:00 BST;
25 October: 02:00 BST becomes 01:00 GMT) and New York, five hours behind UTC.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker.reminders import (
    DAILY,
    EVERY_2_DAYS,
    OFF,
    WEEKDAYS,
    Schedule,
    decide,
    due_times,
    wall_moment,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
GRACE = timedelta(hours=2)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def daily(hour, minute=0):
    return Schedule(DAILY, time(hour, minute))


def test_off_and_incomplete_schedules_are_never_due():
    now = utc(2026, 6, 16, 12)
    for schedule in (
        Schedule(OFF, time(9)),
        Schedule(DAILY, None),
        Schedule(WEEKDAYS, time(9), frozenset()),
        Schedule(EVERY_2_DAYS, time(9), anchor=None),
    ):
        assert due_times(schedule, now, LONDON) == (None, None)


def test_daily_gives_today_and_yesterday_in_the_clinic_zone():
    # 18:00 in London in June is 17:00 UTC.
    now = utc(2026, 6, 16, 17, 5)
    assert due_times(daily(18), now, LONDON) == (utc(2026, 6, 16, 17), utc(2026, 6, 15, 17))


def test_a_time_later_today_is_not_yet_due():
    now = utc(2026, 6, 16, 16, 59)
    assert due_times(daily(18), now, LONDON) == (utc(2026, 6, 15, 17), utc(2026, 6, 14, 17))


def test_the_due_moment_itself_counts_as_due():
    now = utc(2026, 6, 16, 17)
    assert due_times(daily(18), now, LONDON)[0] == now


def test_new_york_is_five_hours_behind_utc_in_winter():
    now = utc(2026, 1, 15, 23, 10)
    assert due_times(daily(18), now, NEW_YORK) == (utc(2026, 1, 15, 23), utc(2026, 1, 14, 23))


def test_new_york_local_date_differs_from_the_utc_date():
    # 21:30 in New York on 15 January is 02:30 UTC on the 16th.
    now = utc(2026, 1, 16, 3)
    assert due_times(daily(21, 30), now, NEW_YORK)[0] == utc(2026, 1, 16, 2, 30)


def test_every_2_days_keeps_the_days_of_its_anchor():
    schedule = Schedule(EVERY_2_DAYS, time(9), anchor=date(2026, 6, 1))
    # 16 June is 15 days after the anchor: not a reminder day, so the 15th and the 13th.
    now = utc(2026, 6, 16, 12)
    assert due_times(schedule, now, LONDON) == (utc(2026, 6, 15, 8), utc(2026, 6, 13, 8))
    now = utc(2026, 6, 17, 12)
    assert due_times(schedule, now, LONDON) == (utc(2026, 6, 17, 8), utc(2026, 6, 15, 8))


def test_chosen_weekdays_only_fall_on_those_days():
    # Monday and Thursday; 16 June 2026 is a Tuesday.
    schedule = Schedule(WEEKDAYS, time(10), frozenset({0, 3}))
    now = utc(2026, 6, 16, 12)
    assert due_times(schedule, now, LONDON) == (utc(2026, 6, 15, 9), utc(2026, 6, 11, 9))


def test_one_weekday_looks_back_two_weeks_for_the_one_before():
    schedule = Schedule(WEEKDAYS, time(10), frozenset({6}))  # Sundays
    now = utc(2026, 6, 20, 12)  # a Saturday
    assert due_times(schedule, now, LONDON) == (utc(2026, 6, 14, 9), utc(2026, 6, 7, 9))


# Spring forward, 29 March 2026: 01:00 GMT jumps to 02:00 BST, so 01:30 does not exist.


def test_a_time_in_the_spring_gap_goes_as_late_as_the_gap_is_long():
    moment = wall_moment(date(2026, 3, 29), time(1, 30), LONDON)
    # 01:30 is read as GMT: 01:30 UTC, shown as 02:30 summer time.
    assert moment == utc(2026, 3, 29, 1, 30)
    local = moment.astimezone(LONDON)
    assert (local.hour, local.minute, local.utcoffset()) == (2, 30, timedelta(hours=1))


def test_the_spring_day_has_one_due_time_in_the_gap_and_the_days_around_it_are_normal():
    schedule = daily(1, 30)
    assert due_times(schedule, utc(2026, 3, 29, 1, 29), LONDON)[0] == utc(2026, 3, 28, 1, 30)
    assert due_times(schedule, utc(2026, 3, 29, 1, 30), LONDON) == (
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 28, 1, 30),
    )
    # The next day, 01:30 BST is 00:30 UTC.
    assert due_times(schedule, utc(2026, 3, 30, 1), LONDON)[0] == utc(2026, 3, 30, 0, 30)


def test_an_evening_reminder_moves_by_an_hour_in_utc_across_the_spring_change():
    schedule = daily(18)
    latest, previous = due_times(schedule, utc(2026, 3, 29, 20), LONDON)
    assert (latest, previous) == (utc(2026, 3, 29, 17), utc(2026, 3, 28, 18))
    assert latest - previous == timedelta(hours=23)


# Fall back, 25 October 2026: 02:00 BST goes back to 01:00 GMT, so 01:30 happens twice.


def test_a_time_that_happens_twice_is_due_once_at_its_first_occurrence():
    schedule = daily(1, 30)
    first = utc(2026, 10, 25, 0, 30)  # 01:30 BST
    second = utc(2026, 10, 25, 1, 30)  # 01:30 GMT
    assert wall_moment(date(2026, 10, 25), time(1, 30), LONDON) == first
    assert due_times(schedule, first, LONDON)[0] == first
    # At the second 01:30 the latest due moment is still the first one.
    assert due_times(schedule, second, LONDON)[0] == first
    assert due_times(schedule, second + timedelta(hours=20), LONDON)[0] == first


def test_an_evening_reminder_moves_by_an_hour_in_utc_across_the_autumn_change():
    latest, previous = due_times(daily(18), utc(2026, 10, 25, 19), LONDON)
    assert (latest, previous) == (utc(2026, 10, 25, 18), utc(2026, 10, 24, 17))
    assert latest - previous == timedelta(hours=25)


def test_new_york_changes_on_its_own_days():
    # America/New_York springs forward on 8 March 2026, three weeks before London.
    latest, previous = due_times(daily(9), utc(2026, 3, 8, 14), NEW_YORK)
    assert (latest, previous) == (utc(2026, 3, 8, 13), utc(2026, 3, 7, 14))


# decide(): quiet stop, grace and a choice made after the due time.


def test_decide_sends_for_the_latest_due_time():
    now = utc(2026, 6, 16, 17, 10)
    decision = decide(daily(18), now, LONDON, None, utc(2026, 6, 1), GRACE)
    assert (decision.due_at, decision.skipped) == (utc(2026, 6, 16, 17), "")


def test_decide_stays_quiet_after_an_entry_since_the_previous_due_time():
    now = utc(2026, 6, 16, 17, 10)
    logged = utc(2026, 6, 15, 17, 1)  # just after yesterday's reminder
    decision = decide(daily(18), now, LONDON, logged, None, GRACE)
    assert (decision.due_at, decision.skipped) == (None, "logged")


def test_decide_sends_when_the_last_entry_is_before_the_previous_due_time():
    now = utc(2026, 6, 16, 17, 10)
    logged = utc(2026, 6, 15, 16, 59)
    assert decide(daily(18), now, LONDON, logged, None, GRACE).due_at == utc(2026, 6, 16, 17)


@pytest.mark.parametrize(
    ("minutes_late", "due"), [(0, True), (119, True), (120, True), (121, False), (600, False)]
)
def test_decide_sends_only_within_the_grace_window(minutes_late, due):
    now = utc(2026, 6, 16, 17) + timedelta(minutes=minutes_late)
    decision = decide(daily(18), now, LONDON, None, None, GRACE)
    assert (decision.due_at is not None) is due
    assert decision.skipped == ("" if due else "too late")


def test_decide_sends_nothing_for_a_due_time_before_the_choice_was_made():
    now = utc(2026, 6, 16, 17, 10)
    decision = decide(daily(18), now, LONDON, None, utc(2026, 6, 16, 17, 5), GRACE)
    assert decision.skipped == "chosen after"


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        (Schedule(OFF), "Off"),
        (daily(18), "Every day at 18:00"),
        (Schedule(EVERY_2_DAYS, time(7, 30), anchor=date(2026, 1, 1)), "Every 2 days at 07:30"),
        (Schedule(WEEKDAYS, time(9), frozenset({4, 0})), "Monday and Friday at 09:00"),
        (
            Schedule(WEEKDAYS, time(9), frozenset({2, 0, 4})),
            "Monday, Wednesday and Friday at 09:00",
        ),
        (Schedule(WEEKDAYS, time(9), frozenset({6})), "Sunday at 09:00"),
    ],
)
def test_a_schedule_in_words(schedule, words):
    assert schedule.in_words() == words
