"""Audit entries as sentences: "Maria (manager) merged customer #123 into #45".

Entries hold ids only; names are looked up when the page is shown (one query for the whole
page), so an erased customer or a renamed teammate never leaves personal data in the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from devotion.trust.models import AuditEvent

# Every action the log knows, with its label in the action filter.
ACTIONS: dict[str, str] = {
    "person.view": "Viewed a customer",
    "person.merge": "Merged customers",
    "person.merge_undo": "Undid a merge",
    "person.export": "Exported a customer's data",
    "person.erased": "Erased a customer",
    "team.invited": "Invited someone",
    "team.invitation_resent": "Resent an invitation",
    "team.invitation_revoked": "Withdrew an invitation",
    "team.joined": "Joined the team",
    "team.role_changed": "Changed a role",
    "team.deactivated": "Deactivated a login",
    "team.reactivated": "Reactivated a login",
    "team.password_reset": "Reset a password",
    "apikey.create": "Created an API key",
    "apikey.revoke": "Revoked an API key",
    "text.correct": "Corrected a message's feeling or topic",
    "webhook.created": "Created a webhook",
    "webhook.updated": "Changed a webhook",
    "webhook.deleted": "Deleted a webhook",
    "webhook.tested": "Tested a webhook",
    "scoring.weights_changed": "Changed the health weights",
    "scoring.recompute": "Asked for a scoring run",
    "webhook.secret_rotated": "Rotated a webhook secret",
    "survey.created": "Created a survey",
    "survey.sent": "Sent a survey",
    "survey.deleted": "Deleted a survey draft",
    "reply.send": "Replied to a customer",
    "segment.created": "Created a segment",
    "segment.updated": "Changed a segment",
    "segment.deleted": "Deleted a segment",
    "segment.export": "Exported a segment",
    "retention.spend_changed": "Entered retention spend",
    "retention.spend_deleted": "Removed retention spend",
}
PAGE_VIEW = "person.view"


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit event ready to show: who, what (safe HTML), and leftover details."""

    event: AuditEvent
    who: SafeString
    what: SafeString
    detail: dict[str, Any]


def _customer(pk: object, *, link: bool = True) -> SafeString:
    if not link or not str(pk).isdigit():
        return format_html("customer #{}", pk)
    return format_html('<a href="{}">customer #{}</a>', reverse("customer", args=[pk]), pk)


def _person_id(pk: object) -> SafeString:
    if not str(pk).isdigit():
        return format_html("#{}", pk)
    return format_html('<a href="{}">#{}</a>', reverse("customer", args=[pk]), pk)


def name(user: User | None) -> str:
    """How the log names a user: their staff name, else full name, else username."""
    if user is None:
        return "a deleted user"
    staff = getattr(user, "staff", None)
    if staff is not None:
        return staff.display_name
    return user.get_full_name() or user.get_username()


def who(event: AuditEvent) -> SafeString:
    """The actor as a link to their other entries, with their role at the time."""
    if event.actor_id is not None:
        role = format_html(" ({})", event.actor_role) if event.actor_role else ""
        return format_html('<a href="?actor={}">{}</a>{}', event.actor_id, name(event.actor), role)
    label = event.actor_label
    if label.startswith("apikey:"):
        return format_html("API key #{}", label.partition(":")[2])
    if label == "cli":
        return mark_safe("Someone on the command line")
    if label.startswith("user:"):
        return format_html("Deleted user #{}", label.partition(":")[2])
    return mark_safe("Devotion")


Render = Callable[[AuditEvent, dict[int, User]], SafeString]


def _user(event: AuditEvent, users: dict[int, User]) -> SafeString:
    pk = int(event.object_id) if event.object_id.isdigit() else None
    user = users.get(pk) if pk is not None else None
    if user is None:
        return format_html("user #{}", event.object_id)
    return format_html('<a href="?actor={}">{}</a>', pk, name(user))


def _role(value: object) -> str:
    return "no role" if value in (None, "", "none") else str(value)


