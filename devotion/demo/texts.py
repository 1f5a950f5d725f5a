"""Text material for the demo business: catalogue, staff, and what customers and staff write.

Plain Python, no Django. Every text is assembled from several independently chosen fragments
(opener, problem, detail, feeling, a personal aside, the ask, a sign-off), so two customers with
the same problem rarely write the same message. Functions take a ``random.Random`` so the
whole demo stays deterministic from its seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    price: str
    category: str


@dataclass(frozen=True, slots=True)
class Staff:
    """A member of the demo team: full name, the short names customers use, and a role."""

    name: str
    aliases: tuple[str, ...]
    title: str
    role: str = "agent"

    @property
    def first(self) -> str:
        return self.aliases[0]


BUSINESS_NAME = "Hearth & Bean"

STAFF: tuple[Staff, ...] = (
    Staff("Morgan Ellis", ("Morgan",), "Founder", "admin"),
    Staff("Dana Whitfield", ("Dana",), "Customer care lead", "manager"),
    Staff("Priya Shah", ("Priya",), "Customer care"),
    Staff("Tomás Rivera", ("Tomas", "Tomás"), "Customer care"),
    Staff("Samantha Lee", ("Sam", "Samantha"), "Customer care"),
    Staff("Jamal Okafor", ("Jamal",), "Warehouse & returns"),
    Staff("Hannah Becker", ("Hannah",), "Customer care (evenings)"),
    Staff("Oliver Grant", ("Ollie", "Oliver"), "Coffee roaster"),
)
SUPPORT_STAFF = STAFF[1:7]

CATALOGUE: tuple[Product, ...] = (
    Product("HB-COF-001", "House Blend coffee beans 1 kg", "24.00", "coffee"),
    Product("HB-COF-002", "Ethiopia Yirgacheffe beans 250 g", "14.50", "coffee"),
    Product("HB-COF-003", "Colombia Huila beans 250 g", "13.00", "coffee"),
    Product("HB-COF-004", "Swiss Water decaf beans 250 g", "13.50", "coffee"),
    Product("HB-COF-005", "Espresso Roast beans 1 kg", "26.00", "coffee"),
    Product("HB-COF-006", "Winter Spice seasonal blend 250 g", "15.00", "coffee"),
    Product("HB-COF-007", "Cold Brew coarse grind 500 g", "16.00", "coffee"),
    Product("HB-TEA-001", "Earl Grey loose leaf tea 100 g", "9.50", "tea"),
    Product("HB-TEA-002", "Chamomile & honey tea 100 g", "8.50", "tea"),
    Product("HB-BRW-001", "Burr coffee grinder", "129.00", "brewing"),
    Product("HB-BRW-002", "Gooseneck pour-over kettle", "69.00", "brewing"),
    Product("HB-BRW-003", "Glass pour-over brewer", "42.00", "brewing"),
    Product("HB-BRW-004", "French press 1 l", "38.00", "brewing"),
    Product("HB-BRW-005", "Paper filters (100)", "7.00", "brewing"),
    Product("HB-BRW-006", "Stovetop espresso maker", "45.00", "brewing"),
    Product("HB-BRW-007", "Digital coffee scale", "34.00", "brewing"),
    Product("HB-MUG-001", "Stoneware mug, sage green", "18.00", "tableware"),
    Product("HB-MUG-002", "Stoneware mug, oat", "18.00", "tableware"),
    Product("HB-MUG-003", "Double-wall glass cups (pair)", "26.00", "tableware"),
    Product("HB-MUG-004", "Travel tumbler, charcoal", "29.00", "tableware"),
    Product("HB-TBL-001", "Linen napkins (set of 4)", "32.00", "tableware"),
    Product("HB-TBL-002", "Speckled dinner plates (set of 4)", "64.00", "tableware"),
    Product("HB-KIT-001", "Cast-iron skillet 26 cm", "55.00", "kitchen"),
    Product("HB-KIT-002", "Olive wood cutting board", "48.00", "kitchen"),
    Product("HB-KIT-003", "Chef's knife 20 cm", "89.00", "kitchen"),
    Product("HB-KIT-004", "Enamel casserole dish 4 l", "149.00", "kitchen"),
    Product("HB-KIT-005", "Waffle-weave tea towels (pair)", "16.00", "kitchen"),
    Product("HB-KIT-006", "Ceramic utensil crock", "28.00", "kitchen"),
    Product("HB-HOM-001", "Soy candle, fig & cedar", "24.00", "home"),
    Product("HB-HOM-002", "Soy candle, coffee & vanilla", "24.00", "home"),
    Product("HB-HOM-003", "Wool throw blanket, rust", "95.00", "home"),
    Product("HB-HOM-004", "Seagrass storage basket", "36.00", "home"),
    Product("HB-PET-001", "Rope chew toy", "12.00", "pets"),
    Product("HB-PET-002", "Ceramic dog bowl", "22.00", "pets"),
    Product("HB-GFT-001", "Coffee lover's gift box", "59.00", "gifts"),
    Product("HB-GFT-002", "Gift card $50", "50.00", "gifts"),
)
SUBSCRIPTION = Product("HB-SUB-001", "Coffee Club monthly subscription", "22.00", "subscription")

PROBLEMS = (
    "late_delivery",
    "damaged",
    "billing",
    "wrong_item",
    "refund_delay",
    "out_of_stock",
    "checkout_bug",
    "peak_shipping",
)
QUESTIONS = ("product_question", "address_change", "gift_wrap", "subscription_question")

SUBJECTS = {
    "late_delivery": [
        "Where is my order?",
        "Order {order} not arrived",
        "Still waiting",
        "Delivery",
    ],
    "damaged": ["Broken item", "Arrived damaged", "Damaged {item}", "Cracked on arrival"],
    "billing": ["Charged twice", "Billing error on {order}", "Wrong amount charged", "Refund?"],
    "wrong_item": ["Wrong item received", "Not what I ordered", "Order {order} mix-up"],
    "refund_delay": ["Refund still not received", "Where is my refund", "Refund for {order}"],
    "out_of_stock": ["Back in stock?", "Out of stock after ordering", "{item} availability"],
    "checkout_bug": ["Can't check out", "Website error at checkout", "Payment page broken"],
    "peak_shipping": ["Will it arrive before Christmas?", "Holiday delivery", "Shipping delays"],
    "product_question": ["Question about {item}", "Quick question", "{item}"],
    "address_change": ["Change delivery address", "Wrong address on {order}", "Address update"],
    "gift_wrap": ["Gift wrapping", "Gift note for {order}", "Sending as a gift"],
    "subscription_question": ["Coffee Club", "Pause my subscription", "Subscription question"],
}

_OPENERS = [
    "Hi,",
    "Hello,",
    "Hi there,",
    "Hi team,",
    "Hey,",
    "Good morning,",
    "Hello Hearth & Bean,",
]
_OPENERS += ["", "", "Dear customer service,", "Hi folks,", "Evening,"]

_PROBLEM = {
    "late_delivery": [
        "I ordered the {item} on {order_date} (order {order}) and it still hasn't arrived.",
        "My order {order} was supposed to be here {days} days ago and there's no sign of it.",
        "The tracking for {order} hasn't moved in {days} days.",
        "Still waiting on order {order}. The {item} was meant to arrive last week.",
        "It's been {days} days since I placed order {order} and nothing has shown up.",
    ],
    "damaged": [
        "The {item} arrived broken - the box was crushed on one side.",
        "My {item} came today and it's cracked right down the middle.",
        "Opened my parcel ({order}) and the {item} is chipped in two places.",
        "The {item} was damaged in transit, there were pieces rattling around in the box.",
        "Unfortunately the {item} from order {order} arrived dented and unusable.",
    ],
    "billing": [
        "I've been charged twice for order {order}.",
        "My card statement shows two payments for the same order ({order}).",
        "I was billed ${amount} but the order total said something much lower.",
        "There's a charge from you I don't recognise, right after my order {order}.",
        "You charged my card again for the Coffee Club after I cancelled it.",
    ],
    "wrong_item": [
        "I ordered the {item} but received something completely different.",
        "The parcel for {order} had someone else's items in it, not my {item}.",
        "I got the wrong colour - I ordered the {item} and this isn't it.",
        "Order {order} arrived but the {item} was missing and there was a candle instead.",
    ],
    "refund_delay": [
        "I returned the {item} {days} days ago and still haven't seen my refund.",
        "You confirmed my return for {order} weeks ago but no refund yet.",
        "Jamal said the return was received, but the refund hasn't come through.",
        "Still no refund for the {item} I sent back. It's been {days} days.",
    ],
    "out_of_stock": [
        "I paid for the {item} and then got an email saying it's out of stock.",
        "The site said the {item} was in stock but now my order {order} is on hold.",
        "Is the {item} ever coming back? It's been sold out for ages.",
    ],
    "checkout_bug": [
        "Your checkout keeps failing when I try to pay - it just spins and then errors.",
        "I tried to order three times and the payment page crashed every time.",
        "The discount code field breaks the checkout; I get a blank page.",
        "I can't get past the shipping step on your website, it resets my address.",
    ],
    "peak_shipping": [
        "I ordered the {item} as a Christmas present and it's still not shipped.",
        "Will order {order} arrive before the 24th? The tracking hasn't updated.",
        "Holiday shipping seems really slow - {order} has been 'processing' for {days} days.",
    ],
    "product_question": [
        "Is the {item} dishwasher safe?",
        "Does the {item} work on an induction hob?",
        "How fine does the {item} grind? I use a pour-over mostly.",
        "Can you tell me how big the {item} is? The photos make it hard to judge.",
        "Which beans would you recommend for a stovetop espresso maker?",
    ],
    "address_change": [
        "I put the wrong address on order {order}, can you change it before it ships?",
        "We've just moved - can order {order} go to the new address instead?",
    ],
    "gift_wrap": [
        "Could order {order} be gift wrapped? It's a present.",
        "Can I add a gift note to order {order}? It's going straight to my friend.",
    ],
    "subscription_question": [
        "Can I pause the Coffee Club for a month while we're away?",
        "How do I switch my Coffee Club beans to decaf?",
        "Can I change the delivery day of my subscription?",
    ],
}

_DETAIL = {
    "late_delivery": [
        "The courier's site just says 'in transit'.",
        "I was home all day and no one came.",
        "I paid for express shipping too.",
        "",
    ],
    "damaged": [
        "I've attached photos of the box and the {item}.",
        "There was hardly any padding in the box.",
        "The outer box looked fine, so it must have been packed loosely.",
        "",
    ],
    "billing": ["I can send a screenshot of the statement.", "Both charges are still pending.", ""],
    "wrong_item": ["I've kept the packaging.", "The packing slip has my name on it though.", ""],
    "refund_delay": ["I have the return tracking number.", "I was told 5 working days.", ""],
    "out_of_stock": ["Nobody told me before I paid.", "", ""],
    "checkout_bug": ["I'm on my phone, using Safari.", "I tried two different cards.", ""],
    "peak_shipping": ["It needs to be under the tree.", "", ""],
}

FEELINGS = {
    "anger": [
        "This is completely unacceptable.",
        "Honestly I'm furious.",
        "I am really angry about this.",
        "This is ridiculous and I want it fixed today.",
        "Frankly this is the worst service I've had all year.",
    ],
    "frustration": [
        "This is getting really frustrating.",
        "I've already spent far too long on this.",
        "It's the second time this has happened.",
        "I'm fed up of chasing this.",
        "Not impressed, to be honest.",
    ],
    "disappointment": [
        "I'm really disappointed, I've always loved your shop.",
        "Such a shame, I was so looking forward to it.",
        "Bit of a let-down after such good experiences before.",
        "I expected better from you.",
    ],
    "anxiety": [
        "I'm quite worried it won't arrive in time.",
        "I'm a bit anxious about this, it's a gift.",
        "Really hoping this can be sorted quickly, I'm stressing about it.",
        "I'm nervous it's got lost.",
    ],
    "neutral": ["", "", "Not a big deal, just wanted to check.", "No rush."],
    "joy": ["I love everything else I've bought from you!", "Love the shop by the way!"],
}

_ASK = {
    "late_delivery": ["Can you tell me where it is?", "Please let me know what's going on."],
    "damaged": ["Can you send a replacement?", "I'd like a replacement or a refund please."],
    "billing": ["Please refund the extra charge.", "Can you look into it and fix this?"],
    "wrong_item": ["How do I get the right one?", "Please send the correct item."],
    "refund_delay": ["When will I get my money back?", "Please chase this up."],
    "out_of_stock": ["When will it be back?", "Please either ship it or refund me."],
    "checkout_bug": ["Can you place the order for me?", "Is there another way to pay?"],
    "peak_shipping": ["Can you upgrade the shipping?", "Can you confirm it'll get here in time?"],
}
_ASK_DEFAULT = ["Thanks in advance.", "Let me know!", "Thanks!", "Appreciate the help."]

_SIGN_OFFS = ["Thanks,", "Thanks", "Regards,", "Best,", "Cheers,", "Many thanks,", "Kind regards,"]

# Personal asides: (text, fact key, fact value); {pet}, {birthday}, {colour}, {child} filled in.
ASIDES = [
    ("It's for my daughter's wedding next month.", "upcoming_occasion", "daughter's wedding"),
    ("It's a present for my mum's 70th.", "upcoming_occasion", "mother's 70th birthday"),
    ("Our dog {pet} absolutely loves the chew toy by the way.", "pet_name", "{pet}"),
    ("{pet} (our spaniel) has claimed the throw blanket already.", "pet_name", "{pet}"),
    ("My birthday is on {birthday} so I was treating myself.", "birthday", "{birthday}"),
    ("It was meant to be a birthday present to myself - {birthday}!", "birthday", "{birthday}"),
    ("I only drink decaf these days, doctor's orders.", "coffee_preference", "decaf"),
    ("I love the {colour} colour, it matches our kitchen.", "favourite_colour", "{colour}"),
    ("Please text me rather than email, I hardly check my inbox.", "preferred_channel", "sms"),
    ("Phone is the best way to reach me.", "preferred_channel", "phone"),
    ("My son {child} uses the grinder every morning before school.", "child_name", "{child}"),
    ("We're moving house next week so timing matters.", "life_event", "moving house"),
    ("We just had a baby so I'm running on coffee.", "life_event", "new baby"),
    ("I'm a teacher so I can only take calls after 4pm.", "contact_hours", "after 4pm"),
]
PET_NAMES = ["Biscuit", "Mochi", "Pepper", "Luna", "Bruno", "Maple", "Ziggy", "Olive", "Rolo"]
COLOURS = ["sage green", "oat", "rust", "charcoal", "terracotta", "navy"]


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def inbound_message(
    rng: random.Random, topic: str, emotion: str, values: dict[str, str], aside: int | None
) -> tuple[str, dict[str, str]]:
    """A customer's first message about ``topic``; returns (text, facts mentioned in it)."""
    parts = [rng.choice(_OPENERS)]
    parts.append(_fill(rng.choice(_PROBLEM[topic]), values))
    if topic in _DETAIL:
        parts.append(_fill(rng.choice(_DETAIL[topic]), values))
    if emotion in FEELINGS:
        parts.append(rng.choice(FEELINGS[emotion]))
    facts: dict[str, str] = {}
    if aside is not None:
        text, key, value = ASIDES[aside]
        parts.append(_fill(text, values))
        facts[key] = _fill(value, values)
    parts.append(rng.choice(_ASK.get(topic, _ASK_DEFAULT)))
    parts.append(f"{rng.choice(_SIGN_OFFS)} {values['first']}")
    return _join(parts), facts


