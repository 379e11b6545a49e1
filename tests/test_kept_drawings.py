"""Rows drawn once and kept by value (tracker/templatetags/score_cells.py): an interval
table's rows and the history page's entry cards. A kept drawing is found only by a value
equal in every field, so what the page shows follows every change at once."""

import uuid
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from tests.conftest import MARCH_NOW, body, freeze_at, make_entry
from tracker.chart_events import Counts
from tracker.scores import SessionInterval
from tracker.templatetags.score_cells import ByValue, date_words, frozen
from tracker.views.patient import EntryCard

pytestmark = pytest.mark.frozen_at(MARCH_NOW)

INTERVAL = SessionInterval(
    label="after",
    number=2,
    start=MARCH_NOW - timedelta(days=7),
    end=None,
    count=5,
    means={"pain": 4.5, "numbness": None, "tingling": 3.0},
    changes={"pain": -1.0, "numbness": None, "tingling": 0.5},
    reported=Counts({"fall": 1}, "Much better"),
)
OTHER = {
    "label": "before",
    "number": 3,
    "start": MARCH_NOW,
    "end": MARCH_NOW,
    "count": 6,
    "means": {"pain": 4.6, "numbness": None, "tingling": 3.0},
    "changes": {"pain": -1.0, "numbness": 0.1, "tingling": 0.5},
    "reported": Counts({"fall": 2}, "Much better"),
}


def test_every_field_of_an_interval_is_in_its_key():
    assert {f.name for f in fields(SessionInterval)} == set(OTHER)
    for name, value in OTHER.items():
        changed = replace(INTERVAL, **{name: value})
        assert ByValue(changed) != ByValue(INTERVAL), name
        assert hash(frozen(changed)) != hash(frozen(INTERVAL)), name
    # The counts inside too, and the impression beside them.
    for reported in (Counts({"fall": 1, "dose": 1}, "Much better"), Counts({"fall": 1}, "")):
        assert ByValue(replace(INTERVAL, reported=reported)) != ByValue(INTERVAL)
    same = replace(INTERVAL, means=dict(reversed(list(INTERVAL.means.items()))))
    assert ByValue(same) == ByValue(INTERVAL) and hash(ByValue(same)) == hash(ByValue(INTERVAL))


def entry_list(page):
    return page[page.index('<ol class="entry-list">') : page.index("</ol>")]


def test_an_entry_card_follows_an_edit_and_the_end_of_its_edit_window(alice_client, alice):
    with freeze_at(MARCH_NOW):
        entry = make_entry(alice, MARCH_NOW - timedelta(hours=1), note="First words")
        page = body(alice_client.get("/history/"))
        assert "First words" in page and f"/history/entries/{entry.public_id}/edit/" in page
        again = body(alice_client.get("/history/"))
        assert entry_list(again) == entry_list(page)  # drawn from the kept card

        entry.note = "Second words"
        entry.save()
        page = body(alice_client.get("/history/"))
        assert "Second words" in page and "First words" not in page

    # A day on, the same entry can no longer be changed: no more links to do it.
    with freeze_at(MARCH_NOW + timedelta(days=1)):
        page = body(alice_client.get("/history/"))
        assert "Second words" in page and f"/history/entries/{entry.public_id}/edit/" not in page


def test_an_entry_card_is_drawn_in_the_reader_s_language(alice_client, alice):
    with freeze_at(MARCH_NOW):
        make_entry(alice, MARCH_NOW - timedelta(days=2), locations=["feet_left"])
        spanish = body(alice_client.get("/history/", headers={"accept-language": "es"}))
        # English last: a request leaves its language active for whatever runs next.
        english = body(alice_client.get("/history/"))
    assert "Where: Left foot" in english
    assert "Where: Left foot" not in spanish and "pie izquierdo" in spanish.lower()


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Shanghai"])
def test_kept_date_words_are_the_date_filter_s_in_every_zone_and_language(zone):
    # Across the night London's clocks go back (01:30 comes twice: fold 0, then 1).
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    moments = [start + timedelta(minutes=30 * i) for i in range(6)] * 2  # twice: kept
    for language in ("en-gb", "es", "zh-hans"):
        with translation.override(language), timezone.override(ZoneInfo(zone)):
            for moment in moments:
                for text in ("D j M Y, H:i", "j M H:i", "l j F Y, H:i"):
                    assert date_words(moment, text) == date_filter(
                        timezone.localtime(moment), text
                    ), (moment, text)


def test_every_field_of_an_entry_card_is_in_its_key():
    card = EntryCard(
        public_id=uuid.UUID(int=1),
        when_words="Tue 3 Mar 2026, 12:00",
        in_clinic=False,
        entered_by="",
        scores=(5, 4, 3),
        location_labels=("Left foot",),
        note="A note",
        events=(("Extra dose", "Pregabalin", ""),),
        is_editable_now=True,
        when_short="3 Mar 12:00",
        edit_path="/history/entries/1/edit/",
        delete_path="/history/entries/1/delete/",
    )
    other = {
        "public_id": uuid.UUID(int=2),
        "when_words": "Tue 3 Mar 2026, 12:01",
        "in_clinic": True,
        "entered_by": "Dr Gold",
        "scores": (5, 4, 4),
        "location_labels": ("Right foot",),
        "note": "Another note",
        "events": (("Extra dose", "Pregabalin", "at night"),),
        "is_editable_now": False,
        "when_short": "3 Mar 12:01",
        "edit_path": "/history/entries/2/edit/",
        "delete_path": "/history/entries/2/delete/",
    }
    assert {f.name for f in fields(EntryCard)} == set(other)
    for name, value in other.items():
        assert ByValue(replace(card, **{name: value})) != ByValue(card), name
    assert ByValue(replace(card)) == ByValue(card)
