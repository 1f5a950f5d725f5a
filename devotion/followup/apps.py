from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "devotion.followup"
    label = "followup"
    verbose_name = "Follow-up"
