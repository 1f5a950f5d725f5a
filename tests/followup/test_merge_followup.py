"""A merge takes the loser's conversations (and their promises), notes and owner to the
winner; undoing it puts exactly those back with the person they came from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devotion.followup.models import Conversation, Note, PersonOwner, ReplyPromise
from devotion.people.merging import merge_people, undo_merge
from devotion.people.models import Person

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def _message(n: int, email: str) -> dict:
    return {
        "kind": "message",
        "source": "helpdesk",
        "external_id": f"m-{n}",
        "occurred_at": (NOW - timedelta(minutes=10 - n)).isoformat(),
        "person": {"email": email, "name": "Ada Lovelace"},
        "channel": "email",
        "direction": "in",
        "thread": f"T-{n}",
        "subject": f"Ticket {n}",
        "text": "Where is my parcel?",
    }


@pytest.fixture
def twins(ingest, agent, manager):
    """Ada twice, each with a waiting ticket and a note; the loser has an owner."""
    ingest([_message(1, "ada@example.com"), _message(2, "a.lovelace@work.example")])
    winner = Person.objects.get(primary_email="ada@example.com")
    loser = Person.objects.get(primary_email="a.lovelace@work.example")
    for person in (winner, loser):
        conversation = Conversation.objects.get(person=person)
        Note.objects.create(person=person, conversation=conversation, text="Asked twice")
        Note.objects.create(person=person, text="Prefers e-mail")
    PersonOwner.objects.create(person=loser, owner=agent.staff)
    return winner, loser


def test_a_merge_moves_the_losers_conversations_notes_and_owner(twins, agent):
    winner, loser = twins
    theirs = Conversation.objects.get(person=loser)
    merge = merge_people(winner, loser, reason="same person")
    assert set(Conversation.objects.values_list("person_id", flat=True)) == {winner.pk}
    promises = ReplyPromise.objects.filter(conversation=theirs)
    assert promises.exists()
    assert {p.conversation.person_id for p in promises} == {winner.pk}
    assert not Note.objects.filter(person=loser).exists()
    assert PersonOwner.objects.get(person=winner).owner == agent.staff
    assert not PersonOwner.objects.filter(person=loser).exists()
    assert merge.snapshot["followup"]["conversations"] == [theirs.pk]
    assert merge.snapshot["followup"]["owner_moved"] is True


def test_undo_puts_back_exactly_what_the_merge_moved(twins, agent, ingest):
    winner, loser = twins
    mine = Conversation.objects.get(person=winner)
    theirs = Conversation.objects.get(person=loser)
    their_notes = set(Note.objects.filter(person=loser).values_list("pk", flat=True))
    merge = merge_people(winner, loser, reason="same person")
    # After the merge, more arrives for the winner: it stays with the winner.
    ingest([_message(3, "a.lovelace@work.example")])
    later = Conversation.objects.get(key="T-3")
    later_note = Note.objects.create(person=winner, text="Called after the merge")

    undo_merge(merge)

    assert Conversation.objects.get(pk=theirs.pk).person_id == loser.pk
    assert Conversation.objects.get(pk=mine.pk).person_id == winner.pk
    assert Conversation.objects.get(pk=later.pk).person_id == winner.pk
    assert set(Note.objects.filter(person=loser).values_list("pk", flat=True)) == their_notes
    assert Note.objects.get(pk=later_note.pk).person_id == winner.pk
    assert PersonOwner.objects.get(person=loser).owner == agent.staff
    assert not PersonOwner.objects.filter(person=winner).exists()


def test_the_winners_own_owner_stays_and_the_losers_comes_back_untouched(twins, agent, manager):
    winner, loser = twins
    PersonOwner.objects.create(person=winner, owner=manager.staff)
    merge = merge_people(winner, loser, reason="same person")
    assert PersonOwner.objects.get(person=winner).owner == manager.staff
    assert merge.snapshot["followup"]["owner_moved"] is False
    undo_merge(merge)
    assert PersonOwner.objects.get(person=winner).owner == manager.staff
    assert PersonOwner.objects.get(person=loser).owner == agent.staff
