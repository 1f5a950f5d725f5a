from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "devotion.trust"
    label = "trust"

    def ready(self) -> None:
        from devotion.ingest.signals import import_finished
        from devotion.trust.receivers import audit_import

        # Every file import, from the web or the command line, goes into the audit log.
        import_finished.connect(audit_import, dispatch_uid="trust.audit_import")
