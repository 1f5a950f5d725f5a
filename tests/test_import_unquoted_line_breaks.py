"""A line break a writer left unquoted inside a cell (a CR in a file with LF line ends, an LF
in one with CR line ends: Python's csv module quotes only its own line end) stays in its cell,
instead of failing the row as "unreadable CSV" (and, after a quoted line break, the next
line as well). Found by the importer property tests."""

from __future__ import annotations

import csv
import io

import pytest

from devotion.ingest.importer import Importer
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

HEADER = ["external_id", "occurred_at", "email", "name", "amount", "currency"]


def _written(terminator: str, *rows: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=terminator)
    writer.writerows([HEADER, *rows])
    return out.getvalue().encode()


@pytest.mark.parametrize(("terminator", "inside"), [("\n", "\r"), ("\r", "\n")])
def test_an_unquoted_line_break_inside_a_cell_stays_in_its_cell(tmp_path, terminator, inside):
    path = tmp_path / "orders.csv"
    data = _written(
        terminator,
        ["o-1", "2025-05-01", "ada@example.com", f"Ada{inside}Lovelace", "10", "USD"],
        ["o-2", "2025-05-01", "not-an-email", "Bob", "10", "USD"],
    )
    assert f"Ada{inside}Lovelace,".encode() in data  # written unquoted
    path.write_bytes(data)
    result = Importer("orders").run(path)
    assert (result.accepted, result.rejected) == (1, 1), result.preview
    assert Touchpoint.objects.get().person.display_name == f"Ada{inside}Lovelace"
    assert [entry["line"] for entry in result.preview] == [3]


def test_a_row_with_a_quoted_and_an_unquoted_line_break_is_one_record(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(
        _written("\n", ["o-1\n", "2025-05-01", "ada@example.com", "Ada\rLovelace", "10", "USD"])
    )
    result = Importer("orders").run(path)
    assert (result.accepted, result.rejected) == (1, 0), result.preview
