"""Settings > Outbox (mounted at /settings/outbox/)."""

from django.urls import path

from devotion.core import views

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/", views.outbox_message, name="outbox-message"),
]
