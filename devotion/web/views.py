"""The web app's customer screens: the list, the customer page, and merging people by hand.

Each screen is one URL serving the full page, or only the part that changed when htmx asks
(``request.htmx``), rendered from the same template with Django's template partials.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, F, Prefetch, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from devotion.ingest.models import ImportRun
from devotion.lib import money
from devotion.lib.csvsafe import csv_lines
from devotion.lib.paging import MAX_PAGES, Cursor, keyset_page, page_number
from devotion.lib.rendering import render_page, wants_fragment
from devotion.people.merging import MergeError, merge_people, undo_merge
from devotion.people.models import Identity, IdentityKind, Merge, Person, PersonalFact, Stage
from devotion.people.search import search_people
from devotion.retention.story import person_story
from devotion.team.permissions import has_role, role_required
from devotion.touchpoints.kinds import TOUCHPOINT_KINDS
from devotion.touchpoints.models import OrderLine, Touchpoint
from devotion.trust.models import AuditEvent
from devotion.web.customer_list import (
    EXPORT_HEADER,
    Sort,
    bounded_count,
    export_line,
    export_rows,
    facets,
    filtered,
    page_rows,
)
from devotion.web.forms import CONSENT_FILTERS, SORT_COLUMNS, CustomerListForm, TimelineFilterForm
from devotion.web.spend import spend_of
from devotion.web.templatetags.devotion_web import day

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 50
MERGE_SEARCH_LIMIT = 8
EXPORT_CHUNK = 2000


def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers")


# ---------------------------------------------------------------- customers list


def stage_counts() -> dict[str, int]:
    """Live people per journey stage, cached (see customer_list.FACETS_SECONDS)."""
    return facets().get("stage", {})


@require_GET
@role_required("agent")
def customers(request: HttpRequest) -> HttpResponse:
    """Everyone the business knows: search, filter, sort by any column, page."""
    # 1. Read the query string; a bad value falls back to its default.
    params = CustomerListForm(request.GET).values()
    page = page_number(request.GET.get("page"))
    sort = Sort.parse(params["sort"])
    # 2. Select the people and read one page of them in the order asked for.
    people = filtered(params)
    # An import's people (its page links here): those it created or changed.
    from_import = _import_run(request.GET.get("import"))
    if from_import is not None:
        people = people.filter(from_import.people_filter())
    rows, has_next = page_rows(people, sort, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    # 3. How many pages: the cached counts when only the stage narrows the list, else a
    #    count that stops past the last page anyone may open.
    counts = facets()
    only_stage = not from_import and not any(
        params[k] for k in ("q", "country", "consent", "source")
    )
    if only_stage:
        matching = counts.get("stage", {}).get(params["stage"], 0) if params["stage"] else None
        matching = sum(counts.get("stage", {}).values()) if matching is None else matching
    else:
        matching = bounded_count(people, MAX_PAGES * PAGE_SIZE + 1)
    # The cache may lag behind: never say fewer pages than the one being shown.
    pages = max(-(-matching // PAGE_SIZE), page if rows else 0, page + has_next if rows else 0)
    # 4. What they spent, per currency (one query for the page).
    spends = spend_of([p.pk for p in rows])
    for person in rows:
        person.spend_ = spends[person.pk]  # type: ignore[attr-defined]
    # 5. An empty page needs to say why: no data yet, or nothing matches.
    is_filtered = bool(from_import) or any(
        params[k] for k in ("q", "stage", "country", "consent", "source")
    )
    anyone = bool(rows) or (is_filtered and Person.objects.live().exists())
    query_base = "".join(f"{urlencode({k: v})}&" for k, v in params.items() if v and k != "sort")
    if from_import is not None:
        query_base += f"import={from_import.pk}&"
    context = {
        "people": rows,
        "params": params,
        "page": page,
        "pages": pages,
        "pages_capped": pages > MAX_PAGES,
        "max_pages": MAX_PAGES,
        "has_next": has_next and page < MAX_PAGES,
        "capped": has_next and page >= MAX_PAGES,
        "filtered": is_filtered,
        "anyone": anyone,
        "stages": [
            (value, label, counts.get("stage", {}).get(value, 0)) for value, label in Stage.choices
        ],
        "countries": sorted(counts.get("country", {}).items()),
        "sources": sorted(counts.get("source", {})),
        "consents": CONSENT_FILTERS.items(),
        "total": sum(counts.get("stage", {}).values()),
        "columns": _sort_headers(params["sort"], query_base),
        # The current filters and sort, to carry into the page links ("q=ada&sort=name&").
        "query_base": f"{query_base}sort={params['sort']}&",
        "export_query": f"{query_base}sort={params['sort']}",
        "can_export": has_role(request.user, "manager"),
        "from_import": from_import,
    }
    return render_page(request, "web/customers.html", "results", context)


def _sort_headers(current: str, query_base: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it (flipping the direction when it is the
    current sort) and its aria-sort state."""
    headers = {}
    for name in SORT_COLUMNS:
        # Numbers and dates read best largest or newest first; names A to Z.
        first = name if name == "name" else f"-{name}"
        if current.lstrip("-") == name:
            target = name if current.startswith("-") else f"-{name}"
            state = "descending" if current.startswith("-") else "ascending"
        else:
            target, state = first, "none"
        headers[name] = {"url": f"?{query_base}sort={target}", "aria": state}
    return headers