_APOLOGY = {
    "late_delivery": [
        "I'm sorry your order is taking so long.",
        "Sorry for the wait on order {order}.",
    ],
    "damaged": ["I'm so sorry the {item} arrived damaged.", "That's not how it should arrive."],
    "billing": ["Sorry about the double charge.", "Apologies for the billing mix-up."],
    "wrong_item": ["Sorry, our warehouse sent the wrong item.", "Apologies for the mix-up."],
    "refund_delay": ["I'm sorry the refund is taking so long.", "Sorry for the delay."],
    "out_of_stock": ["I'm sorry, our stock count was wrong.", "Sorry for the confusion."],
    "checkout_bug": ["Sorry about the checkout trouble.", "Thanks for flagging the error."],
    "peak_shipping": ["Sorry, the couriers are swamped this month.", "I understand the worry."],
}
_ACTION = {
    "late_delivery": [
        "I've opened a trace with the courier and sent a replacement by express today.",
        "The courier says it's at your local depot; it should arrive tomorrow.",
    ],
    "damaged": [
        "A replacement {item} is on its way, no need to send the broken one back.",
        "I've refunded the {item} in full - it should show in 3-5 working days.",
    ],
    "billing": [
        "I've refunded the duplicate charge of ${amount}; it may take a few days to show.",
        "The second payment was only a pending authorisation and has been released.",
    ],
    "wrong_item": [
        "The right item ships today, and here's a return label for the other one.",
        "I've sent the correct {item} by express; please keep the other item.",
    ],
    "refund_delay": [
        "I can see the refund was stuck - I've pushed it through manually today.",
        "Your refund of ${amount} was processed this morning.",
    ],
    "out_of_stock": [
        "The {item} is back in stock on the 12th; I've reserved one for you.",
        "I've refunded you in full and added a 10% code for your next order.",
    ],
    "checkout_bug": [
        "I've placed the order for you manually and applied the discount.",
        "Our developers fixed the checkout this morning - please try again.",
    ],
    "peak_shipping": [
        "I've upgraded your order to express shipping at no cost.",
        "It's out for delivery and should arrive well before the 24th.",
    ],
    "product_question": [
        "Yes, it's dishwasher safe, though hand washing keeps the glaze nicer for longer.",
        "It works on every hob, including induction.",
        "For stovetop espresso I'd go for our Espresso Roast, ground a little coarser.",
    ],
    "address_change": ["Done - the address is updated and it hasn't shipped yet."],
    "gift_wrap": ["Of course, I've added gift wrap and your note, free of charge."],
    "subscription_question": ["All done, your Coffee Club is updated."],
}
_STAFF_CLOSE = [
    "Let me know if there's anything else.",
    "Have a lovely day.",
    "Thanks for your patience.",
    "Just reply here if you need anything.",
    "",
]


