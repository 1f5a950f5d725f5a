"""Settings > Audit log, and the admin-only privacy actions on one person (export, erase)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from devotion.people.models import Person
from devotion.team.permissions import role_required
from devotion.trust.models import AuditEvent
from devotion.trust.privacy import cluster_ids, erase_person, erase_preview, export_person

PAGE_SIZE = 50


@role_required("admin")
def audit_log(request: HttpRequest) -> HttpResponse:
    # Newest first, keyset-paginated on id (steady cost however deep), optionally one action.
    events = AuditEvent.objects.select_related("actor").order_by("-id")
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action=action)
    before = request.GET.get("before", "")
    if before.isdigit():
        events = events.filter(pk__lt=int(before))
    page = list(events[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    actions = sorted(AuditEvent.objects.order_by().values_list("action", flat=True).distinct())
    return render(
        request,
        "trust/audit.html",
        {
            "events": page,
            "action": action,
            "actions": actions,
            "next_before": page[-1].pk if has_more else None,
            "is_first_page": not before,
        },
    )


@role_required("admin")
def person_export(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    # Gather, record who took a copy, and hand it over as a download.
    data = export_person(person)
    AuditEvent.record("person.export", actor=request.user, object_type="person", object_id=pk)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="person-{pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@role_required("admin")
def person_erase(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    if request.method == "POST":
        # Erase in one transaction (it writes its own audit event), then back to the list.
        deleted = erase_person(person, actor=request.user)
        messages.success(
            request,
            f"Person #{pk} erased: {sum(deleted.values())} rows deleted across "
            f"{len(deleted)} tables.",
        )
        return redirect("/customers/")
    return render(
        request,
        "trust/erase_confirm.html",
        {
            "person": person,
            "preview": erase_preview(person),
            "merged_count": len(cluster_ids(person)) - 1,
        },
    )
