"""/retention/health/: the scoring settings (views_health.py)."""

from django.urls import path

from devotion.retention import views_health

urlpatterns = [
    path("", views_health.health_settings, name="retention-health"),
    path("recompute/", views_health.recompute, name="scores-recompute"),
]
