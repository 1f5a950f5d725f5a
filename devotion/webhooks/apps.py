from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "devotion.webhooks"
    label = "webhooks"
