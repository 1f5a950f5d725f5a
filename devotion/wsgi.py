"""WSGI entry point for production servers (``devotion serve`` runs gunicorn on it)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotion.settings")
application = get_wsgi_application()

# Import every view (the API's schemas, phone metadata...) and build the URL resolver now,
# while the server process starts, instead of in its first request: that first request
# would otherwise take ~200 ms, and every request queued behind it would wait too.
get_resolver().url_patterns  # noqa: B018 - evaluated for its side effect
