from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "devotion.people"
    label = "people"
