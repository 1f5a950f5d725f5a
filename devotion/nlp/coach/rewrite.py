"""Company-centred sentences (I/me/my, "our policy", "we cannot") rewritten in we/you terms."""

from __future__ import annotations

import re

from devotion.nlp.coach.points import Rewrite
from devotion.nlp.coach.words import (
    FIRST_PERSON,
    POLICY,
    WE,
)


def rewrite(sentence: str) -> Rewrite | None:
    """A "we/you" version of a company-centred sentence, or None if it is not one.

    >>> rewrite("I checked my system and I can see it left.").suggestion
    'We checked our system and we can see it left.'
    >>> rewrite("Our policy does not allow refunds after 30 days.").suggestion
    'Refunds after 30 days are not something we can do, but here is what we can do for you: …'
    >>> rewrite("You will get it tomorrow.") is None
    True
    """
    policy = POLICY.search(sentence)
    first = FIRST_PERSON.search(sentence)
    if not policy and not first:
        return None
    if policy:
        return Rewrite(
            sentence=sentence,
            suggestion=_policy_rewrite(sentence),
            reason="Quoting policy or what we cannot do puts the company first: say what "
            "you can do for them instead.",
        )
    text = sentence
    for pattern, replacement in WE:
        text = re.sub(pattern, replacement, text)
    text = text[0].upper() + text[1:] if text else text
    return Rewrite(
        sentence=sentence,
        suggestion=text,
        reason='Speak as the team, to the customer: "we" and "you" rather than "I" and "me".',
    )


def _policy_rewrite(sentence: str) -> str:
    core = re.sub(
        r"^(unfortunately,?\s*)?((according to|as per|per|under) (our|the|company) "
        r"(policy|policies|rules?|terms),?\s*)",
        "",
        sentence,
        flags=re.IGNORECASE,
    )
    match = re.search(
        r"(?:our |company |store |shop )?(?:policy|policies|rules?|terms) "
        r"(?:does not|doesn't|do not|don't) (?:allow|permit|cover|let us \w+)\s+(.+?)[.!]?$",
        core,
        flags=re.IGNORECASE,
    )
    if match:
        thing = match.group(1).strip()
        return (
            f"{thing[0].upper()}{thing[1:]} are not something we can do, "
            "but here is what we can do for you: …"
        )
    match = re.search(
        r"\bwe (?:cannot|can't|can not|are unable to|are not able to|do not|don't) (.+?)[.!]?$",
        core,
        flags=re.IGNORECASE,
    )
    if match:
        refused = match.group(1)
        return f"What we can do instead of that: … (rather than \u201cwe cannot {refused}\u201d)"
    return "Say what you can do for them now, and why it helps them: …"
