"""Every row that cannot be stored is reported with its line number and a reason to act on."""

from __future__ import annotations

import csv
import json

import pytest

from devotion.ingest.importer import Importer, ImportFailed
from devotion.ingest.models import ImportRun
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

HEADER = "external_id,occurred_at,email,amount,currency"


def _run(tmp_path, text, kind="orders", source="generic", name="orders.csv", **kwargs):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, Importer(kind, source, **kwargs).run(path)


def _reasons(result):
    return [(r["line"], r["reason"]) for r in result.preview]


def test_each_rejected_row_is_reported_with_its_line_and_the_good_rows_are_kept(tmp_path):
    _, result = _run(
        tmp_path,
        f"{HEADER}\n"
        "o-1,2025-05-01T10:00:00Z,ada@example.com,10.00,USD\n"  # line 2: fine
        "o-2,2025-05-01T10:00:00Z,not-an-email,10.00,USD\n"  # line 3: ingest rejects
        "o-3,yesterday,ada@example.com,10.00,USD\n"  # line 4: bad date
        "o-4,2025-05-01T10:00:00Z,ada@example.com,10.00\n"  # line 5: too few columns
        "\n"  # line 6: blank, skipped
        "o-5,2025-05-01T10:00:00Z,,10.00,USD\n"  # line 7: no identity
        ",2025-05-01T10:00:00Z,ada@example.com,10.00,USD\n"  # line 8: no external id
        "o-6,2025-05-01T10:00:00Z,ada@example.com,ten,USD\n"  # line 9: amount
        "o-7,2030-05-01T10:00:00Z,ada@example.com,10.00,USD\n",  # line 10: future
    )
    assert (result.accepted, result.rejected) == (1, 7)
    assert _reasons(result) == [
        (3, "email 'not-an-email' is not an e-mail address"),
        (4, "occurred_at 'yesterday' is not a date-time; use ISO 8601 like 2025-03-01T10:00:00Z"),
        (5, "has 4 columns, the header has 5"),
        (7, "no identity: email, phone and customer_id are empty"),
        (8, "external_id is missing"),
        (9, "amount 'ten' is not a number"),
        (
            10,
            "occurred_at '2030-05-01T10:00:00+00:00' is a date out of range: "
            "allowed from 1900-01-01 to one day from now",
        ),
    ]
    assert Touchpoint.objects.count() == 1
    assert result.rejects_path == tmp_path / "orders.rejected.csv"
    rows = list(csv.reader(result.rejects_path.read_text().splitlines()))
    assert rows[0] == ["line", "reason", *HEADER.split(",")]
    assert rows[1] == [
        "3",
        "email 'not-an-email' is not an e-mail address",
        "o-2",
        "2025-05-01T10:00:00Z",
        "not-an-email",
        "10.00",
        "USD",
    ]
    assert [row[0] for row in rows[1:]] == ["3", "4", "5", "7", "8", "9", "10"]


def test_the_rejects_file_can_be_fixed_and_imported_again(tmp_path):
    _, result = _run(tmp_path, f"{HEADER}\no-1,2025-05-01T10:00:00Z,ada(at)example.com,10.00,USD\n")
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(result.rejects_path.read_text().replace("ada(at)", "ada@"))
    again = Importer("orders").run(fixed)
    assert (again.accepted, again.rejected) == (1, 0)


def test_the_rejects_report_can_go_elsewhere_and_a_clean_run_leaves_none(tmp_path):
    elsewhere = tmp_path / "reports" / "bad.csv"
    path = tmp_path / "orders.csv"
    path.write_text(f"{HEADER}\no-1,2025-05-01T10:00:00Z,nobody,10.00,USD\n")
    result = Importer("orders").run(path, rejects=elsewhere)
    assert result.rejects_path == elsewhere
    assert ImportRun.objects.get().rejects_path == str(elsewhere)
    assert len(elsewhere.read_text().splitlines()) == 2
    # Fixed and imported again: the old report next to the input would now mislead.
    default = tmp_path / "orders.rejected.csv"
    default.write_text("stale")
    path.write_text(f"{HEADER}\no-1,2025-05-01T10:00:00Z,ada@example.com,10.00,USD\n")
    assert Importer("orders").run(path).rejects_path is None
    assert not default.exists()


def test_the_preview_keeps_the_first_fifty_and_the_file_has_them_all(tmp_path):
    rows = "".join(f"o-{n},2025-05-01T10:00:00Z,bad{n},1,USD\n" for n in range(120))
    _, result = _run(tmp_path, f"{HEADER}\n{rows}", batch_size=25)
    assert result.rejected == 120
    assert len(result.preview) == 50
    assert len(result.rejects_path.read_text().splitlines()) == 121


def test_a_quoted_cell_spanning_lines_is_reported_at_the_line_where_the_row_starts(tmp_path):
    _, result = _run(
        tmp_path,
        "external_id,occurred_at,email,text\n"
        't-1,2025-05-01T10:00:00Z,ada@example.com,"Hello,\nmy parcel\nis late"\n'
        "t-2,2025-05-01T10:00:00Z,broken,Hi\n",
        kind="tickets",
        name="tickets.csv",
    )
    assert _reasons(result) == [(5, "email 'broken' is not an e-mail address")]


def test_jsonl_lines_that_are_not_json_objects_are_rejected(tmp_path):
    good = json.dumps(
        {
            "external_id": "o-1",
            "occurred_at": "2025-05-01T10:00:00Z",
            "person": {"email": "ada@example.com"},
        }
    )
    _, result = _run(
        tmp_path,
        f'{good}\n{{"external_id": "o-2", \n\n[1, 2]\n{{"kind": "review", "person": {{}}}}\n',
        name="orders.jsonl",
    )
    assert result.accepted == 1
    assert _reasons(result) == [
        (2, "not valid JSON: Expecting property name enclosed in double quotes"),
        (4, "line is not a JSON object"),
        (5, "kind 'review' does not belong in a orders import (order)"),
    ]
    rows = list(csv.reader(result.rejects_path.read_text().splitlines()))
    assert rows[0] == ["line", "reason", "record"]
    assert rows[2][2] == "[1, 2]"


