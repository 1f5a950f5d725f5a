"""Settings > Jobs: recent long work (imports, scoring, analyses), its progress and its log;
Settings > Outbox: every e-mail Devotion sent or kept, for admins."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from devotion.core.models import Job, OutboxMessage
from devotion.lib.paging import Cursor, keyset_page
from devotion.lib.rendering import render_page
from devotion.team.permissions import role_required

PAGE_SIZE = 30


@role_required("manager")
def jobs(request: HttpRequest) -> HttpResponse:
    # Newest first, a page at a time on the primary key (no COUNT, no OFFSET).
    rows = Job.objects.select_related("started_by").defer("log")
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    context = {
        "jobs": page,
        "next_before": page[-1].pk if more else None,
        "is_first_page": not before,
        # Poll while anything on this page may still change.
        "live": any(not job.is_finished and not job.is_stalled for job in page),
    }
    return render_page(request, "core/jobs.html", "list", context)


@role_required("manager")
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("started_by"), pk=job_id)
    # htmx polls the status fragment every 2 s until the job is finished (or stalled).
    return render_page(request, "core/job.html", "status", {"job": job})


@require_POST
@role_required("manager")
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    # Only work no worker has started can be cancelled: running work is not interrupted.
    if job.cancel():
        job.write_log(f"Cancelled by {request.user.get_username()}.")
        messages.success(request, "Cancelled: it will not run.")
    else:
        messages.error(request, "It has already started (or ended), so it cannot be cancelled.")
    return redirect("job", job_id=job.pk)


# -- Outbox -------------------------------------------------------------------------------------

OUTBOX_PAGE_SIZE = 50


def _mail_mode() -> dict[str, str]:
    """How mail leaves this installation, in words for the page's banner."""
    if settings.MAIL_MODE == "outbox":
        return {"mode": "outbox"}
    options = settings.SMTP_OPTIONS
    return {"mode": "smtp", "server": f"{options['host']}:{options['port']}"}


@role_required("admin")
def outbox(request: HttpRequest) -> HttpResponse:
    # Newest first, keyset-paged (one query however long the outbox), optionally one status.
    mail = OutboxMessage.objects.defer("text_body", "html_body")
    status = request.GET.get("status", "")
    if status in OutboxMessage.Status.values:
        mail = mail.filter(status=status)
    else:
        status = ""
    page = keyset_page(
        mail,
        Cursor.decode(request.GET.get("cursor")),
        size=OUTBOX_PAGE_SIZE,
        time_field="created_at",
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
