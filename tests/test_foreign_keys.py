"""A touchpoint or identity always names a person who exists, and a staff member a touchpoint
names cannot vanish under it: on SQLite by foreign key constraints, on PostgreSQL by the
statement-level checks of migration touchpoints 0008, which must hold the same promise,
including against a concurrent erase."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from devotion.people.models import Identity, Person
from devotion.team.models import StaffMember
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db(transaction=True)

MISSING = 987_654_321


def _touchpoint(person_id: int, external_id: str = "o-1", staff_id: int | None = None) -> None:
    Touchpoint.objects.create(
        person_id=person_id,
        staff_id=staff_id,
        kind="order",
        source="shop",
        external_id=external_id,
        occurred_at=timezone.now(),
    )


def _delete(table: str, pk: int) -> None:
    """Delete one row by hand, as a careless script would: no cascade from Django."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


def test_a_touchpoint_cannot_name_a_person_who_does_not_exist():
    with pytest.raises(IntegrityError), transaction.atomic():
        _touchpoint(MISSING)
    assert not Touchpoint.objects.exists()


def test_an_identity_cannot_name_a_person_who_does_not_exist():
    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(person_id=MISSING, kind="email", value="ghost@example.com")
    assert not Identity.objects.exists()


def test_a_touchpoint_cannot_name_a_staff_member_who_does_not_exist():
    person = Person.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        _touchpoint(person.pk, staff_id=MISSING)
    assert not Touchpoint.objects.exists()


def test_moving_a_touchpoint_to_a_person_who_does_not_exist_fails():
    person = Person.objects.create()
    _touchpoint(person.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Touchpoint.objects.update(person_id=MISSING)
    assert Touchpoint.objects.get().person_id == person.pk


@pytest.mark.parametrize(
    ("table", "make_child"),
    [
        ("people_person", lambda person, staff: _touchpoint(person.pk)),
        (
            "people_person",
            lambda person, staff: Identity.objects.create(
                person=person, kind="email", value="ada@example.com"
            ),
        ),
        ("team_staffmember", lambda person, staff: _touchpoint(person.pk, staff_id=staff.pk)),
    ],
    ids=["person of a touchpoint", "person of an identity", "staff member of a touchpoint"],
)
def test_a_row_still_named_cannot_be_deleted(table, make_child):
    person = Person.objects.create()
    staff = StaffMember.objects.create(display_name="Sam Lee")
    make_child(person, staff)
    pk = person.pk if table == "people_person" else staff.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        _delete(table, pk)
    assert Person.objects.filter(pk=person.pk).exists()
    assert StaffMember.objects.filter(pk=staff.pk).exists()


def test_rows_no_longer_named_can_be_deleted():
    person = Person.objects.create()
    staff = StaffMember.objects.create(display_name="Sam Lee")
    _touchpoint(person.pk, staff_id=staff.pk)
    Touchpoint.objects.all().delete()
    _delete("people_person", person.pk)
    _delete("team_staffmember", staff.pk)
    assert not Person.objects.exists() and not StaffMember.objects.exists()


# --- PostgreSQL: the checks themselves, and two transactions racing -----------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's own checks"
)


@postgres_only
def test_postgres_checks_by_statement_not_by_row():
    """Migration touchpoints 0008 replaced these constraints; a later migration that puts one
    back would bring the per-row cost back (docs/benchmarks.md, 11th set)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, a.attname FROM pg_constraint AS c "
            "JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND conrelid::regclass::text IN "
            "('touchpoints_touchpoint', 'people_identity')"
        )
        constraints = set(cursor.fetchall())
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        triggers = {name for (name,) in cursor.fetchall()}
    assert constraints.isdisjoint(
        {
            ("touchpoints_touchpoint", "person_id"),
            ("touchpoints_touchpoint", "staff_id"),
            ("people_identity", "person_id"),
        }
    )
    for name in ("touchpoints_touchpoint_person_id", "people_identity_person_id"):
        assert {f"{name}_ins", f"{name}_upd", f"{name}_del"} <= triggers


@pytest.fixture
def other() -> Iterator[Any]:
    """A second connection to the test database: another transaction."""
    import psycopg

    settings = connection.settings_dict
    conn = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
    )
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _blocked(work: Callable[[], None]) -> tuple[threading.Thread, dict[str, BaseException]]:
    """Start ``work`` in a thread that is expected to wait for a lock; its error lands in the
    returned dict."""
    errors: dict[str, BaseException] = {}

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported to the test
            errors["error"] = exc
        finally:
            connection.close()  # the thread's own Django connection

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "expected to wait for the other transaction's lock"
    return thread, errors


def _erase(pk: int) -> Callable[[], None]:
    def erase() -> None:
        with transaction.atomic():
            Touchpoint.objects.filter(person_id=pk).delete()
            Person.objects.filter(pk=pk).delete()

    return erase


@postgres_only
@pytest.mark.parametrize("updated_first", [False, True], ids=["inserted", "updated, then inserted"])
def test_an_erase_waiting_for_an_import_fails_once_the_import_commits(other, updated_first):
    """The import names the person first (and, as the import's fast lane does, may update
    them first); the erase waits, then finds the import's order and fails rather than leave
    it behind without its person."""
    pk = Person.objects.create().pk
    if updated_first:
        other.execute("UPDATE people_person SET order_count = 1 WHERE id = %s", [pk])
    other.execute(
        "INSERT INTO touchpoints_touchpoint (person_id, kind, channel, direction, occurred_at, "
        "source, external_id, thread, subject, text, currency, extra, created_at) "
        "VALUES (%s, 'order', '', '', now(), 'shop', 'o-9', '', '', '', '', '{}', now())",
        [pk],
    )
    thread, errors = _blocked(_erase(pk))
    other.commit()
    thread.join(10)
    assert isinstance(errors.get("error"), IntegrityError)
    assert Person.objects.filter(pk=pk).exists()
    assert Touchpoint.objects.filter(person_id=pk).count() == 1


@postgres_only
def test_an_import_waiting_for_an_erase_fails_once_the_erase_commits(other):
    pk = Person.objects.create().pk
    other.execute("DELETE FROM people_person WHERE id = %s", [pk])
    thread, errors = _blocked(lambda: transaction.atomic()(_touchpoint)(pk))
    other.commit()
    thread.join(10)
    assert isinstance(errors.get("error"), IntegrityError)
    assert not Touchpoint.objects.exists()
