"""Settings > Jobs (mounted at /settings/jobs/)."""

from django.urls import path

from devotion.core import views

urlpatterns = [
    path("", views.jobs, name="jobs"),
    path("<int:job_id>/", views.job, name="job"),
    path("<int:job_id>/cancel/", views.job_cancel, name="job-cancel"),
]
