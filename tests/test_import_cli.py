"""``devotion import``: one summary line, a rejects file, and clear errors for bad input."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def _write(tmp_path, text, name="orders.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_it_prints_one_summary_line_and_writes_the_rejects(tmp_path, capsys):
    path = _write(
        tmp_path,
        "external_id,occurred_at,email,amount\n"
        "o-1,2025-05-01,ada@example.com,10\n"
        "o-2,2025-05-01,lee@example.com,12\n"
        "o-3,2025-05-01,nobody,3\n",
    )
    call_command("import_data", "orders", str(path))
    rejects = tmp_path / "orders.rejected.csv"
    assert capsys.readouterr().out == (
        f"orders.csv: 2 accepted, 0 duplicate, 1 rejected (see {rejects})\n"
    )
    assert rejects.read_text().splitlines()[1].startswith("4,email 'nobody'")

    call_command("import_data", "orders", str(path), "--rejects", str(tmp_path / "r.csv"))
    out = capsys.readouterr().out
    assert out == f"orders.csv: 0 accepted, 2 duplicate, 1 rejected (see {tmp_path / 'r.csv'})\n"
    assert Touchpoint.objects.count() == 2


def test_a_clean_import_mentions_no_rejects_file(tmp_path, capsys):
    path = _write(tmp_path, "external_id,occurred_at,email\no-1,2025-05-01,ada@example.com\n")
    call_command("import_data", "orders", str(path), "--source", "generic")
    assert capsys.readouterr().out == "orders.csv: 1 accepted, 0 duplicate, 0 rejected\n"


def test_the_devotion_command_maps_import_to_import_data(tmp_path, capsys):
    from devotion.cli import main

    path = _write(tmp_path, '{"external_id":"o-1","occurred_at":"2025-05-01","email":"a@b.co"}\n')
    main(["import", "orders", str(path), "--format", "jsonl"])
    assert capsys.readouterr().out.startswith("orders.csv: 1 accepted")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["orders", "missing.csv"], "missing.csv: no such file"),
        (
            ["orders", "{file}", "--source", "stripe"],
            "looks like a Generic orders export, not Stripe orders: choose Generic",
        ),
        (["tickets", "{file}", "--source", "shopify"], "shopify has no tickets export"),
    ],
)
def test_bad_input_fails_with_a_clear_message(tmp_path, args, message):
    path = _write(tmp_path, "external_id,occurred_at,email\n")
    with pytest.raises(CommandError, match=message):
        call_command("import_data", *[a.format(file=path) for a in args])


def test_an_unknown_kind_or_source_is_refused_by_the_parser(tmp_path):
    path = _write(tmp_path, "external_id,occurred_at,email\n")
    with pytest.raises(CommandError, match="invalid choice: 'invoices'"):
        call_command("import_data", "invoices", str(path))
    with pytest.raises(CommandError, match="invalid choice: 'magento'"):
        call_command("import_data", "orders", str(path), "--source", "magento")
