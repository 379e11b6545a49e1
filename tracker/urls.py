from django.urls import path

from tracker import views

app_name = "tracker"

urlpatterns = [
    path("", views.home, name="home"),
    path("log/", views.log_entry, name="log"),
    path("history/", views.history, name="history"),
    path("history/entries/<uuid:public_id>/edit/", views.edit_entry, name="edit_entry"),
    path("history/entries/<uuid:public_id>/delete/", views.delete_entry, name="delete_entry"),
    path("practice/", views.worklist, name="worklist"),
    path("practice/patients/<uuid:public_id>/", views.patient_detail, name="patient_detail"),
    path("learn/", views.learn_index, name="learn_index"),
    path("learn/<slug:slug>/", views.learn_page, name="learn_page"),
]
