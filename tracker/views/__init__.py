"""Views, one module per part of the product. urls.py imports them from here."""

from tracker.views.learn import learn_index, learn_page
from tracker.views.patient import delete_entry, edit_entry, history, home, log_entry
from tracker.views.practice import patient_detail, worklist

__all__ = [
    "delete_entry",
    "edit_entry",
    "history",
    "home",
    "learn_index",
    "learn_page",
    "log_entry",
    "patient_detail",
    "worklist",
]