def staff_reply(rng: random.Random, topic: str, staff: Staff, values: dict[str, str]) -> str:
    """A named staff member's reply to a customer about ``topic``."""
    parts = [f"Hi {values['first']},"]
    if topic in _APOLOGY:
        parts.append(_fill(rng.choice(_APOLOGY[topic]), values))
    else:
        parts.append(rng.choice(["Thanks for getting in touch!", "Great question."]))
    parts.append(_fill(rng.choice(_ACTION[topic]), values))
    parts.append(rng.choice(_STAFF_CLOSE))
    parts.append(rng.choice([f"Best, {staff.first}", f"{staff.first}", f"Warmly, {staff.first}"]))
    return _join(parts)


_RUDE_REPLY = [
    "As stated on our website, delivery times are estimates. Please wait.",
    "We have no record of a problem. Please check with your bank.",
    "Please read our returns policy before contacting us again.",
]

PRAISE = [
    "{staff} sorted it out in minutes.",
    "Huge thanks to {staff}, who went above and beyond.",
    "{staff} was so kind and patient with me.",
    "Shout-out to {staff} for the quick help!",
    "{staff} fixed everything and even followed up to check.",
    "{staff} in customer care is a star.",
]


def follow_up(
    rng: random.Random, happy: bool, staff: Staff, values: dict[str, str]
) -> tuple[str, str]:
    """The customer's answer to a reply: thanks (often naming the staff member) or a complaint.

    Returns (text, emotion).
    """
    if happy:
        parts = [
            rng.choice(["Thank you so much!", "Brilliant, thanks.", "Perfect, thank you!", ""]),
            _fill(rng.choice(PRAISE), {"staff": rng.choice(staff.aliases)}),
            rng.choice(["You've got a customer for life.", "Really appreciate it.", ""]),
            values["first"],
        ]
        return _join(parts), "gratitude"
    emotion = rng.choice(["anger", "frustration", "disappointment"])
    parts = [
        rng.choice(
            [
                "That reply was quite rude, honestly.",
                "That doesn't answer my question at all.",
                "I've now waited another {days} days.",
                "This still isn't fixed.",
            ]
        ).format(**values),
        rng.choice(FEELINGS[emotion]),
        rng.choice(
            ["I want to speak to a manager.", "Please escalate this.", "I'll go elsewhere."]
        ),
    ]
    return _join(parts), emotion


