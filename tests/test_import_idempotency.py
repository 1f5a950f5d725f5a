"""Importing the same file twice adds nothing: the second run counts duplicates."""

from __future__ import annotations

import pytest

from devotion.ingest.importer import Importer
from devotion.ingest.models import ImportRun
from devotion.people.models import Person
from devotion.touchpoints.models import OrderLine, Touchpoint

pytestmark = pytest.mark.django_db

ORDERS = (
    "external_id,occurred_at,email,name,amount,currency,product_id,quantity,unit_price\n"
    "o-1,2025-05-01T10:00:00Z,ada@example.com,Ada Lovelace,10.00,USD,SKU-1,1,10.00\n"
    "o-2,2025-05-02T10:00:00Z,ada@example.com,Ada Lovelace,12.00,USD,SKU-2,2,6.00\n"
    "o-3,2025-05-03T10:00:00Z,lee@example.com,Lee Wong,8.00,USD,SKU-1,1,8.00\n"
)


def test_the_same_file_twice_adds_nothing(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    first = Importer("orders").run(path)
    second = Importer("orders").run(path)
    assert (first.accepted, first.duplicate, first.rejected) == (3, 0, 0)
    assert (second.accepted, second.duplicate, second.rejected) == (0, 3, 0)
    assert second.summary() == "orders.csv: 0 accepted, 3 duplicate, 0 rejected"
    assert Touchpoint.objects.count() == 3
    assert OrderLine.objects.count() == 3
    ada = Person.objects.get(primary_email="ada@example.com")
    assert ada.order_count == 2  # aggregates were not counted twice


def test_each_run_is_recorded_with_its_counts(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    Importer("orders").run(path)
    Importer("orders").run(path)
    second, first = ImportRun.objects.all()
    assert (first.status, first.rows_total, first.rows_accepted) == ("done", 3, 3)
    assert (second.rows_total, second.rows_duplicate) == (3, 3)
    assert second.bytes_read == second.bytes_total == path.stat().st_size
    assert second.finished_at is not None


def test_a_customers_file_twice_adds_nothing(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("email,name,fact_pet\nada@example.com,Ada,Babbage\nlee@example.com,Lee,\n")
    assert Importer("customers").run(path).accepted == 2
    again = Importer("customers").run(path)
    assert (again.accepted, again.duplicate) == (0, 2)
    assert Person.objects.count() == 2


def test_rows_repeated_inside_one_file_are_duplicates(tmp_path):
    path = tmp_path / "orders.csv"
    lines = ORDERS.splitlines()
    path.write_text("\n".join([*lines, lines[1].replace("o-1", "o-9"), lines[3]]) + "\n")
    result = Importer("orders", batch_size=2).run(path)
    assert (result.accepted, result.duplicate) == (4, 1)
