"""Every file import, from the web or the command line, is in the audit log: ids and counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from devotion.core import queues
from devotion.ingest.models import ImportRun
from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db

ORDERS = (
    "external_id,occurred_at,email,amount,currency\n"
    "o-1,2025-05-01T10:00:00Z,ada@example.com,10.00,USD\n"
    "o-2,2025-05-02T10:00:00Z,not-an-email,12.00,USD\n"
)


def test_a_command_line_import_is_audited_with_its_counts_and_no_personal_data(tmp_path):
    path = tmp_path / "ada_lovelace_orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    call_command("import_data", "orders", str(path))
    run = ImportRun.objects.get()
    event = AuditEvent.objects.get(action="import.run")
    assert (event.actor, event.actor_label) == (None, "cli")
    assert (event.object_type, event.object_id) == ("import", str(run.pk))
    assert event.detail == {
        "kind": "orders",
        "source": "generic",
        "status": "done",
        "bytes": len(ORDERS.encode()),
        "accepted": 1,
        "duplicate": 0,
        "rejected": 1,
        "people_created": 0,  # storage announces people on commit; tests roll back
        "people_changed": 0,
    }
    text = str(event.detail)
    assert "ada" not in text and "not-an-email" not in text


def test_a_web_import_is_audited_as_the_manager_who_uploaded_it(login, manager, settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": queues.QUEUES,
        }
    }
    upload = SimpleUploadedFile("orders.csv", ORDERS.encode(), content_type="text/csv")
    login(manager).post("/imports/", {"kind": "orders", "source": "generic", "file": upload})
    event = AuditEvent.objects.get(action="import.run")
    assert event.actor == manager
    assert event.actor_label == f"user:{manager.pk}"
    assert (event.detail["accepted"], event.detail["rejected"]) == (1, 1)


def test_a_failed_import_is_audited_too(tmp_path, monkeypatch):
    from devotion.ingest import importer

    def failing_ingest(raws):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "ingest", failing_ingest)
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"):
        call_command("import_data", "orders", str(path))
    event = AuditEvent.objects.get(action="import.run")
    assert event.detail["status"] == "failed"
    assert "disk full" not in str(event.detail)