def rude_reply(rng: random.Random) -> str:
    return rng.choice(_RUDE_REPLY)


_REVIEW_GOOD = [
    "Beautiful {item}, even nicer than the photos.",
    "The {item} is fantastic quality and arrived quickly.",
    "Best coffee I've had outside a cafe.",
    "Lovely packaging, it felt like opening a present.",
    "Ordered the {item} on a whim and now use it every day.",
    "Great little shop, fast shipping and everything well packed.",
    "The {item} was a hit as a gift.",
]
_REVIEW_MIXED = [
    "The {item} is nice but smaller than I expected.",
    "Good products, though delivery took over a week.",
    "Coffee is great, the website is a bit clunky at checkout.",
    "Decent quality but pricey for what it is.",
]
_REVIEW_BAD = {
    "late_delivery": ["Took three weeks to arrive.", "Still waiting on my order after a month."],
    "damaged": ["Arrived broken and packed terribly.", "The {item} came cracked."],
    "billing": ["They charged me twice and took ages to fix it.", "Billing nightmare."],
    "wrong_item": ["Sent me the wrong item, twice.", "Wrong product and a slow fix."],
    "refund_delay": ["Waited over a month for a refund.", "Refund took forever."],
    "out_of_stock": [
        "Took my money for something they didn't have.",
        "Sold me an out of stock item.",
    ],
    "checkout_bug": ["Website checkout is broken.", "Could not pay on their site."],
    "peak_shipping": ["Christmas gift arrived in January.", "Holiday order came far too late."],
    "rude": ["Customer service was rude and unhelpful.", "Got a very dismissive reply."],
}
_REVIEW_END_GOOD = ["Highly recommend!", "Will order again.", "Five stars.", "", "Love it."]
_REVIEW_END_BAD = ["Avoid.", "Won't be ordering again.", "Very disappointed.", "", "Not happy."]