_SENTENCES: dict[str, Render] = {
    "text.correct": lambda e, u: format_html(
        "corrected the analysis of message #{} (feeling {}, topic {})",
        e.object_id,
        e.detail.get("sentiment") or "as read",
        "changed" if e.detail.get("topic_changed") else "as read",
    ),
    "reply.send": lambda e, u: format_html(
        'replied in <a href="/queue/{}/">conversation #{}</a>', e.object_id, e.object_id
    ),
    "scoring.weights_changed": lambda e, u: mark_safe("changed the health scorecard's weights"),
    "scoring.recompute": lambda e, u: format_html("asked for a scoring run (job #{})", e.object_id),
    "person.view": lambda e, u: format_html("viewed {}", _customer(e.object_id)),
    "person.merge": lambda e, u: format_html(
        "merged {} into {}", _customer(e.detail.get("loser_id", "?")), _person_id(e.object_id)
    ),
    "person.merge_undo": lambda e, u: format_html(
        "undid the merge of {} into {}",
        _customer(e.detail.get("loser_id", "?")),
        _person_id(e.object_id),
    ),
    "person.export": lambda e, u: format_html("exported the data of {}", _customer(e.object_id)),
    "person.erased": lambda e, u: format_html(
        "erased {} and every row about them", _customer(e.object_id, link=False)
    ),
    "team.invited": lambda e, u: format_html(
        "invited someone to join as {} (invitation #{})", _role(e.detail.get("role")), e.object_id
    ),
    "team.invitation_resent": lambda e, u: format_html("sent invitation #{} again", e.object_id),
    "team.invitation_revoked": lambda e, u: format_html("withdrew invitation #{}", e.object_id),
    "team.joined": lambda e, u: format_html(
        "joined the team as {} (invitation #{})",
        _role(e.detail.get("role")),
        e.detail.get("invitation_id", "?"),
    ),
    "team.role_changed": lambda e, u: format_html(
        "changed {} from {} to {}",
        _user(e, u),
        _role(e.detail.get("from_role")),
        _role(e.detail.get("to_role")),
    ),
    "team.deactivated": lambda e, u: format_html("deactivated the login of {}", _user(e, u)),
    "team.reactivated": lambda e, u: format_html("reactivated the login of {}", _user(e, u)),
    "team.password_reset": lambda e, u: mark_safe("reset their password by e-mail"),
    "apikey.create": lambda e, u: format_html("created API key #{}", e.object_id),
    "apikey.revoke": lambda e, u: format_html("revoked API key #{}", e.object_id),
    "webhook.created": lambda e, u: format_html("created webhook #{}", e.object_id),
    "webhook.updated": lambda e, u: format_html("changed webhook #{}", e.object_id),
    "webhook.deleted": lambda e, u: format_html("deleted webhook #{}", e.object_id),
    "webhook.tested": lambda e, u: format_html("sent a test to webhook #{}", e.object_id),
    "webhook.secret_rotated": lambda e, u: format_html(
        "rotated the secret of webhook #{}", e.object_id
    ),
    "survey.created": lambda e, u: format_html(
        '<a href="{}">created survey #{}</a>', reverse("survey", args=[e.object_id]), e.object_id
    ),
    "survey.sent": lambda e, u: format_html(
        '<a href="{}">sent survey #{}</a>', reverse("survey", args=[e.object_id]), e.object_id
    ),
    "survey.deleted": lambda e, u: format_html("deleted survey draft #{}", e.object_id),
    "segment.created": lambda e, u: format_html("created segment #{}", e.object_id),
    "segment.updated": lambda e, u: format_html("changed segment #{}", e.object_id),
    "segment.deleted": lambda e, u: format_html("deleted segment #{}", e.object_id),
    "segment.export": lambda e, u: format_html(
        "exported {} people of segment #{}", (e.detail or {}).get("rows", "?"), e.object_id
    ),
    "retention.spend_changed": lambda e, u: mark_safe("entered a month's retention spend"),
    "retention.spend_deleted": lambda e, u: mark_safe("removed a month's retention spend"),
}
# Detail keys a sentence already says, so they are not repeated under it.
_SAID = {
    "loser_id",
    "role",
    "invitation_id",
    "from_role",
    "to_role",
    "sentiment",
    "topic_changed",
    "rows",
}


def _fallback(event: AuditEvent) -> SafeString:
    if event.object_type == "person":
        return format_html("{} on {}", event.action, _customer(event.object_id))
    if event.object_type:
        return format_html("{} on {} #{}", event.action, event.object_type, event.object_id)
    return format_html("{}", event.action)


def entries(events: Iterable[AuditEvent]) -> list[Entry]:
    """The events as entries; the users they are about are read in one query."""
    events = list(events)
    user_ids = {
        int(e.object_id) for e in events if e.object_type == "user" and e.object_id.isdigit()
    }
    users = (
        {u.pk: u for u in User.objects.select_related("staff").filter(pk__in=user_ids)}
        if user_ids
        else {}
    )
    result = []
    for event in events:
        render = _SENTENCES.get(event.action)
        what = render(event, users) if render else _fallback(event)
        detail = {k: v for k, v in (event.detail or {}).items() if render is None or k not in _SAID}
        result.append(Entry(event, who(event), what, detail))
    return result
