"""A quote opened and never closed is reported where it opened; the rows after it import."""

from __future__ import annotations

import csv

import pytest

from devotion.ingest.importer import Importer
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def _file(tmp_path):
    lines = ["external_id,occurred_at,email,name,amount,currency"]
    for n in range(1, 10):
        name = '"Stray quote' if n == 2 else f"Person {n}"
        lines.append(f"o-{n},2025-05-01,p{n}@example.com,{name},{n}.00,USD")
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path  # the stray quote is on line 3; lines 4-10 are fine


def test_the_reject_says_where_the_quote_opened_and_the_rows_after_it_are_imported(tmp_path):
    result = Importer("orders").run(_file(tmp_path))
    assert (result.accepted, result.rejected) == (8, 1)
    assert result.preview == [
        {
            "line": 3,
            "reason": "a quote opened on this line in column name is never closed; "
            'close it, or double a quote inside the cell ("")',
        }
    ]
    stored = set(Touchpoint.objects.values_list("external_id", flat=True))
    assert stored == {f"o-{n}" for n in range(1, 10)} - {"o-2"}


def test_the_rejects_report_holds_only_the_line_with_the_quote(tmp_path):
    result = Importer("orders").run(_file(tmp_path))
    with result.rejects_path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert len(rows) == 2
    assert rows[1][0] == "3"
    assert rows[1][2:4] == ["o-2", "2025-05-01"]


def test_a_quoted_cell_spanning_lines_still_imports_as_one_cell(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(
        "external_id,occurred_at,email,text\n"
        't-1,2025-05-01,a@example.com,"first line\nsecond line"\n'
        "t-2,2025-05-01,b@example.com,plain\n",
        encoding="utf-8",
    )
    result = Importer("tickets").run(path)
    assert (result.accepted, result.rejected) == (2, 0)
