"""The bulk write path of ingest: batches, repeats, aggregates, ids and concurrent writers."""

from __future__ import annotations

import itertools
import random
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Count, Max, Min, Q, Sum

from devotion.ingest.bulk import new_id_pairs, new_ids
from devotion.ingest.store import ingest
from devotion.people.models import Identity, Person, PersonalFact
from devotion.team.models import StaffMember
from devotion.touchpoints.models import OrderLine, Touchpoint

pytestmark = pytest.mark.django_db


def _order(n: int, email: str, when: str = "2025-06-01T12:00:00Z", **extra):
    event = {
        "kind": "order",
        "source": "shop",
        "external_id": f"o-{n}",
        "occurred_at": when,
        "person": {"email": email},
        "amount": "10.00",
    }
    event.update(extra)
    return event


def test_a_repeat_inside_one_batch_is_stored_once_and_counted_once():
    outcomes = ingest([_order(1, "ada@example.com"), _order(1, "ada@example.com")])
    assert [o.status for o in outcomes] == ["created", "duplicate"]
    assert outcomes[0].person_id == outcomes[1].person_id
    assert Touchpoint.objects.count() == 1
    person = Person.objects.get()
    assert (person.order_count, person.total_spent) == (1, Decimal("10.00"))


def test_a_person_spanning_batches_is_one_person_with_aggregates_over_both():
    ingest([_order(1, "ada@example.com", "2025-06-10T09:00:00Z")])
    [late] = ingest([_order(2, "ADA@example.com", "2025-06-01T08:00:00Z", amount="5.50")])
    person = Person.objects.get()
    assert late.person_id == person.pk
    assert person.order_count == 2
    assert person.total_spent == Decimal("15.50")
    assert person.first_seen_at == datetime(2025, 6, 1, 8, tzinfo=UTC)
    assert person.last_activity_at == datetime(2025, 6, 10, 9, tzinfo=UTC)
    assert person.stage == "active"


def test_aggregates_match_the_touchpoints_after_many_batches():
    rng = random.Random(3)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    events = []
    for n in range(1200):
        customer = int(rng.paretovariate(1.0)) % 150
        person = {"email": f"c{customer}@example.com"}
        if customer % 4 == 0:
            person["phone"] = f"+1 415 555 {customer:04d}"
        when = start + timedelta(hours=rng.randrange(10_000))
        lines = [{"product_id": "MUG", "quantity": 2, "unit_price": "3.25"}]
        events.append(_order(n, "", when.isoformat(), person=person, amount=None, lines=lines))
    events += events[:100]  # a re-sent slice: all duplicates
    for begin in range(0, len(events), 250):
        ingest(events[begin : begin + 250])

    assert Touchpoint.objects.count() == 1200
    assert OrderLine.objects.count() == 1200
    truth = {
        row["person_id"]: row
        for row in Touchpoint.objects.values("person_id").annotate(
            orders=Count("id", filter=Q(kind="order")),
            spent=Sum("amount"),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
        )
    }
    people = list(Person.objects.all())
    assert len(people) == len(truth) == Identity.objects.filter(kind="email").count()
    for person in people:
        row = truth[person.pk]
        assert person.order_count == row["orders"]
        assert person.total_spent == row["spent"] == Decimal("6.50") * row["orders"]
        assert person.first_seen_at == row["first"]
        assert person.last_activity_at == row["last"]
        assert person.stage == ("new" if row["orders"] == 1 else "active")


def test_stored_rows_read_back_through_the_orm_with_their_defaults():
    ingest([_order(1, "ada@example.com", "2025-06-01T12:30:00+02:00", text=" Hi ")])
    tp = Touchpoint.objects.get()
    assert tp.occurred_at == datetime(2025, 6, 1, 10, 30, tzinfo=UTC)
    assert tp.extra == {}
    assert tp.text == "Hi"
    assert tp.created_at is not None
    person = Person.objects.get()
    assert person.created_at is not None and person.updated_at is not None
    assert person.health_score is None
    assert person.consent_profiling is None  # unknown until recorded
    # Range filters and ordering on the stored text must agree with the ORM's own format.
    after = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert Touchpoint.objects.filter(occurred_at__gte=after).count() == 1
    assert Person.objects.filter(last_activity_at__gt=after).count() == 1


