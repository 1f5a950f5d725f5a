"""URL map: the web app, the REST API under /api/v1/, the admin."""

from django.contrib import admin
from django.urls import include, path

from devotion.api.api import api
from devotion.team.views import accept_invitation

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("imports/", include("devotion.touchpoints.urls")),
    path("settings/api-keys/", include("devotion.api.urls")),
    path("settings/webhooks/", include("devotion.webhooks.urls")),
    path("invitation/<str:token>/", accept_invitation, name="invitation-accept"),
    path("settings/outbox/", include("devotion.core.urls")),
    path("settings/team/", include("devotion.team.urls")),
    path("settings/", include("devotion.trust.urls")),
    path("", include("devotion.web.urls")),
]
