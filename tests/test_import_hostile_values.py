"""A file with hostile values in some rows (NUL bytes, control characters, dates out of
range, ambiguous amounts, unknown channels, fake addresses) imports its other rows and
rejects those with a reason naming the column, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json

import pytest

from devotion.ingest.importer import Importer
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

HEADER = "external_id,occurred_at,email,name,channel,amount,currency,fact_pet,extra_note"


def _import(tmp_path, name, text, kind="orders", source="generic"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return Importer(kind, source).run(path)


def _reasons(result):
    return {r["line"]: r["reason"] for r in result.preview}


def test_a_csv_file_with_hostile_rows_keeps_the_others(tmp_path):
    rows = [
        "h-1,2025-05-01T10:00:00Z,ada@example.com,Ada,web,10.00,USD,,",
        "h-2,2025-05-01T10:00:00Z,bob@example.com,Bo\x00b,web,10.00,USD,,",
        "h-3,0001-01-01T00:00:00+14:00,cy@example.com,Cy,web,10.00,USD,,",
        "h-4,9999-12-31T23:59:59-12:00,di@example.com,Di,web,10.00,USD,,",
        'h-5,2025-05-01T10:00:00Z,ed@example.com,Ed,web,"12,34,5",USD,,',
        "h-6,2025-05-01T10:00:00Z,fa@example.com,Fa,pigeon,10.00,USD,,",
        "h-7,2025-05-01T10:00:00Z,<script>alert(1)</script>@example.com,Gi,web,1,USD,,",
        "h-8,2025-05-01T10:00:00Z,hu@example.com,Hu,web,NaN,USD,,",
        "h-9,2025-05-01T10:00:00Z,io@example.com,Io,web,1e400,USD,,",
        "h-10,2025-05-01T10:00:00Z,jo@example.com,Jo,web,10.00,USD,Rex\x00,",
        "h-11,2025-05-01T10:00:00Z,ki@example.com,Ki,web,10.00,USD,,\x1b[2J",
        'h-12,2025-05-01T10:00:00Z,li@example.com,Li,E-mail,"\u20ac12,50",EUR,,',
        "h-13,2025-05-01T10:00:00Z,mo@example.com,Mo,web,12,50,,",  # a decimal comma unquoted
    ]
    result = _import(tmp_path, "orders.csv", "\n".join([HEADER, *rows]) + "\n")
    reasons = _reasons(result)
    assert (result.accepted, result.rejected) == (2, 11), reasons
    assert reasons[3] == "name contains a NUL byte (\\x00)"
    assert "date out of range: allowed from 1900-01-01" in reasons[4]
    assert "date out of range" in reasons[5]
    assert reasons[6].startswith("amount '12,34,5' is ambiguous")
    assert reasons[7].startswith("channel 'pigeon' is not one of: email, phone,")
    assert reasons[8].endswith("is not an e-mail address")
    assert reasons[9] == "amount 'NaN' is not a finite number"
    assert reasons[10].startswith("amount '1e400' is not a plain number")
    assert reasons[11] == "facts.pet contains a NUL byte (\\x00)"
    assert reasons[12] == "extra.note contains a control character (U+001B)"
    assert reasons[14] == "currency '50' is not an ISO 4217 code (e.g. USD, EUR, JPY)"
    stored = dict(Touchpoint.objects.values_list("external_id", "channel"))
    assert stored == {"h-1": "web", "h-12": "email"}


def test_a_semicolon_file_with_decimal_commas_and_channel_names_imports(tmp_path):
    text = (
        "external_id;occurred_at;email;channel;amount;currency\n"
        "e-1;2025-05-01T10:00:00Z;ada@example.com;E-mail;12,50;EUR\n"
        "e-2;2025-05-01T10:00:00Z;bob@example.com;Instagram;1.234,50;EUR\n"
    )
    result = _import(tmp_path, "orders.csv", text)
    assert (result.accepted, result.rejected) == (2, 0), _reasons(result)
    stored = dict(Touchpoint.objects.values_list("external_id", "channel"))
    assert stored == {"e-1": "email", "e-2": "social"}
    amounts = dict(Touchpoint.objects.values_list("external_id", "amount"))
    assert {k: str(v) for k, v in amounts.items()} == {"e-1": "12.50", "e-2": "1234.50"}


def test_a_jsonl_file_with_hostile_lines_keeps_the_others(tmp_path):
    good = {
        "external_id": "j-1",
        "occurred_at": "2025-05-01T10:00:00Z",
        "email": "ada@example.com",
        "amount": "5",
    }
    lines = [
        json.dumps(good),
        json.dumps({**good, "external_id": "j-2", "name": "Bo\x00b"}),  # written as \u0000
        json.dumps({**good, "external_id": "j-3"}).replace("ada@", "a\\ud800@"),
        json.dumps({**good, "external_id": "j-4", "extra_score": float("nan")}),
        json.dumps({**good, "external_id": "j-5", "occurred_at": "0001-01-01T00:00:00+14:00"}),
        '{"external_id": "j-6", "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"external_id": "j-7", "amount": ' + "9" * 5000 + "}",
        json.dumps(
            {
                "kind": "order",
                "source": "api",
                "external_id": "j-8",
                "occurred_at": "2025-05-01T10:00:00Z",
                "person": {"email": "cy@example.com", "name": "Cy\x00"},
            }
        ),
    ]
    result = _import(tmp_path, "orders.jsonl", "\n".join(lines) + "\n")
    reasons = _reasons(result)
    assert (result.accepted, result.rejected) == (1, 7), reasons
    assert reasons[2] == "person.name contains a NUL byte (\\x00)"
    assert "lone surrogate (U+D800)" in reasons[3]
    assert reasons[4] == "extra.score is not a finite number"
    assert "date out of range" in reasons[5]
    assert reasons[6] == "not valid JSON: nested too deeply"
    assert reasons[7] == "not valid JSON: a number is too long"
    assert reasons[8] == "person.name contains a NUL byte (\\x00)"
    assert list(Touchpoint.objects.values_list("external_id", flat=True)) == ["j-1"]


def test_a_customers_file_with_a_sign_up_date_out_of_range_keeps_the_others(tmp_path):
    text = (
        "email,name,occurred_at\n"
        "ada@example.com,Ada,2024-01-01\n"
        "bob@example.com,Bob,0001-01-01T00:00:00+14:00\n"
        "cy@example.com,Cy,1850-06-01\n"
    )
    result = _import(tmp_path, "customers.csv", text, kind="customers")
    assert (result.accepted, result.rejected) == (1, 2), _reasons(result)


def test_a_source_reason_quoting_a_hostile_cell_is_stored_escaped(tmp_path):
    header = "Name,Email,Financial Status,Currency,Total,Created at,Cancelled at"
    rows = [
        "#1,ada@example.com,paid,USD,5.00,2025-05-01 10:00:00 -0500,",
        "#2\x00,bob@example.com,paid,USD,5.00,2025-05-01 10:00:00 -0500,2025-05-02",
    ]
    result = _import(tmp_path, "orders.csv", "\n".join([header, *rows]) + "\n", source="shopify")
    assert (result.accepted, result.rejected) == (1, 1)
    assert _reasons(result)[3] == "order #2\\x00 was cancelled: not a purchase"


def test_a_shopify_export_names_its_own_columns_in_hostile_value_reasons(tmp_path):
    from devotion.ingest.sources import get_mapper

    mapper = get_mapper("shopify", "orders")
    assert mapper.explain("person.name contains a NUL byte (\\x00)").endswith(
        "contains a NUL byte (\\x00)"
    )
    assert mapper.explain("amount '12,34,5' is ambiguous: ...").startswith("Total '12,34,5'")
