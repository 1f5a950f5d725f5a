from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "devotion.team"
    label = "team"
