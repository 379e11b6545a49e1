"""Views, one module per part of the product. urls.py imports them from here."""

from tracker.views.discharge import edit_details, finish_course, reopen_course
from tracker.views.export import export_csv
from tracker.views.invitations import (
    accept_invitation,
    add_patient,
    add_patient_email,
    resend_invitation,
    send_password_reset,
    sign_in_sheet,
)
from tracker.views.learn import learn_index, learn_page
from tracker.views.medicines import edit_medicine, medicines, remove_medicine
from tracker.views.patient import (
    delete_entry,
    edit_entry,
    follow_up,
    history,
    home,
    log_entry,
    ping,
)
from tracker.views.practice import (
    add_session,
    delete_session,
    edit_session,
    patient_detail,
    record_outcome,
    report,
    worklist,
)
from tracker.views.reminders import (
    reminder_settings,
    suggest_reminders,
    unsubscribe,
    use_suggestion,
)
from tracker.views.reviews import review, undo_review
from tracker.views.team import add_team_member, remove_team_member

__all__ = [
    "undo_review",
    "review",
    "reopen_course",
    "finish_course",
    "edit_details",
    "accept_invitation",
    "add_patient",
    "add_patient_email",
    "add_session",
    "add_team_member",
    "delete_entry",
    "delete_session",
    "edit_entry",
    "edit_medicine",
    "edit_session",
    "export_csv",
    "follow_up",
    "history",
    "home",
    "learn_index",
    "learn_page",
    "log_entry",
    "medicines",
    "patient_detail",
    "ping",
    "record_outcome",
    "reminder_settings",
    "remove_medicine",
    "remove_team_member",
    "report",
    "resend_invitation",
    "send_password_reset",
    "sign_in_sheet",
    "suggest_reminders",
    "unsubscribe",
    "use_suggestion",
    "worklist",
]
