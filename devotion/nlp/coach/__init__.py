"""The reply coach: does a draft answer what the customer raised, and answer it well?

Pure Python, no Django: rules over sentences and a small vocabulary, fast enough to run on
every keystroke (well under a millisecond for a typical reply). It judges five things and
gives reasons and concrete suggestions, not a score:

1. the **points** the customer raised (questions, complaints, requests), each marked
   answered when the draft speaks to the same subject;
2. whether the customer is **upset**, and then whether the draft **acknowledges** it;
3. a clear **next step** (what happens now, by when, or what the customer should do);
4. **company-centred** language ("I/me/my", "our policy", "we cannot") with a rewrite of
   each offending sentence in "we/you" terms;
5. **personalisation**: what we know (name, order, a personal fact, their history) that the
   draft leaves unused.

>>> result = review(
...     "My order 1042 arrived broken. Can you send a new one?",
...     "I am sorry. I will check with the warehouse.",
... )
>>> [(p.kind, p.answered) for p in result.points]
[('complaint', False), ('request', False)]
>>> result.customer_upset, result.acknowledges_feeling, result.company_centred
(True, True, True)
>>> result.rewrites[0].suggestion
'We are sorry.'
"""

from __future__ import annotations

import re

from devotion.nlp.coach.points import (
    Context,
    Point,
    Review,
    Rewrite,
    answers,
    is_outburst,
    is_upset,
    raised_points,
    sentences,
)
from devotion.nlp.coach.rewrite import rewrite
from devotion.nlp.coach.words import (
    ACKNOWLEDGE,
    NEXT_STEP,
    ORDER_REF,
)


def _personal(draft: str, context: Context | None, message: str) -> list[str]:
    """Suggestions of what we know and the draft does not use."""
    if context is None:
        context = Context()
    lower = draft.lower()
    tips = []
    first = context.name.split()[0] if context.name.strip() else ""
    if first and first.lower() not in lower:
        tips.append(f"Greet them by name: \u201cHi {first},\u201d.")
    mentioned = [m.group(1) for m in ORDER_REF.finditer(message)]
    orders = [*mentioned, *context.orders]
    if orders and not any(o.lower() in lower for o in orders):
        tips.append(f"Name their order ({orders[0]}) so they know you looked it up.")
    for key, value in list(context.facts.items())[:3]:
        if value and value.lower() not in lower:
            tips.append(f"A personal touch: their {key} is {value}.")
            break
    if context.order_count >= 5 and not re.search(r"\b(loyal|years|again|back)\b", lower):
        since = f" since {context.customer_since}" if context.customer_since else ""
        tips.append(
            f"They have ordered {context.order_count} times{since}: thank them for sticking "
            "with you."
        )
    return tips


def review(message: str, draft: str, context: Context | None = None) -> Review:
    """Judge ``draft`` as the answer to ``message``; see the module docstring."""
    points = raised_points(message)
    draft_sentences = sentences(draft)
    acknowledging = next((d for d in draft_sentences if ACKNOWLEDGE.search(d)), "")
    for point in points:
        point.answered_by = answers(point, draft_sentences)
        if not point.answered_by and point.kind == "complaint" and is_outburst(point.text):
            point.answered_by = acknowledging  # "Absolutely ridiculous." wants to be heard
        point.answered = bool(point.answered_by)
    upset = is_upset(message, points)
    acknowledged = bool(ACKNOWLEDGE.search(draft)) if upset else None
    step = next((s for s in draft_sentences if NEXT_STEP.search(s)), "")
    rewrites = [r for r in map(rewrite, draft_sentences) if r is not None]
    reasons = []
    for point in points:
        if not point.answered:
            reasons.append(f"Unanswered {point.kind}: \u201c{point.text}\u201d")
    if upset and not acknowledged:
        reasons.append(
            "They are upset and the draft does not acknowledge it: say you understand "
            "or are sorry, in your own words."
        )
    if draft.strip() and not step:
        reasons.append(
            "No clear next step: say what happens now and by when, or what they should do."
        )
    if rewrites:
        reasons.append(
            f"{len(rewrites)} sentence{'s' if len(rewrites) > 1 else ''} centred on us "
            "rather than them: see the rewrites."
        )
    return Review(
        points=points,
        misses_points=any(not p.answered for p in points),
        customer_upset=upset,
        acknowledges_feeling=acknowledged,
        next_step=bool(step),
        next_step_text=step,
        company_centred=bool(rewrites),
        rewrites=rewrites,
        personalisation=_personal(draft, context, message),
        reasons=reasons,
    )


__all__ = ["Context", "Point", "Review", "Rewrite", "raised_points", "review", "rewrite"]
