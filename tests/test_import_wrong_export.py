"""A file imported as the wrong kind or source says which export it looks like."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from devotion.ingest.importer import Importer, ImportFailed
from devotion.ingest.models import ImportRun

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
SHOPIFY_ORDERS = (SAMPLES / "shopify_orders.csv").read_bytes()


def test_a_shopify_orders_export_imported_as_generic_customers_is_named(tmp_path):
    path = tmp_path / "orders_export.csv"
    path.write_bytes(SHOPIFY_ORDERS)
    with pytest.raises(ImportFailed) as failure:
        Importer("customers", "generic").run(path)
    message = str(failure.value)
    assert message.startswith("orders_export.csv looks like a Shopify orders export")
    assert "choose Shopify, Orders" in message
    assert "Lineitem" not in message  # not the file's 64 column names


def test_a_shopify_orders_export_imported_as_shopify_customers_is_named(tmp_path):
    path = tmp_path / "orders_export.csv"
    path.write_bytes(SHOPIFY_ORDERS)
    with pytest.raises(ImportFailed, match="choose Shopify, Orders"):
        Importer("customers", "shopify").check(path)


def test_every_sample_is_accepted_as_the_export_it_is(tmp_path):
    from devotion.ingest.sources import SOURCES

    for module in SOURCES.values():
        for kind, mapper in module.MAPPERS.items():
            if mapper.sample.endswith(".csv"):
                Importer(kind, module.NAME).check(SAMPLES / mapper.sample)


def test_the_command_line_says_which_export_to_choose(tmp_path):
    path = tmp_path / "orders_export.csv"
    path.write_bytes(SHOPIFY_ORDERS)
    with pytest.raises(CommandError, match="choose Shopify, Orders"):
        call_command("import_data", "customers", str(path))


def test_the_upload_form_says_which_export_to_choose_under_the_uploaded_name(manager, login):
    upload = SimpleUploadedFile("orders_export.csv", SHOPIFY_ORDERS, content_type="text/csv")
    page = login(manager).post(
        "/imports/", {"kind": "customers", "source": "generic", "file": upload}
    )
    assert page.status_code == 400
    assert "orders_export.csv looks like a Shopify orders export" in page.text
    assert "choose Shopify, Orders" in page.text
    assert "-orders_export.csv" not in page.text  # not the name the upload is kept under
    assert not ImportRun.objects.exists()
