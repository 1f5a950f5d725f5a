from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "devotion.retention"
    label = "retention"
    verbose_name = "Retention"
