"""The one list of touchpoint kinds, with their labels. No Django: the mappers, the event
validator, the API schema, the model's choices and the pages all read it from here.

>>> TOUCHPOINT_KINDS["survey_answer"]
'Survey answer'
>>> EVENT_KINDS[-1]
'customer'
"""

from __future__ import annotations

# In the order pages list them.
TOUCHPOINT_KINDS: dict[str, str] = {
    "order": "Order",
    "message": "Message",
    "survey_answer": "Survey answer",
    "review": "Review",
    "social_comment": "Social comment",
    "call": "Call",
    "email": "E-mail",
    "note": "Note",
    "lead": "Lead",
    "signup": "Sign-up",
}
# A "customer" event carries a profile (identities, name, facts, consent) and no touchpoint.
CUSTOMER = "customer"
EVENT_KINDS: tuple[str, ...] = (*TOUCHPOINT_KINDS, CUSTOMER)


def label(kind: str) -> str:
    """A kind as people read it.

    >>> label("social_comment")
    'Social comment'
    """
    return TOUCHPOINT_KINDS.get(kind, kind.replace("_", " ").capitalize())
