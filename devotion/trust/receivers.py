"""What the audit log records of what other apps announce (connected in ``TrustConfig.ready``)."""

from __future__ import annotations

from typing import Any

from devotion.trust.models import AuditEvent


def audit_import(sender: Any, run: Any, **kwargs: Any) -> None:
    """One audit event per finished file import: who ran it, what and how it went. Ids, sizes
    and counts only: no file name (it may name a customer), no rows, no error text."""
    AuditEvent.record(
        "import.run",
        actor=run.created_by,
        actor_label="" if run.created_by else "cli",
        object_type="import",
        object_id=run.pk,
        kind=run.kind,
        source=run.source,
        status=run.status,
        bytes=run.bytes_total,
        accepted=run.rows_accepted,
        duplicate=run.rows_duplicate,
        rejected=run.rows_rejected,
        people_created=run.people_created,
        people_changed=run.people_changed,
    )
