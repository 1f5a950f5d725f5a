"""URL map: the web app, the REST API under /api/v1/, the admin."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from devotion.api.api import api
from devotion.team.views import accept_invitation


@login_not_required
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # The hashed static name is known only once static files are collected: look it up here.
    return HttpResponsePermanentRedirect(static("devotion/favicon.svg"))


urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page links: send them to the served icon.
    path("favicon.ico", favicon),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("imports/", include("devotion.ingest.urls")),
    path("surveys/", include("devotion.voice.surveys.urls")),
    path("voice/", include("devotion.voice.urls_text")),
    path("queue/", include("devotion.followup.urls")),
    path("retention/", include("devotion.retention.urls")),
    path("settings/api-keys/", include("devotion.api.urls")),
    path("settings/webhooks/", include("devotion.webhooks.urls")),
    path("invitation/<str:token>/", accept_invitation, name="invitation-accept"),
    path("settings/team/", include("devotion.team.urls")),
    path("retention/health/", include("devotion.retention.urls_health")),
    path("settings/", include("devotion.core.urls")),
    path("settings/", include("devotion.trust.urls")),
    path("", include("devotion.web.urls")),
]