def _spend_text(spend: Any) -> str:
    """ "5000 JPY + 54.00 USD": plain numbers with each currency's decimals, for spreadsheets."""
    return " + ".join(
        f"{amount.quantize(Decimal(1).scaleb(-money.decimals(currency)))} {currency}"
        for currency, amount in spend.totals
    )


@require_GET
@role_required("manager")
def customers_export(request: HttpRequest) -> StreamingHttpResponse:
    """The list as it is filtered and sorted, as CSV, streamed; audited (filters, row count)."""
    # 1. The same query as the page (search, filters, sort), without page limits.
    params = CustomerListForm(request.GET).values()
    people = filtered(params)
    from_import = _import_run(request.GET.get("import"))
    if from_import is not None:  # an import's people, as the page showed them
        people = people.filter(from_import.people_filter())
    sort = Sort.parse(params["sort"])
    reporting = settings.REPORTING_CURRENCY
    user = request.user

    def lines() -> Iterator[str]:
        # 2. Stream rows a chunk at a time, each with its spend per currency (one query
        #    per chunk); every cell goes through the formula-injection guard.
        count = 0
        header = (*EXPORT_HEADER, "spent_by_currency", f"spent_in_{reporting.lower()}")
        yield from csv_lines([header])
        chunk: list[Person] = []
        for person in export_rows(people, sort):
            chunk.append(person)
            if len(chunk) == EXPORT_CHUNK:
                count += len(chunk)
                yield from csv_lines(_export_chunk(chunk))
                chunk = []
        count += len(chunk)
        yield from csv_lines(_export_chunk(chunk))
        # 3. Record who exported how many rows with which filters (a search is recorded as
        #    searched or not: the text may be a name or an e-mail).
        AuditEvent.record(
            "people.export",
            actor=user,
            rows=count,
            filters={
                "search": bool(params["q"]),
                **{k: params[k] for k in ("stage", "country", "consent", "source") if params[k]},
                **({"import": from_import.pk} if from_import is not None else {}),
            },
            sort=params["sort"],
        )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response


def _export_chunk(chunk: list[Person]) -> Iterator[tuple[Any, ...]]:
    spends = spend_of([p.pk for p in chunk]) if chunk else {}
    for person in chunk:
        spend = spends[person.pk]
        yield (*export_line(person), _spend_text(spend), spend.converted)


def _import_run(value: str | None) -> ImportRun | None:
    """The import named by ``?import=ID``; None for no value or a bad one."""
    if not value or not value.isdigit():
        return None
    return (
        ImportRun.objects.filter(pk=int(value))
        .only("id", "filename", "people_created_first", "people_created_last", "people_changed_ids")
        .first()
    )


# ---------------------------------------------------------------- customer page


def _identities(person: Person) -> dict[str, Any]:
    """The person's identities grouped for display: e-mails, phones, ids per source system."""
    emails, phones, external = [], [], defaultdict(list)
    for identity in Identity.objects.filter(person=person).order_by("kind", "source", "value"):
        if identity.kind == IdentityKind.EMAIL:
            emails.append(identity)
        elif identity.kind == IdentityKind.PHONE:
            phones.append(identity)
        else:
            external[identity.source].append(identity)
    return {"emails": emails, "phones": phones, "external": sorted(external.items())}


