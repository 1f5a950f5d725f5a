"""The Retention page and its screens (mounted at /retention/)."""

from django.urls import path

from devotion.retention import views

urlpatterns = [
    path("", views.retention, name="retention"),
    path("recompute/", views.recompute, name="retention-recompute"),
    path("spend/", views.spend, name="retention-spend"),
    path("spend/<int:pk>/delete/", views.spend_delete, name="retention-spend-delete"),
    path("segments/new/", views.segment_edit, name="retention-segment-new"),
    path("segments/<int:pk>/", views.segment_detail, name="retention-segment"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="retention-segment-edit"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="retention-segment-delete"),
    path("segments/<int:pk>/export.csv", views.segment_export, name="retention-segment-export"),
]