def test_new_people_never_reuse_the_id_of_an_erased_person():
    [first] = ingest([_order(1, "ada@example.com")])
    Person.objects.filter(pk=first.person_id).delete()
    [second] = ingest([_order(2, "grace@example.com")])
    assert second.person_id > first.person_id


def test_fresh_ids_come_ascending_and_new_whether_or_not_they_are_consecutive():
    """The server hands out a run of ids unless another writer takes some at the same moment;
    then the ids are gaps apart, which a sequence stepping by 3 stands in for here. (SQLite
    holds the write lock instead: it reserves nothing.)"""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's sequences")
    first, _ = new_id_pairs(2, 2)
    people, touchpoints = new_id_pairs(3, 4)
    assert list(people) == sorted(people) and len(set(people)) == 3 and min(people) > max(first)
    assert list(touchpoints) == sorted(touchpoints) and len(touchpoints) == 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('people_person', 'id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 3")
    apart, _ = new_id_pairs(3, 1)
    alone = new_ids(Person, 2)
    assert [b - a for a, b in itertools.pairwise([*apart, *alone])] == [3, 3, 3, 3]


def test_a_repeated_fact_in_one_batch_is_stored_once():
    customer = {
        "kind": "customer",
        "source": "shop",
        "person": {"email": "ada@example.com"},
        "facts": {"pet_name": "Byron"},
    }
    outcomes = ingest([customer, dict(customer)])
    assert [o.status for o in outcomes] == ["created", "created"]
    assert PersonalFact.objects.count() == 1


def test_staff_named_on_touchpoints_are_found_again_after_one_is_deleted():
    ingest([_order(1, "ada@example.com", kind="message", staff="Sam Lee")])
    sam = StaffMember.objects.get(display_name="Sam Lee")
    sam.delete()
    ingest([_order(2, "ada@example.com", kind="message", staff="Sam Lee")])
    again = StaffMember.objects.get(display_name="Sam Lee")
    assert Touchpoint.objects.get(external_id="o-2").staff == again


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_sharing_a_new_identity_make_one_person():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with its write lock; the race needs PostgreSQL")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            batch = [
                _order(
                    worker * 100 + n,
                    f"shared{n}@example.com",
                    person={"email": f"shared{n}@example.com", "phone": f"+1 415 555 {n:04d}"},
                )
                for n in range(20)
            ]
            barrier.wait()
            ingest(batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Touchpoint.objects.count() == 80
    assert Person.objects.count() == 20
    assert set(Person.objects.values_list("order_count", flat=True)) == {4}


def test_a_batch_with_thousands_of_new_keys_is_stored_in_one_go():
    # 6,000 events x 3 keys (e-mail, customer id, touchpoint): locking each key on its own
    # overflowed PostgreSQL's shared lock table ("out of shared memory") in a file import.
    batch = [
        _order(n, f"c{n}@example.com", person={"email": f"c{n}@example.com", "external_id": n})
        for n in range(6_000)
    ]
    outcomes = ingest(batch)
    assert {o.status for o in outcomes} == {"created"}
    assert Person.objects.count() == 6_000
    assert Identity.objects.count() == 12_000


def test_text_with_tabs_newlines_backslashes_and_unicode_is_stored_exactly():
    text = "Line one\tcol\nLine two \\N \\ back\\slash “quoted” émoji 🎉"
    ingest(
        [
            _order(
                1,
                "ada@example.com",
                kind="message",
                text=text,
                subject="a\tb",
                extra={"note": "x\ny"},
            )
        ]
    )
    tp = Touchpoint.objects.get()
    assert (tp.text, tp.subject, tp.extra) == (text, "a\tb", {"note": "x\ny"})


def test_the_cycle_collector_is_left_as_it_was_found():
    import gc

    assert gc.isenabled()
    ingest([_order(1, "ada@example.com")])
    assert gc.isenabled()
    gc.disable()
    try:
        ingest([_order(2, "ada@example.com")])
        assert not gc.isenabled()
    finally:
        gc.enable()
