from django.apps import AppConfig


class TouchpointsConfig(AppConfig):
    name = "devotion.touchpoints"
    label = "touchpoints"
