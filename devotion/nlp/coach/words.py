"""The coach's vocabulary: stop words, the cues of complaints, anger, requests, questions,
acknowledgement, next steps, company-centred language, and the we/you rewrites."""

from __future__ import annotations

import re

# --------------------------------------------------------------------------------- vocabulary

STOP = frozenset(
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
CONCEPT_CUES = {
    concept: re.compile(r"\b(" + "|".join(re.escape(cue.strip()) for cue in cues) + ")")
    for concept, cues in _CONCEPTS.items()
}
# A sentence that refuses or deflects mentions the subject without answering it.
DEFLECT = re.compile(
    r"\b(not possible|impossible|does not allow|doesn't allow|do not allow|don't allow|"
    r"not (our|my) (responsibility|fault|problem)|depends? on|handled by|up to the|"
    r"can'?t do|cannot do|unable to|is not something)\b",
    re.IGNORECASE,
)
# A complaint about one subject is answered by a remedy on another: broken → a replacement.
REMEDIES: dict[str, frozenset[str]] = {
    "damage": frozenset({"replace", "refund", "return", "warranty"}),
    "wrong": frozenset({"replace", "return", "refund"}),
    "missing": frozenset({"replace", "refund", "delivery"}),
    "delivery": frozenset({"refund", "replace"}),
    "quality": frozenset({"replace", "refund", "return", "warranty"}),
    "billing": frozenset({"refund"}),
    "cold": frozenset({"refund", "replace"}),
    "size": frozenset({"replace", "return"}),
}
COMPLAINT_WORDS = re.compile(
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
ANGER = re.compile(
    r"\b(unacceptable|ridiculous|furious|angry|disgust\w*|outrage\w*|worst|appalling|"
    r"shocking|fed up|sick of|never again|third time|second time|still (waiting|not|has not|"
    r"hasn'?t|nothing)|joke|scam|"
    r"frustrat\w*|disappoint\w*|annoyed|upset|terrible|awful|horrible)\b",
    re.IGNORECASE,
)
# Complaints that mean we let them down (upset), beyond a mild problem.
STRONG = re.compile(
    r"\b(broken|damaged?|cracked|smashed|leak\w*|wrong|late|delayed|never|not (arrived|"
    r"received|happy)|has(n'?t| not) (arrived|come)|missing|terrible|awful|horrible|rude|"
    r"nobody|no (reply|answer|response)|charged twice|double charged|stopped working|"
    r"soaked|ruined|stale|torn|spill\w*|spilt|supposed to|took (\w+ )?(days|weeks)|"
    r"waiting|unacceptable|again|someone else)\b",
    re.IGNORECASE,
)
REQUEST = re.compile(
    r"(\bplease\b|\b(i|we)\b[^.?!]*\b(want|would like|'d like|need|expect|demand|"
    r"require)\b|\b(i|we)'d like\b|"
    r"\b(can|could|would|will) you\b|\blet me know\b|\bkindly\b|"
    r"^(send|cancel|refund|replace|fix|call|tell|change|update|give|help|remove|stop|"
    r"arrange|confirm|check|email|ring|explain)\b)",
    re.IGNORECASE,
)
POLITE_ASK = re.compile(
    r"^(please\b|(can|could|would|will) you (please )?(send|refund|replace|cancel|fix|call|"
    r"change|update|arrange|give|help|remove|stop|check|confirm|exchange|return|ring|email|"
    r"book|reset|add|take|make|look))",
    re.IGNORECASE,
)
QUESTION_START = re.compile(
    r"^(when|where|why|how|what|which|who|is|are|was|were|do|does|did|can|could|will|would|"
    r"should|have|has|any (news|update|idea))\b",
    re.IGNORECASE,
)
PLEASANTRY = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|thanks|thank you|cheers|regards|"
    r"best|kind regards|many thanks|sincerely|yours)\b[^.?!]{0,30}$",
    re.IGNORECASE,
)
ACKNOWLEDGE = re.compile(
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
NEXT_STEP = re.compile(
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
FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'll|I'd|me|my|mine|myself)\b")
POLICY = re.compile(
    r"\b(our|company|store|shop) (policy|policies|rules?|terms|procedures?)\b|"
    r"\b(policy|rules?) (states?|says?|does not|doesn't|do not|don't)\b|"
    r"\bas per\b|\bper our\b|\bnot our (fault|responsibility)\b|"
    r"\bwe (cannot|can't|can not|are unable to|are not able to|do not|don't) "
    r"(offer|accept|allow|refund|give|provide|do|make|help)\b|\bnothing we can do\b",
    re.IGNORECASE,
)
ORDER_REF = re.compile(
    r"(?:#|\border\s*(?:no\.?|number|n[ou]mber)?\s*#?\s*)([A-Z]{0,4}-?\d{3,})", re.IGNORECASE
)

# First person → "we" forms, longest first.
WE = [
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
