from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "devotion.followup"
    label = "followup"
    verbose_name = "Follow-up"

    def ready(self) -> None:
        # Conversations and reply promises follow every committed batch of touchpoints.
        from devotion.followup.tracking import on_merged, on_stored
        from devotion.people.signals import merged
        from devotion.touchpoints.signals import stored

        stored.connect(on_stored, dispatch_uid="followup.track")
        merged.connect(on_merged, dispatch_uid="followup.merged")
