"""When check-in reminders fall due: pure Python, no Django (like scores.py).

A Schedule is what the patient chose: a frequency, a wall-clock time in the
clinic's zone and, for "chosen weekdays", the days. due_times() gives the latest
moment a reminder was due by `now` and the one before it; send_reminders sends
for the first and stays quiet if the patient has logged since the second.

Wall times and summer time: a due moment is the chosen time on a local date.
- A time that does not exist that day (the clocks jump over it in spring) is
  normalised with a round trip through UTC: 01:30 in the London gap is read
  with the offset before the jump and goes at 02:30 summer time, as late as
  the jump is long.
- A time that happens twice (the clocks go back in autumn) is due once, at its
  first occurrence (fold=0). There is one due moment per local date, so the
  second 01:30 is never a due time of its own.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from tracker.symptoms import listed


def gettext_noop(message):
    """Marks a message for translation (makemessages); the Django layer translates it."""
    return message


OFF = "off"
DAILY = "daily"
EVERY_2_DAYS = "every_2_days"
WEEKDAYS = "weekdays"

# (value, words) in the order the patient sees them.
FREQUENCIES = (
    (OFF, gettext_noop("No reminders")),
    (DAILY, gettext_noop("Every day")),
    (EVERY_2_DAYS, gettext_noop("Every 2 days")),
    (WEEKDAYS, gettext_noop("On the days I choose")),
)
WEEKDAY_NAMES = (
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
)

# How far back due_times() looks for the two latest due moments: two weeks
# holds two of any weekday, and a day more covers a due time later today.
SEARCH_DAYS = 15


@dataclass(frozen=True)
class Schedule:
    frequency: str = OFF
    at: time | None = None
    # 0 is Monday, as date.weekday() counts.
    weekdays: frozenset = field(default_factory=frozenset)
    # For every 2 days: reminders fall on this date and every second day from it,
    # so that the days stay put whatever day the command runs.
    anchor: date | None = None

    @property
    def is_on(self):
        if self.frequency == OFF or self.at is None:
            return False
        if self.frequency == WEEKDAYS:
            return bool(self.weekdays)
        if self.frequency == EVERY_2_DAYS:
            return self.anchor is not None
        return self.frequency == DAILY

    def falls_on(self, day):
        """Whether a reminder is due on this local date."""
        if not self.is_on:
            return False
        if self.frequency == DAILY:
            return True
        if self.frequency == EVERY_2_DAYS:
            return (day - self.anchor).days % 2 == 0
        return day.weekday() in self.weekdays

    def in_words(self, gettext=gettext_noop):
        """ "Every day at 18:00", "Off", ... for pages and the practitioner's box.

        English as it stands; the Django layer passes its gettext for the user's language."""
        if not self.is_on:
            return gettext("Off")
        at = f"{self.at:%H:%M}"
        if self.frequency == DAILY:
            return gettext("Every day at %(time)s") % {"time": at}
        if self.frequency == EVERY_2_DAYS:
            return gettext("Every 2 days at %(time)s") % {"time": at}
        days = [gettext(WEEKDAY_NAMES[d]) for d in sorted(self.weekdays)]
        return gettext("%(days)s at %(time)s") % {"days": listed(days, gettext), "time": at}


def wall_moment(day, at, tz):
    """The chosen wall time on a local date in tz, as an aware datetime in UTC.

    fold=0: of a time that happens twice, the first. A time in a spring gap is
    read with the offset before the jump, so it lands after the gap, moved
    forward by the gap's length. In UTC because Python subtracts and compares
    datetimes of one zone by their wall clocks, which is wrong across a change.
    """
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


def due_times(schedule, now, tz):
    """(latest due moment <= now, the one before it), in UTC; None where there is none."""
    if not schedule.is_on:
        return None, None
    today = now.astimezone(tz).date()
    found = []
    for back in range(SEARCH_DAYS + 1):
        day = today - timedelta(days=back)
        if not schedule.falls_on(day):
            continue
        moment = wall_moment(day, schedule.at, tz)
        if moment <= now:
            found.append(moment)
            if len(found) == 2:
                break
    found += [None, None]
    return found[0], found[1]


@dataclass(frozen=True)
class Decision:
    """What to do for one patient at one run: send for due_at, or why not (skipped)."""

    due_at: datetime | None
    skipped: str = ""  # "", "not due", "logged", "too late", "chosen after"


def decide(schedule, now, tz, last_logged_at, chosen_at, grace):
    """Whether a reminder is due now, and for which moment.

    - Quiet stop: nothing if the patient logged (last_logged_at: when their newest
      entry was saved) after the due moment before the latest one.
    - Grace: nothing for a due moment more than `grace` ago (a scheduler that was
      down all day must not send a stale reminder late at night).
    - Nothing for a due moment before the schedule was chosen.
    """
    latest, previous = due_times(schedule, now, tz)
    if latest is None:
        return Decision(None, "not due")
    if now - latest > grace:
        return Decision(None, "too late")
    if chosen_at is not None and latest <= chosen_at:
        return Decision(None, "chosen after")
    if last_logged_at is not None and previous is not None and last_logged_at > previous:
        return Decision(None, "logged")
    return Decision(latest)
