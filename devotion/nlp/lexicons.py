"""Word lists written for Devotion by its authors (no third-party lexicon: licence-free).

Each list is short and aimed at what customers and support agents write. Words are matched
on the lower-cased tokens of :mod:`devotion.nlp.features` (a ``NOT_`` prefix marks a negated
word); a trailing ``*`` matches any ending ("disappoint*" matches "disappointed").
"""

from __future__ import annotations

POSITIVE = """
good thank* thx ty appreciat* love* loving lovely great* awesome amazing excellent fantastic
wonderful perfect* happy glad pleased delight* brilliant superb outstanding impressive
helpful kind friendly quick fast smooth easy best nice beautiful gorgeous comfortable
recommend* satisfied enjoy* fabulous grateful kudos cheers yay wow cool favorite favourite
flawless seamless fab super terrific stellar exceptional pleasant professional courteous
lifesaver hero superstar legend
"""

NEGATIVE = """
bad worst awful terrible horrible poor* disappoint* frustrat* annoy* angry furious upset
unacceptable ridiculous useless pathetic disgust* hate* sucks suck rude incompetent
delay* late cancel* lost missing broken broke damag* defect* faulty wrong error* fail*
problem* issue* complain* refund* waiting wait* stuck stranded hold never unhappy sad
worse mess* nightmare scam fraud* overcharg* charged twice declined unable cannot
misleading lie* lied liar shame* joke hours days still again nobody ignored ignoring
unprofessional unhelpful slow expensive cheap* ripped rip-off ripoff uncomfortable
itchy shrunk shrink* tore torn ruin* waste* hassle
"""

# Emoji read as the word they stand for (the sentiment model reads words: an emoji alone
# would say nothing). Only faces and signs whose feeling is plain; ☕, 🐶, ⭐ say none.
EMOJI_WORDS: dict[str, str] = {
    **dict.fromkeys("😍🥰😘💕💖💗💞❤♥💙💚💛💜🧡", "love"),
    **dict.fromkeys("😀😃😄😁😊🙂☺😌🤗", "happy"),
    **dict.fromkeys("🙌👏🎉🤩✨🌟", "great"),
    **dict.fromkeys("👍👌", "good"),
    "💯": "perfect",
    **dict.fromkeys("😡😠🤬😤", "angry"),
    **dict.fromkeys("🙄😒", "annoyed"),
    **dict.fromkeys("😞😔😢😭😩😫😟", "sad"),
    **dict.fromkeys("😕🙁☹💔", "disappointed"),
    "👎": "bad",
}

# Mild set phrases whose words mislead a word model ("not bad" holds "bad", "nothing
# special" a negated praise word), read as the plain word they mean.
MILD_PHRASES: dict[str, str] = {
    "not bad": "good",
    "not too bad": "fine",
    "not half bad": "good",
    "no complaints": "satisfied",
    "can't complain": "fine",
    "cannot complain": "fine",
    "nothing special": "ok",
    "nothing fancy": "ok",
    "nothing to complain about": "fine",
    # "a hit" is a success, but "hit" alone reads as harm ("took a hit" is left as it is).
    "huge hit": "great success",
    "big hit": "great success",
    "a real hit": "a real success",
    "was a hit": "was a success",
}

