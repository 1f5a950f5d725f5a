from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "devotion.demo"
    label = "demo"
