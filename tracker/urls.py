from django.urls import path

from tracker import fhir, views
from tracker.views import fhir as fhir_views
from tracker.views import staff, webapp

app_name = "tracker"

urlpatterns = [
    path("", views.home, name="home"),
    path("ping/", views.ping, name="ping"),
    # The app on the home screen (tracker/webapp.py): open to everyone, the same for all.
    path("manifest.webmanifest", webapp.manifest, name="manifest"),
    path("service-worker.js", webapp.service_worker, name="service_worker"),
    path("offline/", webapp.offline, name="offline"),
    # Patients
    path("log/", views.log_entry, name="log"),
    path("log/<uuid:public_id>/questions/", views.follow_up, name="follow_up"),
    path("history/", views.history, name="history"),
    path("history/entries/<uuid:public_id>/edit/", views.edit_entry, name="edit_entry"),
    path("history/entries/<uuid:public_id>/delete/", views.delete_entry, name="delete_entry"),
    # Reminders: the patient's choice (also on /account/) and the e-mail's unsubscribe link.
    path("account/reminders/", views.reminder_settings, name="reminders"),
    path("account/reminders/use-suggestion/", views.use_suggestion, name="use_suggestion"),
    # The patient's medicine list (issue 18).
    path("account/medicines/", views.medicines, name="medicines"),
    path("account/medicines/<uuid:public_id>/", views.edit_medicine, name="edit_medicine"),
    path(
        "account/medicines/<uuid:public_id>/remove/",
        views.remove_medicine,
        name="remove_medicine",
    ),
    path("reminders/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Practitioners
    path("practice/", views.worklist, name="worklist"),
    path("practice/patients/new/", views.add_patient, name="add_patient"),
    path("practice/patients/<uuid:public_id>/", views.patient_detail, name="patient_detail"),
    path(
        "practice/patients/<uuid:public_id>/invite/",
        views.resend_invitation,
        name="resend_invitation",
    ),
    path(
        "practice/patients/<uuid:public_id>/reminders/",
        views.suggest_reminders,
        name="suggest_reminders",
    ),
    path(
        "practice/patients/<uuid:public_id>/password-reset/",
        views.send_password_reset,
        name="send_password_reset",
    ),
    path(
        "practice/patients/<uuid:public_id>/sign-in-sheet/",
        views.sign_in_sheet,
        name="sign_in_sheet",
    ),
    path("practice/patients/<uuid:public_id>/email/", views.add_patient_email, name="add_email"),
    path("practice/patients/<uuid:public_id>/team/", views.add_team_member, name="add_team_member"),
    path(
        "practice/patients/<uuid:public_id>/team/<int:member_id>/remove/",
        views.remove_team_member,
        name="remove_team_member",
    ),
    path("practice/patients/<uuid:public_id>/sessions/new/", views.add_session, name="add_session"),
    path("practice/sessions/<uuid:public_id>/edit/", views.edit_session, name="edit_session"),
    path("practice/sessions/<uuid:public_id>/delete/", views.delete_session, name="delete_session"),
    path(
        "practice/sessions/<uuid:public_id>/outcome/", views.record_outcome, name="record_outcome"
    ),
    path("practice/patients/<uuid:public_id>/export.csv", views.export_csv, name="export_csv"),
    path("practice/patients/<uuid:public_id>/report/", views.report, name="report"),
    # FHIR R4 (issue 19): a patient's bundle, and the definitions at their canonical URLs.
    path(
        "practice/patients/<uuid:public_id>/fhir.json",
        fhir_views.patient_bundle,
        name="fhir_bundle",
    ),
    path("account/my-data.fhir.json", fhir_views.my_bundle, name="my_fhir_bundle"),
    path(
        f"fhir/Questionnaire/{fhir.QUESTIONNAIRE_ID}",
        fhir_views.questionnaire,
        name="fhir_questionnaire",
    ),
    path(
        f"fhir/CodeSystem/{fhir.CODE_SYSTEM_ID}",
        fhir_views.code_system,
        name="fhir_code_system",
    ),
    # Issue 16: reviewed flags, a course that ends, identity details.
    path("practice/patients/<uuid:public_id>/review/", views.review, name="review"),
    path(
        "practice/patients/<uuid:public_id>/review/undo/",
        views.undo_review,
        name="undo_review",
    ),
    path("practice/patients/<uuid:public_id>/finish/", views.finish_course, name="finish_course"),
    path("practice/patients/<uuid:public_id>/reopen/", views.reopen_course, name="reopen_course"),
    path("practice/patients/<uuid:public_id>/details/", views.edit_details, name="edit_details"),
    # The Team page, for clinic staff (tracker/views/staff.py; not the patient's care team).
    path("clinic/team/", staff.team, name="staff_team"),
    path("clinic/team/invite/", staff.invite, name="staff_invite"),
    path("clinic/team/<int:user_id>/", staff.member, name="staff_member"),
    path("clinic/team/<int:user_id>/invite/", staff.invite_again, name="staff_invite_again"),
    path("clinic/team/<int:user_id>/deactivate/", staff.deactivate, name="staff_deactivate"),
    path("clinic/team/<int:user_id>/reassign/", staff.reassign, name="staff_reassign"),
    # Invitations: opened by a new patient who has no password yet.
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    # The short link on a printed sign-in sheet: the same page, for a code typed by hand.
    path("s/<str:token>/", views.accept_invitation, name="sheet_link"),
    # Learn pages, open to everyone.
    path("learn/", views.learn_index, name="learn_index"),
    path("learn/<slug:slug>/", views.learn_page, name="learn_page"),
]
