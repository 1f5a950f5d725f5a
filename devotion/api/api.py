"""The REST API: one NinjaAPI, auth on by default, a router per area."""

from ninja import NinjaAPI

api = NinjaAPI(title="Devotion API", version="1", urls_namespace="api", docs_url="/docs")
