"""Settings > Audit log, and the admin-only privacy actions on one person (export, erase)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from devotion.lib.paging import Cursor, keyset_page
from devotion.people.models import Person
from devotion.team.permissions import role_required
from devotion.trust.models import AuditEvent
from devotion.trust.privacy import cluster_ids, erase_person, erase_preview, export_person
from devotion.trust.sentences import ACTIONS, PAGE_VIEW, entries
from devotion.trust.sentences import name as sentence_name

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    """The audit log's filters, from the query string."""

    person = forms.IntegerField(required=False, min_value=1, label="Customer #")
    actor = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Who")
    action = forms.ChoiceField(required=False, label="What")
    since = forms.DateField(required=False, label="From")
    until = forms.DateField(required=False, label="To")
    views = forms.BooleanField(required=False, label="Include page views")

    def __init__(self, *args: Any, actors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", "Anyone"), *actors]  # type: ignore[attr-defined]
        self.fields["action"].choices = [("", "All actions"), *ACTIONS.items()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data


def _actors() -> list[tuple[int, str]]:
    """Everyone who can log in (the team is small), for the "Who" filter."""
    users = User.objects.select_related("staff").order_by("first_name", "username")
    return [(u.pk, sentence_name(u)) for u in users]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@role_required("admin")
def audit_log(request: HttpRequest) -> HttpResponse:
    # 1. Read the filters; a bad value is shown as an error and that filter left out.
    form = AuditFilterForm(request.GET or None, actors=_actors())
    form.is_valid()
    f = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}
    # 2. Narrow the log; page views stay out unless asked for (they would drown the rest).
    events = AuditEvent.objects.select_related("actor", "actor__staff")
    if f.get("person"):
        events = events.filter(object_type="person", object_id=str(f["person"]))
    if f.get("actor"):
        events = events.filter(actor_id=f["actor"])
    if f.get("action"):
        events = events.filter(action=f["action"])
    elif not f.get("views"):
        events = events.exclude(action=PAGE_VIEW)
    if f.get("since"):
        events = events.filter(created_at__gte=_day_start(f["since"]))
    if f.get("until"):
        events = events.filter(created_at__lt=_day_start(f["until"] + timedelta(days=1)))
    # 3. One keyset page, newest first, as sentences (names read in one more query).
    page = keyset_page(
        events, Cursor.decode(request.GET.get("cursor")), size=PAGE_SIZE, time_field="created_at"
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "trust/audit.html",
        {
            "form": form,
            "entries": entries(page.rows),
            "page": page,
            "query": query.urlencode(),
            "filtered": any(v for k, v in f.items() if k != "views"),
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