def review_text(
    rng: random.Random, stars: int, problem: str | None, staff: Staff | None, values: dict
) -> str:
    """A Trustpilot-style review whose tone matches its star rating."""
    if stars >= 4:
        parts = [_fill(rng.choice(_REVIEW_GOOD), values), _fill(rng.choice(_REVIEW_GOOD), values)]
        if staff is not None:
            parts.append(_fill(rng.choice(PRAISE), {"staff": rng.choice(staff.aliases)}))
        parts.append(rng.choice(_REVIEW_END_GOOD))
    elif stars == 3:
        parts = [_fill(rng.choice(_REVIEW_MIXED), values), rng.choice(["Okay overall.", ""])]
    else:
        key = problem if problem in _REVIEW_BAD else rng.choice(list(_REVIEW_BAD))
        parts = [
            _fill(rng.choice(_REVIEW_BAD[key]), values),
            rng.choice(FEELINGS[rng.choice(["anger", "frustration", "disappointment"])]),
            rng.choice(_REVIEW_END_BAD),
        ]
    return _join(parts)


def review_title(rng: random.Random, stars: int) -> str:
    if stars >= 4:
        return rng.choice(["Lovely shop", "Great coffee", "Beautiful things", "Fast and friendly"])
    if stars == 3:
        return rng.choice(["Mixed feelings", "Okay", "Good, not great"])
    return rng.choice(["Disappointed", "Terrible service", "Avoid", "Never again"])


