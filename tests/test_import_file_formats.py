"""What the reader tolerates: semicolons and tabs, a BOM, CRLF line ends, JSONL by extension."""

from __future__ import annotations

import json

import pytest

from devotion.ingest.importer import Importer
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_comma_semicolon_and_tab_files_are_read(tmp_path, delimiter):
    path = tmp_path / "orders.csv"
    rows = [
        ["external_id", "occurred_at", "email", "amount"],
        ["o-1", "2025-05-01", "ada@example.com", "1,234.50" if delimiter != "," else "1234.50"],
    ]
    path.write_text("\n".join(delimiter.join(row) for row in rows) + "\n")
    assert Importer("orders").run(path).accepted == 1
    assert str(Touchpoint.objects.get().amount) == "1234.50"


def test_a_byte_order_mark_and_crlf_line_ends_are_fine(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(
        b"\xef\xbb\xbfexternal_id,occurred_at,email\r\n"
        b"o-1,2025-05-01,ada@example.com\r\n"
        b"o-2,2025-05-01,broken\r\n"
    )
    result = Importer("orders").run(path)
    assert result.accepted == 1
    assert result.preview == [{"line": 3, "reason": "email 'broken' is not an e-mail address"}]


def test_column_names_are_matched_whatever_their_case_and_spacing(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(" External_ID ,OCCURRED_AT,Email\no-1,2025-05-01,ada@example.com\n")
    assert Importer("orders").run(path).accepted == 1


def test_trailing_empty_cells_are_ignored(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("external_id,occurred_at,email\no-1,2025-05-01,ada@example.com,,\n")
    assert Importer("orders").run(path).accepted == 1


def test_jsonl_is_read_by_extension_or_by_format(tmp_path):
    event = {
        "external_id": "o-1",
        "occurred_at": "2025-05-01T10:00:00Z",
        "person": {"email": "ada@example.com"},
        "lines": [{"product_id": "SKU-1", "quantity": 2, "unit_price": "3.00"}],
    }
    path = tmp_path / "events.txt"
    path.write_text(json.dumps(event) + "\r\n")
    assert Importer("orders", fmt="jsonl").run(path).accepted == 1
    flat = tmp_path / "orders.ndjson"
    flat.write_text(
        json.dumps({"external_id": "o-2", "occurred_at": "2025-05-02", "email": "x@y.co"})
    )
    assert Importer("orders").run(flat).accepted == 1
    assert Touchpoint.objects.get(external_id="o-1").amount == 6


@pytest.mark.parametrize("pipeline", [False, True])
def test_progress_is_reported_per_batch_with_bytes_read(tmp_path, pipeline):
    path = tmp_path / "orders.csv"
    rows = "".join(f"o-{n},2025-05-01,c{n}@example.com\n" for n in range(30))
    path.write_text("external_id,occurred_at,email\n" + rows)
    seen = []
    Importer("orders", batch_size=10, progress=seen.append, pipeline=pipeline).run(path)
    assert [p.records for p in seen] == [10, 20, 30, 30]  # each batch, then the end
    assert seen[-1].bytes_read == seen[-1].bytes_total == path.stat().st_size
    assert 0 < seen[0].bytes_read < seen[-1].bytes_read


def test_a_quick_import_saves_its_counts_once_at_the_end_and_a_slow_one_as_it_goes(
    tmp_path, monkeypatch
):
    from devotion.ingest import importer
    from devotion.ingest.models import ImportRun

    path = tmp_path / "orders.csv"
    rows = "".join(f"o-{n},2025-05-01,c{n}@example.com\n" for n in range(30))
    path.write_text("external_id,occurred_at,email\n" + rows)
    saved = []
    real = ImportRun.save

    def save(run, *args, **kwargs):
        if "rows_total" in kwargs.get("update_fields", ()):
            saved.append(run.rows_total)
        return real(run, *args, **kwargs)

    monkeypatch.setattr(ImportRun, "save", save)
    Importer("orders", batch_size=10).run(path)
    assert saved == [30]  # three batches within half a second: one save, at the end
    saved.clear()
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 0.0)  # every batch "slow enough"
    Importer("orders", batch_size=10).run(path)
    assert saved == [10, 20, 30, 30]
    run = ImportRun.objects.order_by("pk").last()
    assert (run.rows_total, run.rows_duplicate, run.job.done) == (30, 30, path.stat().st_size)
