"""A CSV file with classic Mac line ends (CR alone, as Excel for Mac's "CSV (Macintosh)"
writes) imports like any other, with the right line numbers in its rejects report."""

from __future__ import annotations

import csv

import pytest

from devotion.ingest.importer import Importer
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_a_file_with_cr_line_ends_imports_its_rows(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(
        b"external_id,occurred_at,email,amount,currency\r"
        b"o-1,2025-05-01,ada@example.com,10,USD\r"
        b"o-2,2025-05-01,not-an-email,10,USD\r"
        b'o-3,2025-05-01,bob@example.com,"1\r2",USD\r'
    )
    result = Importer("orders").run(path)
    assert (result.accepted, result.rejected) == (1, 2)
    assert set(Touchpoint.objects.values_list("external_id", flat=True)) == {"o-1"}
    with result.rejects_path.open(encoding="utf-8", newline="") as file:
        assert [row["line"] for row in csv.DictReader(file)] == ["3", "4"]


def test_a_cr_inside_a_quoted_cell_of_a_file_with_lf_line_ends_stays_in_its_cell(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(
        b"external_id,occurred_at,email,name,amount,currency\n"
        b'o-1,2025-05-01,ada@example.com,"Ada\rLovelace",10,USD\n'
    )
    result = Importer("orders").run(path)
    assert (result.accepted, result.rejected) == (1, 0), result.preview


def test_an_lf_inside_a_quoted_cell_of_a_file_with_cr_line_ends_stays_in_its_cell(tmp_path):
    # Found by the importer property tests: the LF was taken for a line end, so the cell's
    # row was read as two (an extra reject) and every later line number was one too high.
    path = tmp_path / "orders.csv"
    path.write_bytes(
        b"external_id,occurred_at,email,name,amount,currency\r"
        b'o-1,2025-05-01,ada@example.com,"Ada\nLovelace",10,USD\r'
        b"o-2,2025-05-01,not-an-email,Bob,10,USD\r"
    )
    result = Importer("orders").run(path)
    assert (result.accepted, result.rejected) == (1, 1), result.preview
    assert Touchpoint.objects.get().person.display_name == "Ada\nLovelace"
    with result.rejects_path.open(encoding="utf-8", newline="") as file:
        assert [row["line"] for row in csv.DictReader(file)] == ["3"]