@pytest.mark.parametrize(
    ("kind", "header", "row", "reason"),
    [
        (
            "surveys",
            "external_id,occurred_at,email,rating",
            "s-1,2025-05-01,a@b.co,",
            "rating is empty",
        ),
        (
            "surveys",
            "external_id,occurred_at,email,rating",
            "s-1,2025-05-01,a@b.co,11",
            "rating 11 must",
        ),
        (
            "surveys",
            "external_id,occurred_at,email,rating",
            "s-1,2025-05-01,a@b.co,4.5",
            "rating '4.5' must be a whole number",
        ),
        ("customers", "email,consent_email", "a@b.co,maybe", "consent_email 'maybe' is not true"),
    ],
)
def test_generic_rows_are_checked(tmp_path, kind, header, row, reason):
    _, result = _run(tmp_path, f"{header}\n{row}\n", kind=kind, name="f.csv")
    assert result.preview[0]["line"] == 2
    assert result.preview[0]["reason"].startswith(reason)


@pytest.mark.parametrize(
    ("source", "kind", "columns", "reason"),
    [
        ("shopify", "orders", {"Name": "", "Created at": "2025-01-01"}, "Name (the order number"),
        ("shopify", "orders", {"Cancelled at": "2025-01-02"}, "order #1001 was cancelled"),
        (
            "shopify",
            "orders",
            {"Financial Status": "voided"},
            "order #1001: the payment was voided",
        ),
        (
            "shopify",
            "orders",
            {"Created at": "01/02/2025"},
            "Created at '01/02/2025' is not a date",
        ),
        ("stripe", "orders", {"Status": "Refunded"}, "the charge was refunded in full"),
        ("stripe", "orders", {"Status": "Pending"}, "the charge is still pending"),
        ("stripe", "orders", {"Captured": "false"}, "the charge was authorised but never captured"),
        ("stripe", "orders", {"Status": "disputed"}, "status 'disputed' is not Paid"),
        ("stripe", "orders", {"id": ""}, "id (the charge id"),
        ("zendesk", "tickets", {"Id": ""}, "Id (the ticket number) is empty"),
        ("zendesk", "tickets", {"Subject": "", "Description": ""}, "ticket 7 has neither"),
        ("zendesk", "tickets", {"Created at": ""}, "created at is empty"),
        ("trustpilot", "reviews", {"Review Stars": ""}, "Review Stars is empty"),
        ("trustpilot", "reviews", {"Review Stars": "6"}, "Review Stars '6' is not 1 to 5"),
        ("trustpilot", "reviews", {"Consumer Email": ""}, "no Reference Email, Consumer Email"),
    ],
)
def test_source_rows_that_are_not_usable_say_why(tmp_path, source, kind, columns, reason):
    base = {
        "shopify": {"Name": "#1001", "Email": "a@b.co", "Created at": "2025-01-01 10:00:00 -0500"},
        "stripe": {
            "id": "ch_1",
            "Created date (UTC)": "2025-01-01 10:00",
            "Amount": "5.00",
            "Currency": "usd",
            "Customer Email": "a@b.co",
            "Status": "Paid",
            "Captured": "true",
        },
        "zendesk": {
            "Id": "7",
            "Requester email": "a@b.co",
            "Subject": "Late",
            "Description": "Where is it?",
            "Created at": "2025-01-01 10:00:00 +0000",
        },
        "trustpilot": {
            "Review ID": "r1",
            "Review Created (UTC)": "2025-01-01 10:00:00",
            "Review Stars": "4",
            "Consumer Email": "a@b.co",
        },
    }[source]
    row = {**base, **columns}
    path = tmp_path / "f.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, list(row))
        writer.writeheader()
        writer.writerow(row)
    result = Importer(kind, source).run(path)
    assert result.rejected == 1, result
    assert result.preview[0]["line"] == 2
    assert result.preview[0]["reason"].lower().startswith(reason.lower())


def test_a_file_missing_required_columns_fails_up_front(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("Name,Total\n#1001,5.00\n")
    with pytest.raises(ImportFailed) as failure:
        Importer("orders", "shopify").run(path)
    assert str(failure.value) == (
        "orders.csv is missing required columns for shopify orders: created at; "
        "email or phone or billing phone (found: Name, Total)"
    )
    assert not (tmp_path / "orders.rejected.csv").exists()
    run = ImportRun.objects.get()
    assert (run.status, run.error) == ("failed", str(failure.value))


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "is empty"), ("\n\n", "is empty")],
)
def test_an_empty_file_fails_up_front(tmp_path, content, message):
    path = tmp_path / "orders.csv"
    path.write_text(content)
    with pytest.raises(ImportFailed, match=message):
        Importer("orders").run(path)


def test_unknown_kinds_sources_and_formats_fail_with_the_choices(tmp_path):
    with pytest.raises(ImportFailed, match="unknown kind 'invoices'; use one of: customers"):
        Importer("invoices")
    with pytest.raises(ImportFailed, match="unknown source 'magento'"):
        Importer("orders", "magento")
    with pytest.raises(ImportFailed, match="zendesk has no orders export; it supports: tickets"):
        Importer("orders", "zendesk")
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(ImportFailed, match=r"cannot tell the format of orders\.xlsx"):
        Importer("orders").run(path)
