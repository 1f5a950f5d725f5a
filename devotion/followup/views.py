"""The follow-up screens: the live queue, a conversation with the reply box and the coach,
notes and owners, and the reply promise settings (managers)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from devotion.followup import coverage, queue, replies, timers
from devotion.followup.forms import NoteForm, PolicyForm, ReplyForm, TeamForm
from devotion.followup.models import (
    Conversation,
    Note,
    PersonOwner,
    Priority,
    ReplyPromise,
    SlaPolicy,
    SupportTeam,
)
from devotion.followup.tracking import analyses_of, set_status
from devotion.lib.rendering import render_page, wants_fragment
from devotion.people.models import Person
from devotion.team.models import StaffMember
from devotion.team.permissions import has_role, role_required
from devotion.touchpoints.kinds import CHANNELS
from devotion.touchpoints.models import Touchpoint
from devotion.trust.models import AuditEvent


def _me(request: HttpRequest) -> StaffMember | None:
    return getattr(request.user, "staff", None)


def _filters(request: HttpRequest, data: QueryDict | None = None) -> queue.QueueFilters:
    data = request.GET if data is None else data
    me = _me(request)
    team = data.get("team", "")
    return queue.QueueFilters(
        mine=data.get("show") == "mine",
        staff_id=me.pk if me else -1,
        unassigned=data.get("show") == "unassigned",
        team_id=int(team) if team.isdigit() else None,
        channel=data.get("channel", "") if data.get("channel") in CHANNELS else "",
    )


@require_GET
@role_required("agent")
def queue_page(request: HttpRequest) -> HttpResponse:
    """Everything awaiting a reply, most urgent first; htmx polls the rows to keep it live."""
    # 1. The filters, 2. the rows (and the count of all that wait), 3. the page or the rows.
    filters = _filters(request)
    rows = queue.items(filters)
    context: dict[str, Any] = {
        "rows": rows,
        "total": queue.count(filters),
        "count_cap": queue.COUNT_CAP,
        "filters": filters,
        "show": request.GET.get("show", ""),
        "query": request.GET.urlencode(),
        "teams": SupportTeam.objects.all(),
        "channels": CHANNELS,
        "staff": StaffMember.objects.filter(user__is_active=True),
        "me": _me(request),
        "is_manager": has_role(request.user, "manager"),
        "now": timezone.now(),
    }
    return render_page(request, "followup/queue.html", "rows", context)


def _story(conversation: Conversation) -> dict[str, Any]:
    """The customer's whole story beside the reply box."""
    person = conversation.person
    return {
        "person": person,
        "facts": list(person.facts.order_by("key")[:12]),
        "orders": list(
            Touchpoint.objects.filter(person=person, kind="order")
            .order_by("-occurred_at")
            .prefetch_related("lines")[:5]
        ),
        "earlier": list(
            Conversation.objects.filter(person=person)
            .exclude(pk=conversation.pk)
            .order_by("-opened_at")[:6]
        ),
        "person_notes": list(
            Note.objects.filter(person=person, conversation__isnull=True).select_related("author")[
                :10
            ]
        ),
        "owner": PersonOwner.objects.filter(person=person).select_related("owner").first(),
    }


@require_GET
@role_required("agent")
def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One conversation: its messages, the customer's story, notes, the reply box."""
    conversation = get_object_or_404(
        Conversation.objects.select_related("person", "assignee", "team"), pk=pk
    )
    AuditEvent.record(
        "person.view", actor=request.user, object_type="person", object_id=conversation.person_id
    )
    return render(
        request, "followup/conversation.html", _conversation_context(request, conversation)
    )


def _conversation_context(
    request: HttpRequest, conversation: Conversation, **more: Any
) -> dict[str, Any]:
    thread = list(conversation.touchpoints().select_related("staff"))
    analyses = analyses_of(t.pk for t in thread)
    for touchpoint in thread:
        touchpoint.analysis_ = analyses.get(touchpoint.pk)  # type: ignore[attr-defined]
    draft = more.pop("draft", "")
    return {
        "conversation": conversation,
        "thread": thread,
        "promises": list(conversation.promises.order_by("started_at", "pk")),
        "notes": list(conversation.notes.select_related("author")[:20]),
        "replies": list(conversation.replies.select_related("author")[:10]),
        "by_email": replies.goes_by_email(conversation),
        "statuses": Conversation.Status.choices,
        "priorities": Priority.choices,
        "staff": StaffMember.objects.filter(user__is_active=True),
        "me": _me(request),
        "is_manager": has_role(request.user, "manager"),
        "form": more.pop("form", None) or ReplyForm(initial={"text": draft}),
        "note_form": NoteForm(),
        "coach": more.pop("coach", None) or (replies.check(conversation, draft) if draft else None),
        **_story(conversation),
        **more,
    }