_NPS_GOOD = [
    "Love the coffee and the people.",
    "Always quick and friendly.",
    "The Coffee Club is the best thing I've subscribed to.",
    "Great quality, great service.",
    "{staff} helped me choose a grinder - perfect advice.",
    "Everything arrives beautifully packed.",
    "Nothing in our kitchen beats the {item}.",
    "Small shop that actually cares.",
    "Fresh beans every time.",
]
_NPS_MID = [
    "Good but shipping could be faster.",
    "Prices went up a bit.",
    "Thought the {item} was fine, nothing special.",
    "Would like more decaf options.",
    "Website is a bit slow on my phone.",
    "Delivery took longer than promised.",
]
_NPS_BAD = [
    "Too many problems with deliveries.",
    "Customer service never got back to me.",
    "Broken items twice now.",
    "Overcharged and no apology.",
    "My {item} arrived damaged and the replacement took weeks.",
    "Nobody answered my e-mails.",
    "Checkout kept failing.",
]
_SURVEY_EXTRA_GOOD = ["", "", "Keep it up!", "Already told my friends.", "Thank you!", "10/10."]
_SURVEY_EXTRA_BAD = ["", "", "Please fix this.", "Sort it out.", "Disappointing.", "Not again."]


def nps_comment(rng: random.Random, score: int, staff: Staff, item: str = "mug") -> str:
    if rng.random() < 0.3:
        return ""
    values = {"staff": rng.choice(staff.aliases), "item": item}
    if score >= 9:
        pool, extra = _NPS_GOOD, _SURVEY_EXTRA_GOOD
    elif score >= 7:
        pool, extra = _NPS_MID, ["", "", "Otherwise happy.", "Still a fan."]
    else:
        pool, extra = _NPS_BAD, _SURVEY_EXTRA_BAD
    first = rng.choice(pool)
    second = rng.choice(pool) if rng.random() < 0.4 else ""
    if second == first:
        second = ""
    return _join([_fill(first, values), _fill(second, values), rng.choice(extra)])


