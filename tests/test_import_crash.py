"""A crash halfway through an import loses nothing accepted before it; a re-run finishes it."""

from __future__ import annotations

import pytest

from devotion.ingest import importer
from devotion.ingest.importer import Importer
from devotion.ingest.models import ImportRun
from devotion.ingest.store import ingest as real_ingest
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def _orders(path, count):
    rows = [
        f"o-{n},2025-05-01T10:00:00Z,c{n % 7}@example.com,{n}.00,USD" for n in range(1, count + 1)
    ]
    path.write_text("external_id,occurred_at,email,amount,currency\n" + "\n".join(rows) + "\n")


def test_a_crash_after_two_batches_keeps_them_and_a_rerun_adds_only_the_rest(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    _orders(path, 50)
    calls = {"n": 0}

    def crashing_ingest(raws):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real_ingest(raws)

    monkeypatch.setattr(importer, "ingest", crashing_ingest)
    with pytest.raises(RuntimeError, match="disk full"):
        Importer("orders", batch_size=10).run(path)

    run = ImportRun.objects.get()
    assert (run.status, run.error) == ("failed", "disk full")
    assert run.rows_accepted == 20
    assert Touchpoint.objects.count() == 20

    monkeypatch.setattr(importer, "ingest", real_ingest)
    result = Importer("orders", batch_size=10).run(path)
    assert (result.accepted, result.duplicate, result.rejected) == (30, 20, 0)
    assert Touchpoint.objects.count() == 50
    assert sorted(Touchpoint.objects.values_list("external_id", flat=True)) == sorted(
        f"o-{n}" for n in range(1, 51)
    )


def test_a_line_that_is_not_utf8_in_a_utf8_file_is_rejected_and_the_rest_imported(tmp_path):
    path = tmp_path / "orders.csv"
    _orders(path, 30)
    utf8 = "o-98,2025-05-01T10:00:00Z,zoë@example.com,1.00,USD\n".encode()
    bad = b"o-99,2025-05-01T10:00:00Z,m\xfcller@example.com,1.00,USD\n"
    last = b"o-100,2025-05-01T10:00:00Z,z@example.com,1,USD\n"
    path.write_bytes(path.read_bytes() + utf8 + bad + last)
    result = Importer("orders").run(path)
    assert (result.accepted, result.rejected) == (32, 1)
    assert result.preview == [{"line": 33, "reason": importer._NOT_UTF8}]
    assert Touchpoint.objects.count() == 32
    assert ImportRun.objects.get().encoding == "utf-8"
