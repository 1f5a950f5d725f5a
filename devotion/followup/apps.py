from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "devotion.followup"
    label = "followup"
    verbose_name = "Follow-up"

    def ready(self) -> None:
        # Conversations and reply promises follow every committed batch of touchpoints.
        from devotion.followup.tracking import on_merging, on_stored, on_unmerging
        from devotion.people.signals import merging, unmerging
        from devotion.touchpoints.signals import stored

        stored.connect(on_stored, dispatch_uid="followup.track")
        # A merge moves the loser's conversations, notes and owner; its undo moves them back.
        merging.connect(on_merging, dispatch_uid="followup.merging")
        unmerging.connect(on_unmerging, dispatch_uid="followup.unmerging")
