from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "devotion.ingest"
    label = "ingest"
    verbose_name = "Imports"
