from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "devotion.voice"
    label = "voice"
    verbose_name = "Voice of the customer"

    def ready(self) -> None:
        # Storage announces each committed batch (imports included): every new text is
        # understood by a job on the analysis queue. Ids only: no wants_details().
        from devotion.touchpoints.signals import stored
        from devotion.voice.analysis import on_stored

        stored.connect(on_stored, dispatch_uid="voice.on_stored")
