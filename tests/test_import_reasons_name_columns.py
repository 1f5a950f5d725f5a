"""Reject reasons name the file's own columns, never Devotion's internal field names."""

from __future__ import annotations

import pytest

from devotion.ingest.importer import Importer
from devotion.ingest.sources import SOURCES

pytestmark = pytest.mark.django_db


def test_generic_reasons_name_the_generic_columns(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "external_id,occurred_at,email,phone,product_id,quantity,amount,currency\n"
        "o-1,2025-05-01,broken,,p-1,1,10,USD\n"
        "o-2,2025-05-01,,,p-1,1,10,USD\n"
        "o-3,2025-05-01,a@example.com,,p-1,0,10,USD\n",
        encoding="utf-8",
    )
    reasons = [row["reason"] for row in Importer("orders").run(path).preview]
    assert reasons == [
        "email 'broken' is not an e-mail address",
        "no identity: email, phone and customer_id are empty",
        "quantity (the order's line 1) must be between 1 and 1000000",
    ]


@pytest.mark.parametrize("source", list(SOURCES))
def test_no_sample_reject_names_an_internal_field(source, tmp_path):
    from pathlib import Path

    samples = Path(__file__).resolve().parent.parent / "docs" / "samples"
    for kind, mapper in SOURCES[source].MAPPERS.items():
        rejects = tmp_path / f"{kind}.rejected.csv"
        result = Importer(kind, source).run(samples / mapper.sample, rejects=rejects)
        for row in result.preview:
            assert "person." not in row["reason"], (mapper.sample, row)
            assert "lines[" not in row["reason"], (mapper.sample, row)
