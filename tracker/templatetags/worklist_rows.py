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

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from tracker.templatetags.score_cells import symptom_initials
from tracker.templatetags.tracker_extras import ago
from tracker.worklist import Kept

register = template.Library()

# Stands for the CSRF token in kept rows; NUL never reaches a page (nor a database).
CSRF_STAND_IN = "\x00csrf\x00"
# About 3 KB a row: some 15 MB per process.
KEPT_ROWS = 5000


KEPT = Kept(KEPT_ROWS)  # row HTML by everything it shows


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
        ago(at, now) if at else "",  # the row's "3 days ago"
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
                "initials": symptom_initials(),
                "csrf_token": CSRF_STAND_IN,
                "review_note_max": context.get("review_note_max", ""),
            },
        ).strip("\n")
        KEPT.put(key, html)
    return mark_safe(html.replace(CSRF_STAND_IN, str(context.get("csrf_token", ""))))
