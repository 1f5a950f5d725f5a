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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

# --------------------------------------------------------------------------------- vocabulary

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "having",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "us",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "when",
        "where",
        "why",
        "how",
        "which",
        "who",
        "whom",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "just",
        "also",
        "very",
        "really",
        "still",
        "again",
        "already",
        "yet",
        "any",
        "some",
        "all",
        "more",
        "most",
        "much",
        "many",
        "one",
        "two",
        "get",
        "got",
        "getting",
        "go",
        "going",
        "want",
        "wanted",
        "need",
        "needed",
        "like",
        "would",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "dear",
        "regards",
        "best",
        "kind",
        "know",
        "let",
        "make",
        "made",
        "tell",
        "told",
        "say",
        "said",
        "see",
        "ok",
        "okay",
        "im",
        "ive",
        "id",
        "ill",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "wont",
        "isnt",
        "arent",
        "wasnt",
        "havent",
        "hasnt",
        "hadnt",
        "day",
        "days",
        "time",
        "today",
        "now",
        "order",
        "ordered",
        "orders",
    ]
)

# Words that stand for the same subject: a point about "money back" is answered by "refund".
_CONCEPTS: dict[str, tuple[str, ...]] = {
    "refund": ("refund", "money back", "reimburse", "repay", "credit", "paid back", "pay back"),
    "delivery": (
        "deliver",
        "arriv",
        "ship",
        "dispatch",
        "courier",
        "parcel",
        "package",
        "tracking",
        "track",
        "post",
        "transit",
        "on its way",
        "on the way",
        "came",
        "come",
        "received",
        "receive",
        "late",
        "delay",
    ),
    "damage": (
        "broken",
        "damag",
        "crack",
        "smash",
        "dent",
        "scratch",
        "faulty",
        "defect",
        "leak",
        "torn",
        "ripped",
        "stopped working",
        "not working",
        "doesn't work",
    ),
    "replace": (
        "replace",
        "new one",
        "another one",
        "a new ",
        "swap",
        "exchange",
        "resend",
        "re-send",
        "send again",
        "fresh",
    ),
    "return": ("return", "send it back", "send back", "label", "collect"),
    "size": ("size", "fit", "small", "large", "big", "tight", "loose"),
    "cancel": ("cancel", "stop my", "unsubscribe", "end my"),
    "billing": (
        "charge",
        "bill",
        "invoice",
        "payment",
        "paid",
        "pay",
        "debit",
        "card",
        "price",
        "cost",
        "fee",
        "receipt",
        "twice",
        "double",
    ),
    "account": ("account", "login", "log in", "password", "sign in", "email address"),
    "discount": ("discount", "code", "coupon", "voucher", "promo"),
    "wrong": ("wrong", "incorrect", "not what i ordered", "different", "mix-up", "mixed up"),
    "missing": ("missing", "not included", "left out", "incomplete", "only got", "only received"),
    "stock": ("stock", "available", "availability", "restock", "back in"),
    "address": ("address", "postcode", "zip", "moved"),
    "callback": (
        "call me",
        "call back",
        "phone me",
        "ring me",
        "callback",
        "call you",
        "give you a call",
    ),
    "quote": ("quote", "pricing", "price list", "bulk", "wholesale"),
    "staff": ("rude", "staff", "assistant", "agent", "driver", "manner"),
    "quality": (
        "quality",
        "cheap",
        "flimsy",
        "poor",
        "fell apart",
        "worn",
        "stale",
        "fresh",
        "roast",
    ),
    "warranty": ("warranty", "guarantee", "repair", "fix"),
    "store": ("store", "shop", "opening hours", "open", "branch"),
    "cold": ("cold", "warm", "temperature", "melted", "frozen"),
    "wait": (
        "waiting",
        "wait",
        "waited",
        "no reply",
        "no answer",
        "nobody",
        "ignored",
        "heard nothing",
        "no response",
        "chase",
        "chasing",
        "unanswered",
        "delay",
        "ask three times",
        "asked three times",
        "had to ask",
    ),
}
# Cues match at the start of a word: "arriv" finds "arrived", "come" does not find "welcome".
_CONCEPT_CUES = {
    concept: re.compile(r"\b(" + "|".join(re.escape(cue.strip()) for cue in cues) + ")")
    for concept, cues in _CONCEPTS.items()
}
# A sentence that refuses or deflects mentions the subject without answering it.
_DEFLECT = re.compile(
    r"\b(not possible|impossible|does not allow|doesn't allow|do not allow|don't allow|"
    r"not (our|my) (responsibility|fault|problem)|depends? on|handled by|up to the|"
    r"can'?t do|cannot do|unable to|is not something)\b",
    re.IGNORECASE,
)
# A complaint about one subject is answered by a remedy on another: broken → a replacement.
_REMEDIES: dict[str, frozenset[str]] = {
    "damage": frozenset({"replace", "refund", "return", "warranty"}),
    "wrong": frozenset({"replace", "return", "refund"}),
    "missing": frozenset({"replace", "refund", "delivery"}),
    "delivery": frozenset({"refund", "replace"}),
    "quality": frozenset({"replace", "refund", "return", "warranty"}),
    "billing": frozenset({"refund"}),
    "cold": frozenset({"refund", "replace"}),
    "size": frozenset({"replace", "return"}),
}
_COMPLAINT_WORDS = re.compile(
    r"\b(broken|damaged?|faulty|defective|cracked|smashed|leak(s|ed|ing)?|wrong|incorrect|late|"
    r"delayed|never (arrived|came|received|got)|not (arrived|received|working|happy|good enough)|"
    r"hasn'?t (arrived|come)|haven'?t (received|heard|got)|missing|terrible|awful|horrible|"
    r"disappoint\w*|unacceptable|ridiculous|angry|furious|annoyed|upset|worst|rude|useless|"
    r"poor|cheap|still waiting|no (reply|answer|response)|nobody|ignored|charged twice|"
    r"double charged|doesn'?t work|stopped working|fell apart|cold|melted|mess|problem|issue|"
    r"complain\w*|scam|waste|frustrat\w*|fed up|sick of|again|soaked|wet|ruined|stale|torn|"
    r"spill\w*|spilt|too (big|small|large|tight|loose)|supposed to|took (\w+ )?(days|weeks)|"
    r"weeks late|not happy)\b",
    re.IGNORECASE,
)
_ANGER = re.compile(
    r"\b(unacceptable|ridiculous|furious|angry|disgust\w*|outrage\w*|worst|appalling|"
    r"shocking|fed up|sick of|never again|third time|second time|still (waiting|not|has not|"
    r"hasn'?t|nothing)|joke|scam|"
    r"frustrat\w*|disappoint\w*|annoyed|upset|terrible|awful|horrible)\b",
    re.IGNORECASE,
)
# Complaints that mean we let them down (upset), beyond a mild problem.
_STRONG = re.compile(
    r"\b(broken|damaged?|cracked|smashed|leak\w*|wrong|late|delayed|never|not (arrived|"
    r"received|happy)|has(n'?t| not) (arrived|come)|missing|terrible|awful|horrible|rude|"
    r"nobody|no (reply|answer|response)|charged twice|double charged|stopped working|"
    r"soaked|ruined|stale|torn|spill\w*|spilt|supposed to|took (\w+ )?(days|weeks)|"
    r"waiting|unacceptable|again|someone else)\b",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"(\bplease\b|\b(i|we)\b[^.?!]*\b(want|would like|'d like|need|expect|demand|"
    r"require)\b|\b(i|we)'d like\b|"
    r"\b(can|could|would|will) you\b|\blet me know\b|\bkindly\b|"
    r"^(send|cancel|refund|replace|fix|call|tell|change|update|give|help|remove|stop|"
    r"arrange|confirm|check|email|ring|explain)\b)",
    re.IGNORECASE,
)
_POLITE_ASK = re.compile(
    r"^(please\b|(can|could|would|will) you (please )?(send|refund|replace|cancel|fix|call|"
    r"change|update|arrange|give|help|remove|stop|check|confirm|exchange|return|ring|email|"
    r"book|reset|add|take|make|look))",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(when|where|why|how|what|which|who|is|are|was|were|do|does|did|can|could|will|would|"
    r"should|have|has|any (news|update|idea))\b",
    re.IGNORECASE,
)
_PLEASANTRY = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|thanks|thank you|cheers|regards|"
    r"best|kind regards|many thanks|sincerely|yours)\b[^.?!]{0,30}$",
    re.IGNORECASE,
)
_ACKNOWLEDGE = re.compile(
    r"\b(sorry|apologi[sz]e|apologies|understand|frustrat\w*|disappoint\w*|must have been|"
    r"can imagine|not the experience|not good enough|regret|that's not ok|that is not ok|"
    r"thank you for your patience|thanks for your patience|hear that|you're right|"
    r"you are right|fair point|completely understandable|annoying|let you down|let down)\b",
    re.IGNORECASE,
)
_DONE = (
    r"(sent|issued|processed|booked|arranged|refunded|cancelled|canceled|updated|changed|"
    r"added|applied|credited|passed|asked|raised|reported|forwarded|shipped|dispatched|"
    r"fixed|repaired|moved|switched|ordered|placed|reserved|emailed|e-mailed)"
)
_NUMBER = r"(\d+|a|an|one|two|three|four|five|six|seven|ten|a few|the|24|48)"
_NEXT_STEP = re.compile(
    rf"(\bwe('ll| will| are going to| are| can)\b|\bwe('ve| have) {_DONE}\b|"
    rf"\bi('ll| will)\b|\bi('ve| have) {_DONE}\b|"
    r"\byou('ll| will) (receive|get|see|have|hear|be)\b|"
    r"\b(will|'ll) (ship|arrive|be (back|with you|delivered|sent|ready|in touch)|contact|call|"
    r"email|e-mail|get back|reach|follow|come|start|show|go out|take)\b|"
    r"\b(by|before|on|from|until) (monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"tomorrow|tonight|the end of|end of|\d)|"
    rf"\bwithin {_NUMBER}( working| business)? (minute|hour|day|week)s?\b|\bwithin minutes\b|"
    r"\b(tomorrow|today|this afternoon|this evening|next week|right away|now)\b|"
    r"\bplease (reply|send|let us know|click|call|use|return|keep|check|choose|pick|book|"
    r"visit|follow|dm|message|tell|share|try|give|clear|contact|e-mail|email)\b|"
    r"\b(tracking (number|link)|return label|here is the link|link below)\b|"
    rf"\b(has|have|is|are) been {_DONE}\b|\bis on (its|the) way\b|^done\b|\b(is|are) now\b|"
    r"\bnext step\b|\bjust reply\b|\breply (to this|here)\b|\bcall us\b|\bemail us\b|"
    r"\bsee you\b|\byou can (keep|order|buy|pre-order|find|use|return|book|collect|call)\b)",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'll|I'd|me|my|mine|myself)\b")