def _facts(person: Person) -> list[PersonalFact]:
    """Personal facts, each marked ``expired_`` when its expiry has passed."""
    now = timezone.now()
    facts = list(
        PersonalFact.objects.filter(person=person)
        .select_related("learned_from")
        .only(
            "id",
            "key",
            "value",
            "source_note",
            "learned_at",
            "expires_at",
            "learned_from__id",
            "learned_from__kind",
            "learned_from__occurred_at",
            "learned_from__person_id",
        )
    )
    for fact in facts:
        fact.label_ = fact.key.replace("_", " ").capitalize()  # type: ignore[attr-defined]
        fact.expired_ = fact.expires_at is not None and fact.expires_at <= now  # type: ignore[attr-defined]
        if fact.learned_from is not None:
            # The timeline page with that touchpoint at the top (on whichever person holds it
            # now: a fact can stay behind when a merge moves the message it came from).
            tp = fact.learned_from
            token = Cursor(True, tp.occurred_at, tp.pk + 1).encode()
            url = reverse("customer", args=[tp.person_id])
            fact.source_url_ = f"{url}?page={token}#tp-{tp.pk}"  # type: ignore[attr-defined]
    return facts


def _merges(person: Person) -> list[Merge]:
    return list(
        Merge.objects.filter(Q(winner=person) | Q(loser=person))
        .select_related("winner", "loser", "merged_by", "undone_by")
        .defer("snapshot")
        .order_by("-created_at")
    )


def _timeline(person: Person, request: HttpRequest) -> dict[str, Any]:
    """One page of the person's touchpoints, newest first, with the filters that apply."""
    filters = TimelineFilterForm(request.GET).values()
    touchpoints = Touchpoint.objects.filter(person=person)
    # The filter options: only kinds and channels this person actually has.
    present = set(touchpoints.values_list("kind", "channel").distinct().order_by())
    kinds = sorted({kind for kind, _ in present}, key=lambda k: list(TOUCHPOINT_KINDS).index(k))
    channels = sorted({channel for _, channel in present if channel})
    if filters["kind"]:
        touchpoints = touchpoints.filter(kind=filters["kind"])
    if filters["channel"]:
        touchpoints = touchpoints.filter(channel=filters["channel"])
    touchpoints = touchpoints.select_related("staff", "analysis").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )
    cursor = Cursor.decode(request.GET.get("page"))
    page = keyset_page(touchpoints, cursor, size=TIMELINE_PAGE_SIZE, time_field="occurred_at")
    if cursor is not None and not page.rows:
        # A stale cursor (the rows beyond it were merged away or erased): start over.
        cursor = None
        page = keyset_page(touchpoints, None, size=TIMELINE_PAGE_SIZE, time_field="occurred_at")
    return {
        "entries": page.rows,
        "older": page.older,
        "newer": page.newer,
        "at_start": cursor is None,
        "filters": filters,
        "filter_query": "".join(f"{urlencode({k: v})}&" for k, v in filters.items() if v),
        "kinds": [(kind, TOUCHPOINT_KINDS[kind]) for kind in kinds],
        "channels": channels,
        "any_touchpoints": bool(present),
    }


@require_GET
@role_required("agent")
def customer(request: HttpRequest, pk: int) -> HttpResponse:
    """One person: who they are, what we know about them, and everything that happened."""
    # 1. The person, and whom they were merged into, if anyone.
    person = get_object_or_404(Person.objects.select_related("merged_into"), pk=pk)
    if person.merged_into_id is not None:
        # A merged-away profile is empty: show the survivor instead, saying what happened.
        return _to_survivor(request, person)
    # 2. The timeline page (all a fragment request needs).
    context: dict[str, Any] = {"person": person, **_timeline(person, request)}
    if wants_fragment(request):
        return render_page(request, "web/customer.html", "timeline", context)
    # 3. The rest of the page, and a record that someone looked (ids only, no personal data).
    merges = _merges(person)
    context |= {
        "spend": spend_of([person.pk])[person.pk],
        **_identities(person),
        "facts": _facts(person),
        "merges": merges,
        "can_merge": has_role(request.user, "manager"),
        "can_erase": has_role(request.user, "admin"),
        "story": person_story(person),
    }
    AuditEvent.record("person.view", actor=request.user, object_type="person", object_id=pk)
    return render_page(request, "web/customer.html", "timeline", context)


def _to_survivor(request: HttpRequest, person: Person) -> HttpResponse:
    """Redirect to the live profile ``person`` was merged into (following later merges),
    with a notice naming them and the day."""
    merge = (
        Merge.objects.filter(loser=person, undone_at__isnull=True).order_by("-created_at").first()
    )
    survivor = person
    for _ in range(20):  # merge chains are short; a loop in bad data must not hang the page
        if survivor.merged_into_id is None:
            break
        survivor = Person.objects.only("id", "merged_into_id").get(pk=survivor.merged_into_id)
    on = f" on {day(merge.created_at)}" if merge else ""
    messages.info(request, f"{person} (#{person.pk}) was merged into this profile{on}.")
    return redirect("customer", pk=survivor.pk)


