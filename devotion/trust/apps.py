from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "devotion.trust"
    label = "trust"
