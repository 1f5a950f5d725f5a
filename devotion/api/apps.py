from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "devotion.api"
    label = "api"
