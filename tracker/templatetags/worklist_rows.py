"""The worklist's rows, each drawn from templates/tracker/worklist_row.html once and then
kept until something it shows changes.

Drawing 50 rows was most of the worklist's time. A row shows its patient's Summary
(a new object after any write or clock change: tracker/worklist.py), worded in the
reader's language, with a few things of the moment: how long ago the last entry
was, whether a review may still be undone and is from today, where the forms come
back to and whose patient it is. All of these are in the key of a kept row, so a
kept row is the row that would be drawn now. The CSRF token, new on every page, is
left out of the kept text and put in as the row is served.
"""

import threading
from collections import OrderedDict

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from tracker.templatetags.score_cells import initials

register = template.Library()

# Stands for the CSRF token in kept rows; NUL never reaches a page (nor a database).
CSRF_STAND_IN = "\x00csrf\x00"
# About 3 KB a row: some 15 MB per process.
KEPT_ROWS = 5000


class KeptRows:
    """Row HTML by key, the least recently used dropped past `size`."""

    def __init__(self, size):
        self.size = size
        self._rows = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            html = self._rows.get(key)
            if html is not None:
                self._rows.move_to_end(key)
            return html

    def put(self, key, html):
        with self._lock:
            self._rows[key] = html
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def clear(self):
        with self._lock:
            self._rows.clear()


KEPT = KeptRows(KEPT_ROWS)


@register.simple_tag(takes_context=True)
def worklist_row(context, row):
    """The <tr> of a worklist.WorklistRow, as worklist_row.html draws it."""
    now, here, my_id = context["now"], context["here"], context["my_id"]
    at = row.patient.last_entry_at
    key = (
        row.summary,  # compared by identity: a new one after every change
        row.can_undo,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate(now),  # a review of today shows its time only
        timesince(at, now, depth=1) if at else "",  # as |ago draws it
        here,
        my_id,
    )
    html = None if settings.DEBUG else KEPT.get(key)
    if html is None:
        html = render_to_string(
            "tracker/worklist_row.html",
            {
                "row": row,
                "now": now,
                "here": here,
                "my_id": my_id,
                "initials": " / ".join(initials()),
                "csrf_token": CSRF_STAND_IN,
                "review_note_max": context.get("review_note_max", ""),
            },
        ).strip("\n")
        KEPT.put(key, html)
    return mark_safe(html.replace(CSRF_STAND_IN, str(context.get("csrf_token", ""))))
