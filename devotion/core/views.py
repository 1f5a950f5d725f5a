"""Settings > Outbox: every e-mail Devotion sent or kept, for admins."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from devotion.core.models import OutboxMessage
from devotion.lib.paging import Cursor, keyset_page
from devotion.team.permissions import role_required

PAGE_SIZE = 50


def _mail_mode() -> dict[str, str]:
    """How mail leaves this installation, in words for the page's banner."""
    if settings.MAIL_MODE == "outbox":
        return {"mode": "outbox"}
    options = settings.SMTP_OPTIONS
    return {"mode": "smtp", "server": f"{options['host']}:{options['port']}"}


@role_required("admin")
def outbox(request: HttpRequest) -> HttpResponse:
    # Newest first, keyset-paged (one query however long the outbox), optionally one status.
    messages = OutboxMessage.objects.defer("text_body", "html_body")
    status = request.GET.get("status", "")
    if status in OutboxMessage.Status.values:
        messages = messages.filter(status=status)
    else:
        status = ""
    page = keyset_page(
        messages, Cursor.decode(request.GET.get("cursor")), size=PAGE_SIZE, time_field="created_at"
    )
    return render(
        request,
        "core/outbox.html",
        {"page": page, "status": status, "statuses": OutboxMessage.Status.choices, **_mail_mode()},
    )


@role_required("admin")
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    # One message as it was written: headers, the text part, and the HTML part (sandboxed).
    message = get_object_or_404(OutboxMessage, pk=pk)
    return render(request, "core/outbox_message.html", {"message": message, **_mail_mode()})