@require_POST
@role_required("agent")
def coach_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The coach on the draft as it is typed (htmx swaps the panel)."""
    conversation = get_object_or_404(Conversation.objects.select_related("person"), pk=pk)
    draft = request.POST.get("text", "")[:10_000]
    review = replies.check(conversation, draft) if draft.strip() else None
    return render(
        request,
        "followup/conversation.html#coach",
        {"coach": review, "conversation": conversation},
    )


@require_POST
@role_required("agent")
def send_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the reply; a draft that misses a point asks for confirmation first."""
    conversation = get_object_or_404(Conversation.objects.select_related("person"), pk=pk)
    form = ReplyForm(request.POST)
    # 1. A readable reply and a status to leave the conversation in.
    if not form.is_valid():
        return render(
            request,
            "followup/conversation.html",
            _conversation_context(request, conversation, form=form),
            status=400,
        )
    text = form.cleaned_data["text"]
    # 2. The coach again at send: a missed point needs the agent's confirmation.
    review = replies.check(conversation, text)
    if review.misses_points and not form.cleaned_data["confirm"]:
        return render(
            request,
            "followup/conversation.html",
            _conversation_context(
                request, conversation, form=form, coach=review, confirm_needed=True
            ),
            status=409,
        )
    # 3. Send (or record) it; the promise is fulfilled by tracking the outbound touchpoint.
    try:
        reply = replies.send(conversation, _me(request), text, status=form.cleaned_data["status"])
    except replies.ReplyError as exc:
        messages.error(request, str(exc))
        return render(
            request,
            "followup/conversation.html",
            _conversation_context(request, conversation, form=form),
            status=502,
        )
    AuditEvent.record(
        "reply.send", actor=request.user, object_type="conversation", object_id=conversation.pk
    )
    if reply.delivery == reply.Delivery.EMAIL:
        messages.success(request, f"Reply e-mailed to {conversation.person.primary_email}.")
    else:
        messages.success(request, "Reply recorded: copy it and post it where the customer wrote.")
    return redirect("followup:conversation", pk=conversation.pk)


@require_POST
@role_required("agent")
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign to me (any agent) or to someone else (managers)."""
    conversation = get_object_or_404(Conversation, pk=pk)
    me = _me(request)
    choice = request.POST.get("assignee", "me")
    if choice == "me":
        if me is None:
            raise PermissionDenied("Only staff members can take conversations.")
        assignee: StaffMember | None = me
    elif choice == "":
        if not has_role(request.user, "manager") and conversation.assignee_id != getattr(
            me, "pk", None
        ):
            raise PermissionDenied("Only managers can unassign someone else's conversation.")
        assignee = None
    else:
        if not has_role(request.user, "manager"):
            raise PermissionDenied("Only managers can assign conversations to others.")
        assignee = get_object_or_404(StaffMember, pk=choice if choice.isdigit() else -1)
    with transaction.atomic():
        conversation.assignee = assignee
        conversation.save(update_fields=["assignee", "updated_at"])
        ReplyPromise.objects.filter(conversation=conversation, met_at__isnull=True).update(
            assignee=assignee
        )
    if wants_fragment(request):
        return queue_page_rows(request)
    if request.POST.get("next"):
        return redirect(_safe_next(request))
    return redirect("followup:conversation", pk=pk)


def queue_page_rows(request: HttpRequest) -> HttpResponse:
    """The queue's rows for an htmx swap after an action on one of them."""
    filters = _filters(request, request.POST)  # the filters the form carried
    context = {
        "rows": queue.items(filters),
        "total": queue.count(filters),
        "count_cap": queue.COUNT_CAP,
        "me": _me(request),
        "is_manager": has_role(request.user, "manager"),
        "staff": StaffMember.objects.filter(user__is_active=True),
        "query": "",
    }
    return render(request, "followup/queue.html#rows", context)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/queue/") and "//" not in target else "/queue/"