_POLICY = re.compile(
    r"\b(our|company|store|shop) (policy|policies|rules?|terms|procedures?)\b|"
    r"\b(policy|rules?) (states?|says?|does not|doesn't|do not|don't)\b|"
    r"\bas per\b|\bper our\b|\bnot our (fault|responsibility)\b|"
    r"\bwe (cannot|can't|can not|are unable to|are not able to|do not|don't) "
    r"(offer|accept|allow|refund|give|provide|do|make|help)\b|\bnothing we can do\b",
    re.IGNORECASE,
)
_ORDER_REF = re.compile(
    r"(?:#|\border\s*(?:no\.?|number|n[ou]mber)?\s*#?\s*)([A-Z]{0,4}-?\d{3,})", re.IGNORECASE
)

# First person → "we" forms, longest first.
_WE = [
    (r"\bI'm\b", "we're"),
    (r"\bI am\b", "we are"),
    (r"\bI was\b", "we were"),
    (r"\bI've\b", "we've"),
    (r"\bI'll\b", "we'll"),
    (r"\bI'd\b", "we'd"),
    (r"\bI\b", "we"),
    (r"\bmyself\b", "ourselves"),
    (r"\bmine\b", "ours"),
    (r"\bmy\b", "our"),
    (r"\bme\b", "us"),
]


