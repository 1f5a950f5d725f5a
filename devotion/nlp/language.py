"""Which language a text is written in, from its script and its most common words (no
Django, no model file: word lists written here).

Returns an ISO 639-1 code. Latin-script texts are told apart by their function words (the,
and, der, und, le, les, el, los…); a short text with none of them but plain ASCII letters is
taken as English, since "Thanks!!" or "ok" says nothing else. ``"und"`` (undetermined) when
there is no letter at all.

>>> detect("Where is my parcel? I ordered it two weeks ago.")
'en'
>>> detect("¿Dónde está mi pedido? Lo pedí hace dos semanas.")
'es'
>>> detect("Wo ist meine Bestellung? Ich warte schon seit zwei Wochen.")
'de'
>>> detect("Где мой заказ?")
'ru'
>>> detect("12345")
'und'
"""

from __future__ import annotations

import re

_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and is are was were you your my i it this that to of in for with not have "
        "has had be been will would can could please thanks thank what where when why how "
        "me we our they them at on from but or an so just do does did no yes a as if its "
        "any all up out about get got there their than then now one by "
        "who which some more very too really still again after before over u ur",
        "es": "el la los las de del que y en un una es por para con no mi su se lo al pero "
        "como más muy está estoy gracias dónde cuándo por qué hola pedido también yo a",
        "fr": "le la les de des du et est un une que qui pour pas je vous nous mon ma mes "
        "avec dans sur ce cette merci bonjour où quand pourquoi commande ai suis très a",
        "de": "der die das und ist nicht ich sie wir ein eine mit von zu den dem des auf "
        "für mein meine ihr bitte danke wo wann warum hallo bestellung noch schon seit",
        "it": "il la le di che e è un una per non con mi mio mia sono del della grazie dove "
        "quando perché ciao ordine ho anche molto a",
        "pt": "o a os as de do da que e é um uma para não com meu minha por obrigado obrigada "
        "onde quando porque olá pedido também muito está",
        "nl": "de het een en is niet ik je jij wij van op voor met mijn dank bedankt waar "
        "wanneer waarom hallo bestelling nog al zijn",
        "sv": "och är inte jag du vi en ett det som på för med min mitt tack var när varför "
        "hej beställning har",
        "da": "og er ikke jeg du vi en et det som på for med min mit tak hvor hvornår hvorfor "
        "hej bestilling har",
        "pl": "i w nie jest się na z że do to mój moja dziękuję gdzie kiedy dlaczego zamówienie",
    }.items()
}
_SCRIPTS: list[tuple[str, re.Pattern[str]]] = [
    ("ru", re.compile(r"[\u0400-\u04FF]")),
    ("el", re.compile(r"[\u0370-\u03FF]")),
    ("ar", re.compile(r"[\u0600-\u06FF]")),
    ("he", re.compile(r"[\u0590-\u05FF]")),
    ("hi", re.compile(r"[\u0900-\u097F]")),
    ("th", re.compile(r"[\u0E00-\u0E7F]")),
    ("ja", re.compile(r"[\u3040-\u30FF]")),  # kana before Han: Japanese uses both
    ("ko", re.compile(r"[\uAC00-\uD7AF]")),
    ("zh", re.compile(r"[\u4E00-\u9FFF]")),
]
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Handles, links and hashtags name things; they are not words of any language.
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")


def detect(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language (``"und"`` when it has no letters)."""
    words = [w.lower() for w in _WORD.findall(_NOT_WORDS.sub(" ", text))] or [
        w.lower() for w in _WORD.findall(text)
    ]
    if not words:
        return "und"
    letters = "".join(words)
    for code, pattern in _SCRIPTS:
        if len(pattern.findall(letters)) * 2 >= len(letters):
            return code
    scores = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _WORDS.items()}
    best = max(scores, key=lambda lang: (scores[lang], lang == "en"))
    if scores[best] == 0:
        return "en" if letters.isascii() else "und"
    return best
