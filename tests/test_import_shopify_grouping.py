"""Shopify writes one row per line item: consecutive rows with the same Name are one order."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from devotion.ingest.importer import Importer
from devotion.people.models import Person
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

COLUMNS = [
    "Name", "Email", "Financial Status", "Currency", "Total", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku", "Id",
]  # fmt: skip


def _write(path, rows):
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def test_rows_of_one_order_become_one_order_with_several_lines(tmp_path):
    path = tmp_path / "orders_export.csv"
    when = "2025-04-01 10:00:00 -0400"
    _write(
        path,
        [
            ["#1001", "ada@x.co", "paid", "USD", "50.00", when, "2", "Mug", "10.00", "MUG", "11"],
            ["#1001", "ada@x.co", "", "", "", when, "1", "Tea", "30.00", "TEA", ""],
            ["#1002", "lee@x.co", "paid", "USD", "8.00", when, "1", "Tea", "8.00", "TEA", "12"],
            ["#1001", "ada@x.co", "paid", "USD", "9.00", when, "1", "Mug", "9.00", "MUG", "11"],
        ],
    )  # fmt: skip
    result = Importer("orders", "shopify").run(path)
    # The last row repeats #1001 after another order: not consecutive, so a duplicate.
    assert (result.accepted, result.duplicate, result.rejected) == (2, 1, 0)
    order = Touchpoint.objects.get(external_id="11")
    assert order.amount == Decimal("50.00")
    assert order.occurred_at.isoformat() == "2025-04-01T14:00:00+00:00"
    assert sorted(order.lines.values_list("product_id", "quantity")) == [("MUG", 2), ("TEA", 1)]
    assert Person.objects.get(primary_email="ada@x.co").order_count == 1


def test_a_rejected_order_reports_all_its_rows(tmp_path):
    path = tmp_path / "orders_export.csv"
    when = "2025-04-01 10:00:00 -0400"
    _write(
        path,
        [
            ["#1003", "no-email", "paid", "USD", "50.00", when, "2", "Mug", "10.00", "MUG", "13"],
            ["#1003", "no-email", "", "", "", when, "1", "Tea", "30.00", "TEA", ""],
        ],
    )  # fmt: skip
    result = Importer("orders", "shopify").run(path)
    assert result.rejected == 1
    assert result.preview == [{"line": 2, "reason": "Email 'no-email' is not an e-mail address"}]
    report = result.rejects_path.read_text().splitlines()
    assert [line.split(",")[0] for line in report] == ["line", "2", "3"]


def test_an_order_without_an_id_column_is_known_by_its_name(tmp_path):
    path = tmp_path / "orders_export.csv"
    path.write_text("Name,Email,Created at,Total\n#77,ada@example.com,2025-04-01 10:00,5\n")
    Importer("orders", "shopify").run(path)
    assert Touchpoint.objects.get().external_id == "#77"


def test_reasons_name_the_exports_own_columns(tmp_path):
    # The file holds Shopify's columns, not Devotion's fields: the report speaks of those.
    path = tmp_path / "orders_export.csv"
    when = "2025-04-01 10:00:00 -0400"
    _write(
        path,
        [
            ["#1004", "ann@x.co", "paid", "USD", "ten", when, "1", "Mug", "10.00", "MUG", "14"],
            ["#1005", "bo@x.co", "paid", "USD", "20.00", when, "1", "Mug", "10.00", "MUG", "15"],
            ["#1005", "bo@x.co", "", "", "", when, "0", "Tea", "10.00", "TEA", ""],
            ["#1006", "", "paid", "USD", "5.00", when, "1", "Tea", "5.00", "TEA", "16"],
        ],
    )  # fmt: skip
    result = Importer("orders", "shopify").run(path)
    assert [(item["line"], item["reason"]) for item in result.preview] == [
        (2, "Total 'ten' is not a number"),
        (3, "Lineitem quantity (the order's line 2) must be between 1 and 1000000"),
        (5, "no identity: Email and Phone / Billing Phone / Shipping Phone are empty"),
    ]