# ------------------------------------------------------------------------------------ shapes


@dataclass
class Point:
    """Something the customer raised: a question, a complaint or a request."""

    text: str
    kind: str  # question | complaint | request
    answered: bool = False
    answered_by: str = ""  # the draft sentence that answers it


@dataclass
class Rewrite:
    """A company-centred sentence of the draft and how to say it in "we/you" terms."""

    sentence: str
    suggestion: str
    reason: str


@dataclass
class Context:
    """What we know of the customer, for personal touches (all optional)."""

    name: str = ""
    orders: Sequence[str] = ()  # order numbers, most recent first
    facts: Mapping[str, str] = field(default_factory=dict)  # e.g. {"dog's name": "Biscuit"}
    order_count: int = 0
    customer_since: str = ""  # a year or date, as people read it


@dataclass
class Review:
    """The coach's findings on one draft."""

    points: list[Point]
    misses_points: bool
    customer_upset: bool
    acknowledges_feeling: bool | None  # None when the customer is not upset
    next_step: bool
    next_step_text: str
    company_centred: bool
    rewrites: list[Rewrite]
    personalisation: list[str]
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def missed(self) -> list[Point]:
        return [p for p in self.points if not p.answered]


# ---------------------------------------------------------------------------------- sentences


def sentences(text: str) -> list[str]:
    """Split text into sentences (on . ! ? and line breaks), keeping the end marks.

    >>> sentences("Hi there. Where is it?! I paid.\\nThanks")
    ['Hi there.', 'Where is it?!', 'I paid.', 'Thanks']
    """
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p and p.strip() and re.search(r"\w", p)]


def _stem(word: str) -> str:
    word = word.lower().strip("'")
    for suffix in ("ies", "ing", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)
def _keys(text: str) -> frozenset[str]:
    """Subjects of a text: its concepts and the stems of its content words."""
    lower = text.lower()
    found = {f"#{concept}" for concept, cue in _CONCEPT_CUES.items() if cue.search(lower)}
    for word in re.findall(r"[a-z0-9][a-z0-9']+", lower):
        plain = word.replace("'", "")
        if plain not in _STOP and len(plain) > 2:
            found.add(_stem(plain))
    return frozenset(found)


