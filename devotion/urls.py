"""URL map: the web app, the REST API under /api/v1/, the admin."""

from django.contrib import admin
from django.urls import include, path

from devotion.api.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("imports/", include("devotion.ingest.urls")),
    path("settings/api-keys/", include("devotion.api.urls")),
    path("settings/webhooks/", include("devotion.webhooks.urls")),
    path("settings/jobs/", include("devotion.core.urls")),
    path("settings/", include("devotion.trust.urls")),
    path("", include("devotion.web.urls")),
]
