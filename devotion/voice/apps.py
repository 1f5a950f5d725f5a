from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "devotion.voice"
    label = "voice"
    verbose_name = "Voice of the customer"