# ---------------------------------------------------------------------------------- judging


def raised_points(message: str) -> list[Point]:
    """The questions, complaints and requests in a customer's message, one per sentence.

    >>> message = "Hello. The mug was cracked! When will a new one come?"
    >>> [(p.kind, p.text) for p in raised_points(message)]
    [('complaint', 'The mug was cracked!'), ('question', 'When will a new one come?')]
    """
    points = []
    for sentence in sentences(message):
        bare = sentence.strip(" -*•")
        if _PLEASANTRY.match(bare) or len(_keys(bare)) == 0:
            continue
        if _POLITE_ASK.match(bare):
            kind = "request"  # "Can you send a new one?" asks us to act
        elif bare.rstrip().endswith("?") or (_QUESTION_START.match(bare) and "?" in bare):
            kind = "question"
        elif _REQUEST.search(bare):
            kind = "request"
        elif _COMPLAINT_WORDS.search(bare):
            kind = "complaint"
        else:
            continue
        points.append(Point(text=bare, kind=kind))
    return points


def _answers(point: Point, draft_sentences: list[str]) -> str:
    """The draft sentence that speaks to ``point`` ('' if none): a shared concept, or two
    shared content words (one when the point has few)."""
    wanted = _keys(point.text)
    concepts = {k for k in wanted if k.startswith("#")}
    words = wanted - concepts
    if point.kind in ("complaint", "request"):
        concepts |= {f"#{r}" for c in concepts for r in _REMEDIES.get(c[1:], ())}
    best, best_score = "", 0.0
    for sentence in draft_sentences:
        if _DEFLECT.search(sentence) or _POLICY.search(sentence):
            continue
        have = _keys(sentence)
        if point.kind == "complaint" and concepts and not concepts & have:
            continue  # a complaint about delivery is not answered by praise of the coffee
        score = 2.0 * len(concepts & have) + len(words & have)
        if score > best_score:
            best, best_score = sentence, score
    needed = 2.0 if len(words) >= 3 or concepts else 1.0
    return best if best_score >= needed else ""


def _is_outburst(text: str) -> bool:
    """A complaint that is all feeling and no subject ("Not happy.", "This is unacceptable.")."""
    keys = _keys(text)
    return not any(k.startswith("#") for k in keys) and len(keys) <= 2


def is_upset(message: str, points: Iterable[Point] = ()) -> bool:
    """A complaint about something we got wrong, angry words, or shouting (!! or CAPITALS).

    A mild problem ("the code doesn't work", "it's too big") is a complaint, not upset."""
    if _ANGER.search(message):
        return True
    if any(p.kind == "complaint" and _STRONG.search(p.text) for p in points):
        return True
    if "!!" in message:
        return True
    shouted = [w for w in re.findall(r"\b[A-Z]{4,}\b", message) if w not in {"ASAP", "HTTP"}]
    return len(shouted) >= 2


def rewrite(sentence: str) -> Rewrite | None:
    """A "we/you" version of a company-centred sentence, or None if it is not one.

    >>> rewrite("I checked my system and I can see it left.").suggestion
    'We checked our system and we can see it left.'
    >>> rewrite("Our policy does not allow refunds after 30 days.").suggestion
    'Refunds after 30 days are not something we can do, but here is what we can do for you: …'
    >>> rewrite("You will get it tomorrow.") is None
    True
    """
    policy = _POLICY.search(sentence)
    first = _FIRST_PERSON.search(sentence)
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
    for pattern, replacement in _WE:
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


def _personal(draft: str, context: Context | None, message: str) -> list[str]:
    """Suggestions of what we know and the draft does not use."""
    if context is None:
        context = Context()
    lower = draft.lower()
    tips = []
    first = context.name.split()[0] if context.name.strip() else ""
    if first and first.lower() not in lower:
        tips.append(f"Greet them by name: \u201cHi {first},\u201d.")
    mentioned = [m.group(1) for m in _ORDER_REF.finditer(message)]
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
    acknowledging = next((d for d in draft_sentences if _ACKNOWLEDGE.search(d)), "")
    for point in points:
        point.answered_by = _answers(point, draft_sentences)
        if not point.answered_by and point.kind == "complaint" and _is_outburst(point.text):
            point.answered_by = acknowledging  # "Absolutely ridiculous." wants to be heard
        point.answered = bool(point.answered_by)
    upset = is_upset(message, points)
    acknowledged = bool(_ACKNOWLEDGE.search(draft)) if upset else None
    step = next((s for s in draft_sentences if _NEXT_STEP.search(s)), "")
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
