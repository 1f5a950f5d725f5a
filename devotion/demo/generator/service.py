"""What customers say and how the shop answers: tickets, surveys, reviews, social comments,
calls and staff notes, their tone following each customer's experience."""

from __future__ import annotations

import random
from typing import Any

from devotion.demo import texts
from devotion.demo.generator.base import Base
from devotion.demo.generator.shape import Customer, ascii_key
from devotion.demo.texts import CATALOGUE, STAFF, SUPPORT_STAFF, Staff


class Service(Base):
    """The conversations side of the builder (each method adds one customer's records)."""

    def _zendesk_person(self, c: Customer, rng: random.Random, channel: str) -> dict[str, str]:
        email = c.email
        if rng.random() < 0.25:  # agents and customers type addresses any old way
            email = f" {c.email.title()} " if rng.random() < 0.5 else c.email.upper()
        person = {"email": email, "name": c.name, "external_id": f"zd-{self._id('zd', c.index)}"}
        if channel == "phone" and c.phone:
            person["phone"] = c.phone
        return person

    def _ticket(
        self,
        c: Customer,
        rng: random.Random,
        t: float,
        *,
        problem: bool,
        handled_well: bool = True,
        email: str = "",
    ) -> None:
        """A Zendesk ticket: the customer writes, a named staff member answers, and so on."""
        day = self._day(t)
        if problem:
            peak = day.month in (11, 12) and rng.random() < 0.5
            topic = "peak_shipping" if peak else rng.choice(texts.PROBLEMS[:-1])
            t += rng.uniform(1, 4) if topic in ("billing", "checkout_bug") else rng.uniform(3, 12)
        else:
            topic = rng.choice(texts.QUESTIONS)
        if t >= self.span - 0.1:
            return
        thread = f"ZD-{self._id('ticket', c.index, round(t * 24), digits=9)}"
        sent = [0]
        channel = rng.choices(("email", "chat", "phone"), weights=(60, 25, 15))[0]
        person = self._zendesk_person(c, rng, channel)
        if email:
            person = {"email": email, "name": c.name, "external_id": f"zd-{self._id('zd2', email)}"}
        values = self._values(c, rng)
        ordered = self._day(t - rng.uniform(4, 14))
        values["order_date"] = f"{ordered:%B} {ordered.day}"
        if not problem:
            emotion = rng.choice(["neutral", "neutral", "joy", "anxiety"])
        elif c.mood < -0.2 or not handled_well:
            emotion = rng.choice(["anger", "frustration", "frustration", "disappointment"])
        else:
            emotion = "anxiety" if topic == "peak_shipping" else rng.choice(list(texts.FEELINGS))
        aside = rng.randrange(len(texts.ASIDES)) if rng.random() < 0.3 else None
        text, facts = texts.inbound_message(rng, topic, emotion, values, aside)
        subject = rng.choice(texts.SUBJECTS[topic]).format(**values)
        staff = rng.choice(SUPPORT_STAFF)
        extra = {"topic": topic, "emotion": emotion}
        t = self._clock(rng, t)

        def message(kind_t: float, direction: str, body: str, **more: Any) -> bool:
            if kind_t >= self.span:
                return False  # not happened yet: the ticket is still open
            self.events.append(
                {
                    "kind": "message",
                    "source": "zendesk",
                    "external_id": f"{thread}-{sent[0]}",
                    "occurred_at": self._when(kind_t),
                    "person": person,
                    "channel": channel,
                    "direction": direction,
                    "thread": thread,
                    "subject": subject,
                    "text": body,
                    **more,
                }
            )
            sent[0] += 1
            return True

        message(t, "in", text, facts=facts, extra={**extra, "assignee": staff.name})
        delay = rng.uniform(0.002, 0.03) if channel == "chat" else rng.uniform(0.05, 1.6)
        t += delay
        reply = texts.staff_reply(rng, topic, staff, values)
        if not handled_well:
            reply = texts.rude_reply(rng)
        if not message(t, "out", reply, staff=staff.name):
            return
        happy = handled_well and rng.random() < 0.9
        if rng.random() < (0.55 if happy else 0.8):
            t += rng.uniform(0.02, 2)
            body, feeling = texts.follow_up(rng, happy, staff, values)
            if not message(t, "in", body, extra={"emotion": feeling}):
                return
            if not happy and rng.random() < 0.5:
                t += rng.uniform(0.1, 2)
                lead = STAFF[1]
                if not message(
                    t, "out", texts.staff_reply(rng, topic, lead, values), staff=lead.name
                ):
                    return
        if rng.random() < 0.4 and t + 1 < self.span:
            score = rng.choice((4, 5, 5)) if happy else rng.choice((1, 1, 2, 3))
            self._survey(c, rng, t + rng.uniform(0.5, 2), "csat", score, staff, thread)

    def _survey(
        self,
        c: Customer,
        rng: random.Random,
        t: float,
        survey: str,
        score: int,
        staff: Staff,
        thread: str = "",
    ) -> None:
        if t >= self.span:
            return
        writer = texts.nps_comment if survey == "nps" else texts.csat_comment
        comment = writer(rng, score, staff, texts.short_name(rng.choice(CATALOGUE)))
        self.events.append(
            {
                "kind": "survey_answer",
                "source": "surveys",
                "external_id": f"{survey}-{self._id(survey, c.index, round(t * 24))}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": {"email": c.email, "name": c.name},
                "channel": "email",
                "direction": "in",
                "thread": thread,
                "subject": "How likely are you to recommend us?"
                if survey == "nps"
                else "How did we do?",
                "text": comment,
                "rating": score,
                "extra": {"survey": survey},
            }
        )

    def _nps(self, c: Customer, rng: random.Random, t: float) -> None:
        score = round(8 + 3 * c.mood + rng.gauss(0, 1.2))
        self._survey(c, rng, t, "nps", max(0, min(10, score)), rng.choice(SUPPORT_STAFF))

    def _review(self, c: Customer, rng: random.Random, t: float) -> None:
        bad = c.mood < -0.2 or (c.archetype == "drifter" and rng.random() < 0.6)
        if bad:
            stars = rng.choice((1, 1, 2, 2, 3))
        else:
            stars = rng.choice((5, 5, 4)) if c.mood > 0.4 else rng.choice((5, 4, 4, 3))
        staff = rng.choice(SUPPORT_STAFF) if stars >= 4 and rng.random() < 0.3 else None
        problem = rng.choice((*texts.PROBLEMS, "rude"))
        values = self._values(c, rng)
        self.events.append(
            {
                "kind": "review",
                "source": "trustpilot",
                "external_id": f"tp-{self._id('review', c.index)}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": {"email": c.email, "name": c.name},
                "channel": "review_site",
                "direction": "in",
                "subject": texts.review_title(rng, stars),
                "text": texts.review_text(rng, stars, problem, staff, values),
                "rating": stars,
            }
        )

    def _social(self, c: Customer, rng: random.Random, t: float, *, with_email: bool) -> None:
        platform = rng.choice(("instagram", "instagram", "facebook", "twitter"))
        handle = ascii_key(c.first + c.name.split()[-1]).replace(" ", "").replace("'", "")
        person: dict[str, str] = {"external_id": f"{platform}:{handle}{c.index}"}
        if with_email:
            person.update(email=c.email, name=c.name)
        self.events.append(
            {
                "kind": "social_comment",
                "source": "social",
                "external_id": f"{platform}-{self._id('social', c.index, round(t * 24))}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": person,
                "channel": platform,
                "direction": "in",
                "text": texts.social_comment(rng, c.mood, self._values(c, rng)),
            }
        )

    def _call(self, c: Customer, rng: random.Random, t: float) -> None:
        """A phone call logged by the phone system: it knows only the caller's number."""
        staff = rng.choice(SUPPORT_STAFF)
        topic = rng.choice((*texts.PROBLEMS, *texts.QUESTIONS))
        self.events.append(
            {
                "kind": "call",
                "source": "phone",
                "external_id": f"call-{self._id('call', c.index, round(t * 24))}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": {"phone": c.phone.replace("(", "").replace(") ", "-")},
                "channel": "phone",
                "direction": "in",
                "text": texts.call_summary(rng, topic, self._values(c, rng)),
                "staff": staff.name,
                "extra": {"duration_seconds": rng.randint(45, 1500)},
            }
        )

    def _note(self, c: Customer, rng: random.Random, t: float) -> None:
        staff = rng.choice(STAFF[:6])
        text, facts = texts.staff_note(rng, self._values(c, rng))
        self.events.append(
            {
                "kind": "note",
                "source": "devotion",
                "external_id": f"note-{self._id('note', c.index)}",
                "occurred_at": self._when(self._clock(rng, t)),
                "person": {"email": c.email},
                "text": text,
                "staff": staff.name,
                "facts": facts,
            }
        )
