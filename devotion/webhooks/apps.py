from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "devotion.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        # Storage announces each committed batch and each merge; webhooks listen (storage
        # imports no webhooks).
        from devotion.people.signals import merged
        from devotion.touchpoints.signals import stored, wants_details
        from devotion.webhooks.receivers import needs_details, on_merged, on_stored

        stored.connect(on_stored, dispatch_uid="webhooks.on_stored")
        merged.connect(on_merged, dispatch_uid="webhooks.on_merged")
        wants_details(needs_details)
