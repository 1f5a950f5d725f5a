"""Zendesk: the tickets export (Reporting > Export, or Views > export as CSV).

Each ticket becomes one inbound message on the customer's timeline: the subject, the
requester's description, who it was assigned to, how it came in (Via) and how it ended
(status, satisfaction). The thread is the ticket id, so later messages of the same ticket
(from the API) join it.
"""

from __future__ import annotations

from devotion.ingest.sources.base import Event, Mapper, Reject, Row, compact, when
from devotion.ingest.sources.base import text as t

NAME = "zendesk"
LABEL = "Zendesk"

# Zendesk "Via" -> Devotion channel.
_CHANNELS = {
    "mail": "email",
    "email": "email",
    "web form": "web",
    "web widget": "web",
    "web service": "web",
    "help center": "web",
    "chat": "chat",
    "messaging": "chat",
    "native messaging": "chat",
    "phone call (incoming)": "phone",
    "phone call (outgoing)": "phone",
    "voicemail": "phone",
    "voice": "phone",
    "sms": "sms",
    "text": "sms",
    "twitter": "social",
    "facebook": "social",
    "instagram direct": "social",
    "whatsapp": "chat",
}


def _ticket(row: Row) -> Event:
    ticket_id = t(row, "id")
    if not ticket_id:
        raise Reject("Id (the ticket number) is empty")
    subject, description = t(row, "subject"), t(row, "description")
    if not subject and not description:
        raise Reject(f"ticket {ticket_id} has neither a Subject nor a Description")
    via = t(row, "via").lower()
    return compact(
        {
            "kind": "message",
            "source": NAME,
            "external_id": f"ticket-{ticket_id}",
            "occurred_at": when(row, "created at"),
            "person": compact(
                {
                    "email": t(row, "requester email"),
                    "external_id": t(row, "requester id"),
                    "name": t(row, "requester"),
                }
            ),
            "channel": _CHANNELS.get(via, "other" if via else "email"),
            "direction": "in",
            "thread": f"ticket-{ticket_id}",
            "subject": subject,
            "text": description,
            "staff": t(row, "assignee"),
            "extra": compact(
                {
                    "ticket_id": ticket_id,
                    "via": via,
                    "status": t(row, "status").lower(),
                    "priority": t(row, "priority").lower(),
                    "ticket_type": t(row, "ticket type").lower(),
                    "group": t(row, "group"),
                    "tags": t(row, "tags"),
                    "satisfaction": t(row, "satisfaction score").lower(),
                    "satisfaction_comment": t(row, "satisfaction comment"),
                    "solved_at": t(row, "solved at"),
                }
            ),
        }
    )


MAPPERS = {
    "tickets": Mapper(
        kind="tickets",
        map_row=_ticket,
        required=(
            ("id",),
            ("created at",),
            ("requester email", "requester id"),
            ("subject", "description"),
        ),
        sample="zendesk_tickets.csv",
        columns={
            "external_id": "Id",
            "occurred_at": "Created at",
            "person.email": "Requester email",
            "person.external_id": "Requester id",
            "person.name": "Requester",
            "subject": "Subject",
            "text": "Description",
            "staff": "Assignee",
        },
    ),
}