# ---------------------------------------------------------------- merging by hand


@require_GET
@role_required("manager")
def merge_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Candidates to merge into this person: live people matching ``q``, not this person."""
    person = get_object_or_404(Person.objects.live(), pk=pk)
    query = request.GET.get("q", "").strip()[:200]
    candidates: list[Person] = []
    if query:
        candidates = list(
            search_people(query)
            .exclude(pk=person.pk)
            .order_by(F("last_activity_at").desc(nulls_last=True), "-id")[:MERGE_SEARCH_LIMIT]
        )
    context = {"person": person, "query": query, "candidates": candidates}
    return render(request, "web/merge_search.html", context)


def _merge_side(person: Person) -> dict[str, Any]:
    """What the confirm page shows of one side of a merge."""
    by_kind = dict(
        Touchpoint.objects.filter(person=person)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "person": person,
        "identities": list(Identity.objects.filter(person=person).order_by("kind", "value")),
        "touchpoints": sum(by_kind.values()),
        "by_kind": [(TOUCHPOINT_KINDS[kind], n) for kind, n in sorted(by_kind.items())],
        "facts": PersonalFact.objects.filter(person=person).count(),
        "spend": spend_of([person.pk])[person.pk],
        "label": person.primary_email or person.primary_phone or f"#{person.pk}",
    }


@role_required("manager")
def merge_confirm(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    """GET: both people side by side. POST: merge them, keeping the profile and the primary
    e-mail the manager chose (by default this person and their e-mail)."""
    # 1. Both people must exist and be live.
    first = get_object_or_404(Person.objects.live(), pk=pk)
    second = get_object_or_404(Person.objects.live(), pk=other)
    if request.method == "POST":
        # 2. Which one survives, and which e-mail is primary (one of either side's).
        winner, loser = (
            (second, first)
            if request.POST.get("keep") == str(second.pk)
            else (
                first,
                second,
            )
        )
        emails = set(
            Identity.objects.filter(
                person__in=[first, second], kind=IdentityKind.EMAIL
            ).values_list("value", flat=True)
        )
        primary = request.POST.get("primary_email", "")
        if primary and primary not in emails:
            messages.error(request, "Could not merge: that e-mail belongs to neither profile.")
            return redirect("merge-confirm", pk=pk, other=other)
        # 3. Merge, record who did it, and go to the surviving person.
        try:
            # Who merged is kept apart (merged_by), and shown beside the reason.
            merge = merge_people(winner, loser, reason="merged by hand", user=request.user)
        except MergeError as exc:
            messages.error(request, f"Could not merge: {exc}.")
            return redirect("customer", pk=first.pk)
        if primary and primary != winner.primary_email:
            winner.primary_email = primary
            winner.save(update_fields=["primary_email", "updated_at"])
        AuditEvent.record(
            "person.merge",
            actor=request.user,
            object_type="person",
            object_id=winner.pk,
            loser_id=loser.pk,
            merge_id=merge.pk,
        )
        who = f"{loser} ({loser.primary_email or f'#{loser.pk}'})"
        messages.success(request, f"Merged {who} into this profile. You can undo this below.")
        return redirect("customer", pk=winner.pk)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    sides = [_merge_side(first), _merge_side(second)]
    choices = sorted({i.value for side in sides for i in side["identities"] if i.kind == "email"})
    context = {"first": sides[0], "second": sides[1], "sides": sides, "emails": choices}
    return render(request, "web/merge_confirm.html", context)


@require_POST
@role_required("manager")
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    """Undo a merge and return to the page the manager came from."""
    merge = get_object_or_404(Merge.objects.select_related("winner", "loser"), pk=merge_id)
    back = merge.loser_id if request.POST.get("back") == "loser" else merge.winner_id
    try:
        undo_merge(merge, user=request.user)
    except MergeError as exc:
        messages.error(request, f"Could not undo the merge: {exc}.")
        return redirect("customer", pk=back)
    AuditEvent.record(
        "person.merge_undo",
        actor=request.user,
        object_type="person",
        object_id=merge.winner_id,
        loser_id=merge.loser_id,
        merge_id=merge.pk,
    )
    messages.success(request, f"Merge undone: {merge.loser} is a separate person again.")
    return redirect("customer", pk=back)