# Emotions (Plutchik's eight, the ones customers show most), each word with an intensity.
EMOTIONS: dict[str, dict[str, float]] = {
    "anger": {
        "angry": 0.8,
        "furious": 1.0,
        "outrag*": 1.0,
        "livid": 1.0,
        "mad": 0.7,
        "annoy*": 0.5,
        "irritat*": 0.5,
        "frustrat*": 0.6,
        "ridiculous": 0.6,
        "unacceptable": 0.8,
        "disgrace*": 0.9,
        "pathetic": 0.7,
        "hate*": 0.8,
        "sick of": 0.8,
        "fed up": 0.8,
        "joke": 0.4,
        "incompetent": 0.7,
        "worst": 0.6,
        "rude": 0.6,
        "scam": 0.8,
        "ripoff": 0.7,
        "rip-off": 0.7,
        "lied": 0.7,
        "liar": 0.9,
        "shame*": 0.5,
        "useless": 0.6,
        "wtf": 0.8,
        "damn": 0.6,
        "hell": 0.5,
    },
    "fear": {
        "afraid": 0.7,
        "scared": 0.8,
        "worr*": 0.6,
        "anxious": 0.7,
        "nervous": 0.6,
        "panic*": 0.9,
        "fear*": 0.7,
        "terrif*": 0.9,
        "concern*": 0.4,
        "unsafe": 0.8,
        "stolen": 0.6,
        "fraud*": 0.7,
        "hacked": 0.8,
        "compromised": 0.7,
        "stranded": 0.6,
        "urgent*": 0.5,
        "emergency": 0.7,
        "risk*": 0.4,
        "danger*": 0.8,
    },
    "sadness": {
        "sad": 0.7,
        "disappoint*": 0.6,
        "unhappy": 0.6,
        "upset": 0.6,
        "heartbroken": 1.0,
        "miss*": 0.3,
        "sorry": 0.3,
        "regret*": 0.6,
        "depress*": 0.8,
        "cry*": 0.7,
        "lost": 0.4,
        "ruin*": 0.7,
        "shame": 0.4,
        "let down": 0.7,
        "hopeless": 0.8,
        "unfortunately": 0.4,
        "sigh": 0.4,
    },
    "joy": {
        "happy": 0.7,
        "glad": 0.6,
        "love*": 0.8,
        "delight*": 0.9,
        "great*": 0.5,
        "awesome": 0.8,
        "amazing": 0.8,
        "excellent": 0.7,
        "fantastic": 0.8,
        "wonderful": 0.8,
        "perfect*": 0.7,
        "enjoy*": 0.6,
        "yay": 0.8,
        "thrill*": 0.9,
        "excited": 0.8,
        "pleased": 0.6,
        "fun": 0.5,
        "beautiful": 0.6,
        "gorgeous": 0.7,
        "best": 0.6,
    },
    "trust": {
        "trust*": 0.7,
        "reliab*": 0.6,
        "recommend*": 0.6,
        "loyal*": 0.7,
        "depend*": 0.4,
        "honest*": 0.6,
        "professional": 0.5,
        "helpful": 0.5,
        "thank*": 0.4,
        "appreciat*": 0.5,
        "grateful": 0.6,
        "confident": 0.6,
        "safe": 0.5,
        "always": 0.2,
        "again": 0.1,
        "faithful": 0.7,
        "fair": 0.4,
    },
    "surprise": {
        "surpris*": 0.7,
        "shock*": 0.8,
        "unexpect*": 0.6,
        "wow": 0.7,
        "suddenly": 0.5,
        "unbeliev*": 0.8,
        "astonish*": 0.9,
        "amaz*": 0.5,
        "omg": 0.7,
        "speechless": 0.8,
        "can't believe": 0.8,
        "cannot believe": 0.8,
        "out of nowhere": 0.6,
    },
    "disgust": {
        "disgust*": 1.0,
        "gross": 0.8,
        "nasty": 0.7,
        "filthy": 0.9,
        "dirty": 0.6,
        "vile": 0.9,
        "revolting": 1.0,
        "smell*": 0.4,
        "stink*": 0.7,
        "moldy": 0.8,
        "appalling": 0.8,
        "sickening": 0.9,
    },
    "anticipation": {
        "waiting": 0.5,
        "wait*": 0.3,
        "soon": 0.4,
        "expect*": 0.4,
        "hope*": 0.5,
        "looking forward": 0.8,
        "can't wait": 0.9,
        "eager*": 0.7,
        "when": 0.2,
        "tomorrow": 0.3,
        "upcoming": 0.5,
    },
}
EMOTION_NAMES: tuple[str, ...] = tuple(EMOTIONS)

# Our own replies that a customer would read as rude: insults, blame, dismissal, orders.
RUDE_PHRASES = """
not our problem|not my problem|not our fault|your own fault|your fault|you should have read|
read the manual|read the instructions|calm down|as i already said|as i already told you|
i already told you|like i said|we don't care|i don't care|deal with it|take it or leave it|
nothing we can do|stop complaining|stop emailing|stop calling|go somewhere else|
shop elsewhere|whatever|obviously you|clearly you didn't|you people|learn to|
if you can't|don't waste our time|do not waste our time|you're wrong|you are wrong|
that's your problem|that is your problem|figure it out yourself|google it|no idea why you|
we told you|you didn't listen|you never listen|be patient|chill|
as stated on our website|as stated in our|as clearly stated|before contacting us again|
check with your bank|not our responsibility|nothing to do with us|read our policy|
read our returns policy|we have no record of a problem|you must have
"""
RUDE_WORDS = """
stupid idiot* dumb moron* ridiculous pathetic ignorant lazy incompetent clueless shut
crap damn hell wtf stfu fool* loser* nonsense annoying whining whiny
"""

# Phrases that ask for escalation: the customer wants someone above the agent.
ESCALATION = """
speak to a manager|speak to your manager|speak with a manager|talk to a manager|
talk to your manager|manager please|your supervisor|a supervisor|escalate|escalation|
lodge a complaint|file a complaint|formal complaint|contact my lawyer|my lawyer|
legal action|ombudsman|trading standards|chargeback|report you
"""

# A message that asks something or wants something done.
REQUEST_PHRASES = """
please|pls|plz|i want|i'd like|i would like|i need|we need|can you|could you|would you|
will you|kindly|send me|let me know|help me|i demand|i expect|give me|refund me|
cancel my|change my|update my|get back to me|call me|reply|respond|fix this|sort this out|
do something|i'm asking|i am asking|speak to|talk to
"""
QUESTION_STARTS = """
who what when where why how which is are am was were do does did can could will would
should shall may might has have any anyone
"""

COMPLAINT_PHRASES = """
still not|still haven't|still hasn't|still waiting|never arrived|never received|
hasn't arrived|has not arrived|didn't arrive|did not arrive|not received|haven't received|
not working|doesn't work|does not work|stopped working|broken|damaged|wrong item|
wrong size|wrong order|charged twice|double charged|overcharged|no response|no reply|
nobody answered|on hold|been waiting|cancelled|canceled|delayed|lost my|missing|
not happy|unhappy|disappointed|unacceptable|terrible|awful|worst|complain|refund|
poor service|bad service|rude|ridiculous|useless|fed up|sick of|faulty|defective|
fell apart|ripped|tore|scam|misleading|not as described|late|too long|weeks ago
"""


def words(block: str) -> tuple[str, ...]:
    """The entries of a whitespace-separated word list."""
    return tuple(block.split())


def phrases(block: str) -> tuple[str, ...]:
    """The entries of a ``|``-separated phrase list (line breaks ignored)."""
    return tuple(p.strip() for p in block.replace("\n", "").split("|") if p.strip())
