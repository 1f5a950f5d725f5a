"""The web app's customer screens: the list, the customer page, and merging people by hand.

Each screen is one URL serving the full page, or only the part that changed when htmx asks
(``request.htmx``), rendered from the same template with Django's template partials.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from devotion.ingest.models import ImportRun
from devotion.lib.paging import MAX_PAGES, Cursor, keyset_page, page_number
from devotion.lib.rendering import render_page, wants_fragment
from devotion.people.merging import MergeError, merge_people, undo_merge
from devotion.people.models import Identity, IdentityKind, Merge, Person, PersonalFact, Stage
from devotion.people.search import search_people
from devotion.team.permissions import has_role, role_required
from devotion.touchpoints.kinds import TOUCHPOINT_KINDS
from devotion.touchpoints.models import OrderLine, Touchpoint
from devotion.trust.models import AuditEvent
from devotion.web.forms import SORTS, CustomerListForm, TimelineFilterForm

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 50
MERGE_SEARCH_LIMIT = 8
# Counting people per stage reads every row; at a million people that is too slow for each
# request, so the counts are kept for a few minutes. They label the filter, nothing more.
STAGE_COUNTS_KEY = "web:stage-counts"
STAGE_COUNTS_SECONDS = 300


def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers")


# ---------------------------------------------------------------- customers list


def stage_counts() -> dict[str, int]:
    """Live people per journey stage, cached (see STAGE_COUNTS_SECONDS)."""

    def compute() -> dict[str, int]:
        rows = Person.objects.live().values("stage").annotate(n=Count("id")).order_by()
        return {row["stage"]: row["n"] for row in rows}

    counts = cache.get_or_set(STAGE_COUNTS_KEY, compute, STAGE_COUNTS_SECONDS)
    return counts or {}


def _customer_rows(people: QuerySet[Person], sort: str, page: int) -> tuple[list[Person], bool]:
    """One page of people sorted by last activity, and whether another page follows.

    People never active (no touchpoint yet) come after everyone else in both sort orders.
    They are read as a second range instead of ``NULLS LAST``, which PostgreSQL cannot
    answer from the plain ``last_activity_at`` index.
    """
    offset = (page - 1) * PAGE_SIZE
    want = PAGE_SIZE + 1
    columns = (
        "id",
        "display_name",
        "primary_email",
        "primary_phone",
        "stage",
        "is_advocate",
        "order_count",
        "total_spent",
        "last_activity_at",
        "first_seen_at",
    )
    order = ("-last_activity_at", "-id") if sort == "recent" else ("last_activity_at", "id")
    active = people.filter(last_activity_at__isnull=False).only(*columns).order_by(*order)
    rows = list(active[offset : offset + want])
    if len(rows) < want:
        # The active people end on this page (or before it): follow with the never-active.
        active_total = offset + len(rows) if rows or offset == 0 else active.count()
        skip = max(0, offset - active_total)
        never = people.filter(last_activity_at__isnull=True).only(*columns).order_by("-id")
        rows += list(never[skip : skip + want - len(rows)])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@require_GET
@role_required("agent")
def customers(request: HttpRequest) -> HttpResponse:
    """Everyone the business knows: search, filter by stage, sort by last activity."""
    # 1. Read the query string; a bad value falls back to its default.
    params = CustomerListForm(request.GET).values()
    page = page_number(request.GET.get("page"))
    # 2. Select the people: search first (an index range), then the stage filter.
    people = search_people(params["q"]) if params["q"] else Person.objects.live()
    if params["stage"]:
        people = people.filter(stage=params["stage"])
    # An import's people (its page links here): those it created or changed.
    from_import = _import_run(request.GET.get("import"))
    if from_import is not None:
        people = people.filter(from_import.people_filter())
    rows, has_next = _customer_rows(people, params["sort"], page)
    # 3. An empty page needs to say why: no data yet, or nothing matches.
    filtered = bool(params["q"] or params["stage"] or from_import)
    anyone = bool(rows) or (filtered and Person.objects.live().exists())
    counts = stage_counts()
    context = {
        "people": rows,
        "params": params,
        "page": page,
        "has_next": has_next and page < MAX_PAGES,
        "capped": has_next and page >= MAX_PAGES,
        "filtered": filtered,
        "anyone": anyone,
        "stages": [(value, label, counts.get(value, 0)) for value, label in Stage.choices],
        "total": sum(counts.values()),
        "sorts": SORTS.items(),
        # The current filters, to carry into the page links ("q=ada&sort=recent&").
        "query_base": "".join(f"{urlencode({k: v})}&" for k, v in params.items() if v)
        + (f"import={from_import.pk}&" if from_import else ""),
        "from_import": from_import,
    }
    return render_page(request, "web/customers.html", "results", context)


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
    touchpoints = touchpoints.select_related("staff").prefetch_related(
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
    # 2. The timeline page (all a fragment request needs).
    context: dict[str, Any] = {"person": person, **_timeline(person, request)}
    if wants_fragment(request):
        return render_page(request, "web/customer.html", "timeline", context)
    # 3. The rest of the page, and a record that someone looked (ids only, no personal data).
    merges = _merges(person)
    context |= {
        **_identities(person),
        "facts": _facts(person),
        "merges": merges,
        "merged_by_merge": next(
            (m for m in merges if m.loser_id == person.pk and m.undone_at is None), None
        ),
        "can_merge": has_role(request.user, "manager"),
        "can_erase": has_role(request.user, "admin"),
    }
    AuditEvent.record("person.view", actor=request.user, object_type="person", object_id=pk)
    return render_page(request, "web/customer.html", "timeline", context)


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
    }


@role_required("manager")
def merge_confirm(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    """GET: both people side by side. POST: merge ``other`` into this person."""
    # 1. Both people must exist and be live.
    winner = get_object_or_404(Person.objects.live(), pk=pk)
    loser = get_object_or_404(Person.objects.live(), pk=other)
    if request.method == "POST":
        # 2. Merge, record who did it, and go back to the surviving person.
        try:
            # Who merged is kept apart (merged_by), and shown beside the reason.
            merge = merge_people(winner, loser, reason="merged by hand", user=request.user)
        except MergeError as exc:
            messages.error(request, f"Could not merge: {exc}.")
            return redirect("customer", pk=winner.pk)
        AuditEvent.record(
            "person.merge",
            actor=request.user,
            object_type="person",
            object_id=winner.pk,
            loser_id=loser.pk,
            merge_id=merge.pk,
        )
        messages.success(request, f"Merged {loser} into {winner}. You can undo this below.")
        return redirect("customer", pk=winner.pk)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    sides = [(_merge_side(winner), "keep"), (_merge_side(loser), "retire")]
    context = {"winner": sides[0][0], "loser": sides[1][0], "sides": sides}
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
