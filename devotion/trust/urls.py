"""Settings > Audit log and privacy actions (mounted at /settings/)."""

from django.urls import path

from devotion.trust import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("people/<int:pk>/export.json", views.person_export, name="person-export"),
    path("people/<int:pk>/erase/", views.person_erase, name="person-erase"),
]