_CSAT_BAD = [
    "Took too long.",
    "Problem not solved.",
    "Felt brushed off.",
    "Had to explain everything twice.",
    "The reply was rude.",
    "Still waiting for my refund.",
]


def csat_comment(rng: random.Random, score: int, staff: Staff, item: str = "mug") -> str:
    if rng.random() < 0.3:
        return ""
    if score >= 4:
        parts = [
            rng.choice(["", "", "Great help.", "Quick and friendly.", "Lovely service."]),
            _fill(rng.choice(PRAISE), {"staff": rng.choice(staff.aliases)}),
            rng.choice(_SURVEY_EXTRA_GOOD),
        ]
    else:
        parts = [rng.choice(_CSAT_BAD), rng.choice(_CSAT_BAD), rng.choice(_SURVEY_EXTRA_BAD)]
        if parts[0] == parts[1]:
            parts[1] = ""
    return _join(parts)


_SOCIAL_GOOD = [
    "Obsessed with my new {item}",
    "Morning ritual sorted",
    "Best coffee beans, not even close",
    "This {item} is so pretty!!",
    "Just got my Coffee Club box, smells amazing",
    "Gift box was a huge hit at the office",
    "The {item} finally arrived and it's perfect",
    "Can't stop lighting the fig & cedar candle",
    "Sunday pancakes in the {item}",
]
_SOCIAL_BAD = [
    "@hearthandbean still waiting for my order, any update??",
    "Ordered 2 weeks ago and nothing. Not cool",
    "My {item} arrived smashed",
    "Why is checkout broken again?",
    "Charged twice and no reply to my email",
    "Third time my parcel is late",
]
_SOCIAL_Q = [
    "Do you ship to Canada?",
    "When is the Winter Spice blend back?",
    "Is the {item} available in other colours?",
    "Any discount codes for Black Friday?",
    "Does the {item} come in a bigger size?",
]
_EMOJI_GOOD = ["", "", " ☕", " 😍", " ❤️", " 🙌", " ✨", "!!", " 🐶"]
_EMOJI_BAD = ["", " 😡", " 🙄", " 😤", "..."]
_SOCIAL_TAIL = ["", "", " #coffeetime", " #slowmornings", " #kitchengoals", " @hearthandbean"]


