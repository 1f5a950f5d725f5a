"""The one list of touchpoint kinds, with their labels. No Django: the mappers, the event
validator, the API schema, the model's choices and the pages all read it from here.

>>> TOUCHPOINT_KINDS["survey_answer"]
'Survey answer'
>>> EVENT_KINDS[-1]
'customer'
>>> CHANNEL_NAMES["e-mail"], CHANNEL_NAMES["web"]
('email', 'web')
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

# The channels a touchpoint can come through (people.Channel gives the same list as choices).
CHANNELS: dict[str, str] = {
    "email": "E-mail",
    "phone": "Phone",
    "sms": "SMS",
    "chat": "Chat",
    "web": "Web",
    "social": "Social",
    "store": "In store",
    "review_site": "Review site",
    "other": "Other",
}
# What exports and integrations commonly write for those channels (lower-cased, spaces and
# hyphens as written) -> the channel. Anything else is rejected with the list above.
CHANNEL_ALIASES: dict[str, str] = {
    "e-mail": "email",
    "mail": "email",
    "telephone": "phone",
    "call": "phone",
    "voice": "phone",
    "text": "sms",
    "messaging": "chat",
    "live chat": "chat",
    "whatsapp": "chat",
    "website": "web",
    "online": "web",
    "app": "web",
    "shop": "store",
    "pos": "store",
    "in store": "store",
    "in_store": "store",
    "instagram": "social",
    "facebook": "social",
    "twitter": "social",
    "x": "social",
    "tiktok": "social",
    "linkedin": "social",
    "review site": "review_site",
    "reviews": "review_site",
    "trustpilot": "review_site",
}
# Channels that stand for many platforms: the platform a channel alias names ("instagram" for
# social) is kept in the touchpoint's ``extra["platform"]`` (unless the event gave one).
PLATFORM_CHANNELS = frozenset({"social", "review_site"})
# Every value a channel may be written as -> the channel it is.
CHANNEL_NAMES: dict[str, str] = {**{code: code for code in CHANNELS}, **CHANNEL_ALIASES}


def label(kind: str) -> str:
    """A kind as people read it.

    >>> label("social_comment")
    'Social comment'
    """
    return TOUCHPOINT_KINDS.get(kind, kind.replace("_", " ").capitalize())