@require_POST
@role_required("agent")
def update_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the status (open, waiting, solved) and the priority."""
    conversation = get_object_or_404(Conversation, pk=pk)
    status = request.POST.get("status", conversation.status)
    priority = request.POST.get("priority", conversation.priority)
    if status not in Conversation.Status.values or priority not in Priority.values:
        messages.error(request, "Choose a status and a priority from the lists.")
        return redirect("followup:conversation", pk=pk)
    with transaction.atomic():
        active = list(conversation.promises.filter(met_at__isnull=True))
        if status != conversation.status:
            set_status(conversation, status, timezone.now(), active)
        conversation.priority = priority
        conversation.save()
        for promise in active:
            promise.save()
    if status == Conversation.Status.OPEN:
        timers.ensure_timer()  # clocks may run again
    messages.success(request, f"Now {conversation.get_status_display().lower()}.")
    return redirect("followup:conversation", pk=pk)


@require_POST
@role_required("agent")
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    """An internal note on the conversation, or (``on=person``) on the customer."""
    conversation = get_object_or_404(Conversation, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        Note.objects.create(
            conversation=None if request.POST.get("on") == "person" else conversation,
            person_id=conversation.person_id,
            author=_me(request),
            text=form.cleaned_data["text"],
        )
        messages.success(request, "Note added.")
    else:
        messages.error(request, "A note needs some text (up to 5,000 characters).")
    return redirect("followup:conversation", pk=pk)


@require_POST
@role_required("manager")
def set_owner(request: HttpRequest, person_id: int) -> HttpResponse:
    """Make a staff member the customer's owner (managers), or clear it."""
    person = get_object_or_404(Person, pk=person_id)
    choice = request.POST.get("owner", "")
    if choice:
        owner = get_object_or_404(StaffMember, pk=choice if choice.isdigit() else -1)
        PersonOwner.objects.update_or_create(
            person=person,
            defaults={"owner": owner, "set_by": cast(User, request.user), "set_at": timezone.now()},
        )
        messages.success(request, f"{owner} now owns this customer.")
    else:
        PersonOwner.objects.filter(person=person).delete()
        messages.success(request, "This customer has no owner now.")
    return redirect(_safe_next(request))


@require_GET
@role_required("agent")
def coverage_page(request: HttpRequest) -> HttpResponse:
    """Share of inbound messages answered, in time and completely, by channel, team, agent
    and week."""
    days = request.GET.get("days", "30")
    days_n = int(days) if days in ("7", "30", "90", "365") else 30
    tables: list[dict[str, Any]] = []
    for by, title in (
        ("channel", "By channel"),
        ("team", "By team"),
        ("agent", "By agent"),
        ("week", "Over time"),
    ):
        rows = coverage.coverage(by, days=days_n)
        tables.append({"by": by, "title": title, "rows": rows})
    overall = coverage.total(tables[0]["rows"])
    return render(
        request,
        "followup/coverage.html",
        {"tables": tables, "overall": overall, "days": days_n},
    )


# ------------------------------------------------------------------------- promise settings


@role_required("manager")
def promise_settings(request: HttpRequest) -> HttpResponse:
    """Reply promise policies and team hours (managers)."""
    policy_form = PolicyForm(prefix="policy")
    team_form = TeamForm(prefix="team")
    if request.method == "POST":
        if "policy-name" in request.POST:
            instance = _instance(SlaPolicy, request.POST.get("policy_id"))
            policy_form = PolicyForm(request.POST, prefix="policy", instance=instance)
            if policy_form.is_valid():
                policy_form.save()
                messages.success(request, f"Saved the policy {policy_form.instance.name}.")
                return redirect("followup:promises")
        elif "team-name" in request.POST:
            instance = _instance(SupportTeam, request.POST.get("team_id"))
            team_form = TeamForm(request.POST, prefix="team", instance=instance)
            if team_form.is_valid():
                team_form.save()
                messages.success(request, f"Saved the team {team_form.instance.name}.")
                return redirect("followup:promises")
    edit_policy = _instance(SlaPolicy, request.GET.get("policy"))
    edit_team = _instance(SupportTeam, request.GET.get("team"))
    if edit_policy is not None and request.method == "GET":
        policy_form = PolicyForm(prefix="policy", instance=edit_policy)
    if edit_team is not None and request.method == "GET":
        team_form = TeamForm(prefix="team", instance=edit_team)
    return render(
        request,
        "followup/promises.html",
        {
            "policies": SlaPolicy.objects.select_related("team"),
            "teams": SupportTeam.objects.select_related("manager").prefetch_related("members"),
            "policy_form": policy_form,
            "team_form": team_form,
            "edit_policy": edit_policy,
            "edit_team": edit_team,
        },
    )


def _instance(model: Any, value: str | None) -> Any:
    if value and value.isdigit():
        return get_object_or_404(model, pk=int(value))
    return None
