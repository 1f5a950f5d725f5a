"""Settings → API keys (mounted at /settings/api-keys/)."""

from django.urls import path

from devotion.api import views

urlpatterns = [
    path("", views.key_list, name="apikeys"),
    path("new/", views.key_create, name="apikey-create"),
    path("<int:key_id>/revoke/", views.key_revoke, name="apikey-revoke"),
]
