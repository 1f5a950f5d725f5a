"""The rejects report is safe to open in a spreadsheet, and a fixed report imports again."""

from __future__ import annotations

import csv

import pytest

from devotion.ingest.importer import Importer
from devotion.people.models import Person
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

HEADER = "external_id,occurred_at,email,name,amount,currency"


def _rows(path):
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def test_cells_a_spreadsheet_would_run_are_neutralised_in_the_rejects_report(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        HEADER + "\n"
        'o-1,2025-05-01,not-an-email,"=HYPERLINK(""http://evil.example"")",10,USD\n'
        "o-2,2025-05-01,@evil,+33 1 23,-5,USD\n",
        encoding="utf-8",
    )
    result = Importer("orders").run(path)
    assert result.rejected == 2
    rows = _rows(result.rejects_path)
    assert rows[1][5] == '\'=HYPERLINK("http://evil.example")'
    assert rows[2][4:] == ["'@evil", "'+33 1 23", "'-5", "USD"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_fixed_rejects_report_imports_cleanly_with_the_values_as_written(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        HEADER + "\n"
        "o-1,2025-05-01,ada@example.com,Ada,10,USD\n"
        "o-2,2025-05-01,-not-an-email,=Bob+1,12.50,USD\n"
        "o-3,2025-05-01,zed,Zed,1,USD\n",
        encoding="utf-8",
    )
    first = Importer("orders").run(path)
    assert (first.accepted, first.rejected) == (1, 2)
    report = first.rejects_path
    # The user fixes one row's e-mail and deletes the other row, then imports the report.
    rows = _rows(report)
    assert rows[0] == ["line", "reason", *HEADER.split(",")]
    fixed = [rows[0], [*rows[1][:4], "bob@example.com", *rows[1][5:]]]
    with report.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(fixed)

    again = Importer("orders").run(report)
    assert (again.accepted, again.duplicate, again.rejected) == (1, 0, 0)
    bob = Person.objects.get(primary_email="bob@example.com")
    assert bob.display_name == "=Bob+1"  # the apostrophe the report added is gone
    assert Touchpoint.objects.get(external_id="o-2").person_id == bob.pk


def test_rejects_of_a_rejects_report_are_reported_with_the_original_columns(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\no-2,2025-05-01,nope,=Bob,12.50,USD\n", encoding="utf-8")
    report = Importer("orders").run(path).rejects_path
    again = Importer("orders").run(report, rejects=tmp_path / "again.csv")
    assert again.rejected == 1
    rows = _rows(tmp_path / "again.csv")
    assert rows[0] == ["line", "reason", *HEADER.split(",")]
    assert rows[1][2:] == ["o-2", "2025-05-01", "nope", "'=Bob", "12.50", "USD"]