def social_comment(rng: random.Random, mood: float, values: dict[str, str]) -> str:
    roll = rng.random()
    if mood < -0.2 and roll < 0.7:
        return _fill(rng.choice(_SOCIAL_BAD), values) + rng.choice(_EMOJI_BAD)
    if roll < 0.25:
        return _fill(rng.choice(_SOCIAL_Q), values)
    text = _fill(rng.choice(_SOCIAL_GOOD), values) + rng.choice(_EMOJI_GOOD)
    return text + rng.choice(_SOCIAL_TAIL)


_CALL = [
    "Customer called about {topic_label}. {outcome}",
    "Inbound call: {topic_label}. {outcome}",
    "Spoke with {first} about {topic_label}. {outcome}",
]
_CALL_OUTCOME = [
    "Resolved on the call.",
    "Sent a replacement.",
    "Issued a refund.",
    "Promised a callback tomorrow.",
    "Customer was happy with the fix.",
    "Customer still upset; escalated to Dana.",
]
TOPIC_LABELS = {
    "late_delivery": "a late delivery",
    "damaged": "a damaged item",
    "billing": "a billing error",
    "wrong_item": "a wrong item",
    "refund_delay": "a delayed refund",
    "out_of_stock": "an out of stock item",
    "checkout_bug": "a checkout error",
    "peak_shipping": "holiday shipping",
    "product_question": "a product question",
    "address_change": "an address change",
    "gift_wrap": "gift wrapping",
    "subscription_question": "their subscription",
}


def call_summary(rng: random.Random, topic: str, values: dict[str, str]) -> str:
    return _fill(
        rng.choice(_CALL),
        {**values, "topic_label": TOPIC_LABELS[topic], "outcome": rng.choice(_CALL_OUTCOME)},
    )


_NOTES = [
    "Regular customer, always orders the {item}. Sent a handwritten thank-you card.",
    "Asked about the {item} in {colour}; will e-mail when it's back in stock.",
    "Birthday on {birthday} - add a treat to any order around then.",
    "Called {first} back about the {item}; happy now.",
    "Has a dog called {pet}; sent a chew toy sample with the last order.",
    "VIP: added a free sample of the seasonal blend to the next order.",
    "Prefers phone calls to email.",
    "Asked us not to send marketing e-mails.",
    "Has had two delivery problems; handle with care.",
    "Mentioned they run a small cafe - potential wholesale lead.",
    "Offered a 15% win-back code after a long gap.",
]


def staff_note(rng: random.Random, values: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A staff member's note on a customer; returns (text, facts it records)."""
    template = rng.choice(_NOTES)
    facts = {
        "Prefers phone calls to email.": {"preferred_channel": "phone"},
        "Birthday on {birthday} - add a treat to any order around then.": {
            "birthday": values["birthday"]
        },
        "Has a dog called {pet}; sent a chew toy sample with the last order.": {
            "pet_name": values["pet"]
        },
    }.get(template, {})
    when = rng.choice(["", "", " (follow up next month)", " - see last ticket", ""])
    return _fill(template, values) + when, facts


def short_name(product: Product) -> str:
    """How a customer would say it: "House Blend coffee beans 1 kg" -> "house blend coffee beans".

    >>> short_name(CATALOGUE[16])
    'stoneware mug'
    """
    name = product.name.split(",")[0].split(" (")[0]
    words = [w for w in name.split() if not (w[0].isdigit() or w in ("kg", "g", "l", "cm"))]
    keep_case = {"House", "Blend", "Ethiopia", "Yirgacheffe", "Colombia", "Huila", "Swiss", "Water"}
    keep_case |= {"Espresso", "Roast", "Winter", "Spice", "Earl", "Grey", "Cold", "Brew"}
    return " ".join(w if w in keep_case else w.lower() for w in words)


def _join(parts: list[str]) -> str:
    text = " ".join(part for part in parts if part)
    return text.replace("  ", " ").strip()
