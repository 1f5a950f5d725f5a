from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "devotion.core"
    label = "core"
    verbose_name = "Jobs and plumbing"
