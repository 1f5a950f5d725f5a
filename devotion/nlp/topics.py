"""Topics: what a message is about, as a readable label ("late delivery", "billing error").

Two ways, both without Django:

- :func:`assign` puts a message under one of the common problems a shop or service hears
  (:data:`TOPICS`, our own phrase lists), the one whose phrases it matches most; ``""`` when
  none. A business's corrections override it through a learned model (the voice app).
- :func:`discover` groups the messages no listed topic caught (TF-IDF + k-means) and names
  each group by its most telling words, so a new kind of problem still shows as a topic.

>>> assign("My parcel still hasn't arrived, it's two weeks late")
'late delivery'
>>> assign("You charged me twice for the same order")
'billing error'
>>> assign("Lovely weather today")
''
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

# label -> phrases (a trailing * matches any ending). Order breaks ties.
TOPICS: dict[str, str] = {
    "late delivery": "late|delay*|still waiting for my|still hasn't arrived|hasn't arrived|"
    "has not arrived|not arrived|never arrived|didn't arrive|did not arrive|not received|"
    "never received|haven't received|where is my order|where is my parcel|"
    "where is my package|tracking|delivery date|still not here|taking forever|"
    "not delivered|undelivered|courier|slow shipping|shipping seems|shipping is slow|"
    "slow delivery|taking ages|takes ages",
    "damaged item": "damaged|arrived broken|broken|cracked|smashed|dented|crushed|"
    "defective|faulty|stopped working|doesn't work|does not work|not working",
    "wrong item": "wrong item|wrong size|wrong colour|wrong color|wrong product|"
    "not what i ordered|sent me the wrong|sent the wrong|missing item|item missing|"
    "missing from my order|incomplete order|was missing|instead of|there was a * instead",
    "billing error": "charged twice|double charged|double charge|overcharg*|wrong amount|"
    "billing|billed|invoice|extra charge|charged me|charged for|unauthori* charge|"
    "payment taken twice|statement",
    "refund": "refund*|money back|reimburse*|credit note",
    "returns": "return*|exchange|send it back|sent it back|return label|returns policy",
    "cancellation": "cancel my|cancel the|cancellation|unsubscribe|close my account|"
    "cancel subscription|want to cancel",
    "payment problem": "card declined|declined|payment failed|payment didn't go through|"
    "checkout|can't pay|cannot pay|payment method|paypal|card payment|apple pay",
    "account and login": "log in|login|password|sign in|locked out|account locked|"
    "verification code|reset link|two-factor|2fa|my account",
    "website or app bug": "website|the app|app crash*|crash*|error message|won't load|"
    "doesn't load|page|bug|glitch|site is down|keeps freezing",
    "sizing and fit": "size|sizing|fit|fits|too small|too big|too tight|too loose|"
    "runs small|runs large|runs big|tight|loose|length|petite|xs|xl",
    "product quality": "quality|cheap material|fabric|material|thin|see-through|"
    "see through|fell apart|falling apart|pilling|pilled|itchy|shrank|shrunk|faded|seams|"
    "stitching|poorly made|flimsy",
    "rude reply": "rude|unhelpful|attitude|condescending|hung up|ignored me|unprofessional|"
    "dismissive|arrogant|sarcastic|spoke to me like|talked down",
    "slow support": "on hold|no reply|no response|no answer|nobody answers|nobody replied|"
    "waiting for a reply|waiting for an answer|hours on the phone|still no word|"
    "chased|chasing|emailed three times|called three times|not responding|ignored",
    "price": "price|pricing|expensive|too much money|discount|coupon|promo code|voucher|"
    "sale|cheaper|price match",
    "stock availability": "out of stock|back in stock|sold out|restock|in stock|"
    "available in|pre-order|preorder",
    "praise": "love it|loved it|love this|great service|excellent service|amazing|"
    "thank you so much|thanks so much|fantastic|brilliant|so helpful|highly recommend|"
    "best customer service|shout-out|shout out|is a star|appreciate it|lovely service|"
    "huge hit|obsessed with|above and beyond|so kind|so patient|made my day",
}


def _pattern(phrases: str) -> re.Pattern[str]:
    parts = [
        re.escape(p.strip()).replace(r"\*", r"\w*").replace(r"\ ", r"\s+")
        for p in phrases.split("|")
        if p.strip()
    ]
    return re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])", re.IGNORECASE)


# Topics that are good news: never an emerging *problem*.
POSITIVE_TOPICS = frozenset({"praise"})

LABELS: tuple[str, ...] = tuple(TOPICS)
# One pass over the text for every topic: each topic's phrases are a named group.
_ALL = re.compile(
    "|".join(f"(?P<t{i}>{_pattern(phrases).pattern})" for i, phrases in enumerate(TOPICS.values())),
    re.IGNORECASE,
)


def assign(text: str) -> str:
    """The listed topic ``text`` matches most (``""`` when none; a tie goes to the topic
    listed first)."""
    hits = [0] * len(LABELS)
    for match in _ALL.finditer(text):
        if match.lastgroup is not None:
            hits[int(match.lastgroup[1:])] += 1
    best = max(range(len(LABELS)), key=lambda i: (hits[i], -i))
    return LABELS[best] if hits[best] else ""


def discover(
    texts: Sequence[str], *, max_topics: int = 8, min_size: int = 5, random_state: int = 0
) -> list[tuple[str, list[int]]]:
    """Group ``texts`` into at most ``max_topics`` topics, each named by its top words.

    Returns ``(label, indexes)`` for each group of at least ``min_size`` texts, biggest
    first; the label is the group's two or three most distinctive words ("zip, stuck").
    """
    if len(texts) < max(min_size * 2, 4):
        return []
    import numpy as np
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english", min_df=2, max_df=0.5, sublinear_tf=True, token_pattern=r"[a-z]{3,}"
    )
    try:
        x = vectorizer.fit_transform([t.lower() for t in texts])
    except ValueError:  # no word occurs twice: nothing to group
        return []
    k = max(2, min(max_topics, len(texts) // (min_size * 2)))
    model = MiniBatchKMeans(n_clusters=k, random_state=random_state, n_init=3).fit(x)
    terms = np.asarray(vectorizer.get_feature_names_out())
    groups: list[tuple[str, list[int]]] = []
    for cluster in range(k):
        members = [i for i, c in enumerate(model.labels_) if c == cluster]
        if len(members) < min_size:
            continue
        top = terms[np.argsort(model.cluster_centers_[cluster])[::-1][:3]]
        groups.append((", ".join(str(t) for t in top), members))
    groups.sort(key=lambda g: -len(g[1]))
    return groups


def counts(labels: Sequence[str]) -> Counter[str]:
    """How many texts each topic has (the empty label left out)."""
    return Counter(label for label in labels if label)
