from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "devotion.web"
    label = "web"
