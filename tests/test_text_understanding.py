"""Known cases for the text functions in devotion/nlp (no database)."""

from __future__ import annotations

import pytest

from devotion.nlp import language, signals, topics, trends
from devotion.nlp.analyze import analyze


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thank you so much, the dress is beautiful and arrived early!", "positive"),
        ("Absolutely love it, great service as always", "positive"),
        ("Worst service ever. My order never arrived and nobody answers.", "negative"),
        ("The zip broke after one wear, really disappointed", "negative"),
        ("What time does the shop open on Saturday?", "neutral"),
    ],
)
def test_it_reads_the_feeling_of_clear_texts(text, label):
    [result] = analyze([text])
    assert result.sentiment_label == label
    assert (result.sentiment_score > 0) == (label == "positive")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Fine, nothing special.", "neutral"),
        ("Fine. Nothing special.", "neutral"),
        ("Not bad at all", "positive"),
        ("No complaints", "positive"),
        ("Can\u2019t complain, arrived on time", "neutral"),  # a typographic apostrophe
        ("Obsessed with my new grinder 😍", "positive"),
        ("Morning ritual sorted ✨", "positive"),
        ("Still waiting for my order 😡", "negative"),
        ("The new scarf was a huge hit", "positive"),  # "hit" alone reads as harm
    ],
)
def test_mild_texts_and_emoji_are_not_read_as_complaints(text, label):
    [result] = analyze([text])
    assert result.sentiment_label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [("😍😍😍", "positive"), ("🙂", "positive"), ("👎", "negative"), ("😡 😡", "negative")],
)
def test_a_reply_of_emoji_alone_has_their_feeling(text, label):
    """An emoji-only review or comment has no language, but its feeling is plain."""
    [result] = analyze([text])
    assert (result.language, result.sentiment_label) == ("und", label)


def test_emoji_without_a_plain_feeling_say_nothing():
    [result] = analyze(["☕ ⭐⭐⭐"])
    assert (result.language, result.sentiment_label) == ("und", None)


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("Where is my parcel?", ["question"]),
        ("Can you change the delivery address to 4 Elm Street", ["question", "request"]),
        ("Please send me a return label", ["request"]),
        ("My order still hasn't arrived", ["complaint"]),
        ("I want to speak to a manager", ["complaint", "request", "escalation"]),
        ("Lovely, thanks!", []),
    ],
)
def test_it_says_why_a_message_needs_a_reply(text, reasons):
    needs, found = signals.needs_reply(text)
    assert found == reasons
    assert needs == bool(reasons)


def test_it_finds_emotions_with_their_intensity():
    angry = signals.emotions("I am absolutely furious, this is unacceptable!")
    assert angry["anger"] == 1.0 and angry["joy"] == 0.0
    scared = signals.emotions("I'm worried my card was stolen")
    assert scared["fear"] > 0.5
    glad = signals.emotions("So happy with it!")
    assert glad["joy"] > signals.emotions("happy with it")["joy"] > 0
    assert signals.emotions("I am not happy")["joy"] == 0.0


def test_it_flags_rude_replies_and_not_polite_ones():
    assert signals.rudeness("Calm down. It is not our problem if you can't read.") == [
        "calm down",
        "not our problem",
        "if you can't",
    ]
    assert signals.rudeness("Sorry for the wait, a new one is on its way today.") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hello, my order has not arrived yet and I am worried", "en"),
        ("Bonjour, ma commande n'est pas arrivée, merci de vérifier", "fr"),
        ("Hola, mi pedido no ha llegado todavía, gracias", "es"),
        ("Hallo, meine Bestellung ist noch nicht da, danke", "de"),
        ("こんにちは、注文がまだ届きません", "ja"),
        # Short English with few function words; "a", "o", "de" are words of other
        # languages too, and handles or links are no language's words.
        ("Sales took a hit", "en"),
        ("@AmericanAir you're almost as bad as @united", "en"),
        ("@JetBlue its a wonderful thing! http://t.co/x1", "en"),
        ("Voy a la tienda", "es"),
        ("Il a acheté une robe", "fr"),
        ("Obrigado pela ajuda, o pedido chegou", "pt"),
    ],
)
def test_it_detects_the_language(text, code):
    assert language.detect(text) == code


def test_a_text_in_another_language_is_marked_not_scored():
    [result] = analyze(["Ma commande est arrivée cassée, je suis très déçue."])
    assert result.language == "fr"
    assert result.sentiment_label is None and result.topic == ""


def test_it_finds_staff_and_products_it_is_told_about():
    [result] = analyze(
        ["Maria was so helpful with my linen shirt exchange"],
        staff={"Maria": 3},
        products={"Linen Shirt": "LS-1"},
    )
    assert result.mentions == [
        {"kind": "staff", "name": "Maria", "id": 3},
        {"kind": "product", "name": "Linen Shirt", "id": "LS-1"},
    ]


def test_messages_about_one_problem_share_a_topic():
    late = [
        "Where is my order? It's a week late",
        "My parcel still hasn't arrived",
        "Tracking says delayed again",
    ]
    billing = ["You charged me twice", "There's an extra charge on my invoice"]
    assert {topics.assign(t) for t in late} == {"late delivery"}
    assert {topics.assign(t) for t in billing} == {"billing error"}
    assert topics.assign("The agent was rude and hung up on me") == "rude reply"


def test_new_kinds_of_problem_are_grouped_by_their_words():
    zips = [f"The zipper got stuck on my jacket number {i}" for i in range(8)]
    dogs = [f"My dog loves the chew toy, bought {i}" for i in range(8)]
    groups = topics.discover(zips + dogs, max_topics=2, min_size=3)
    assert len(groups) == 2
    members = sorted(sorted(g[1]) for g in groups)
    assert members == [list(range(8)), list(range(8, 16))]


def test_a_spike_is_flagged_with_its_statistics():
    trend = trends.emerging([3, 4, 2, 5, 3, 4, 3, 4, 21])
    assert trend.flagged
    assert trend.expected == 3.5 and trend.observed == 21
    assert trend.p_value < 0.001 and trend.z > 3


def test_flat_noise_is_not_flagged():
    import random

    rng = random.Random(4)
    flagged = 0
    for _ in range(200):
        weeks = [sum(rng.random() < 0.1 for _ in range(100)) for _ in range(9)]
        flagged += trends.emerging(weeks).flagged
    assert flagged <= 1


def test_the_batch_gives_the_same_results_split_or_whole():
    texts = ["Thanks a lot!", "Where is my refund?", "Bad quality, fell apart", "ok"] * 5
    whole = analyze(texts)
    parts = analyze(texts[:7]) + analyze(texts[7:])
    assert [r.as_dict() for r in whole] == [r.as_dict() for r in parts]
