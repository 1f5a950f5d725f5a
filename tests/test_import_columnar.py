"""The columnar fast lane for large generic order files stores exactly what the general path
stores: the same people, identities, orders, lines, counts and rejects, whatever the file."""

from __future__ import annotations

import functools
import random
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from devotion.ingest import helper_process as hp
from devotion.ingest.columnar import helper, scan, store
from devotion.ingest.columnar import prepare as preparing
from devotion.ingest.importer import Importer
from devotion.people.merging import merge_people, undo_merge
from devotion.people.models import Identity, Merge, Person
from devotion.people.spend import recount_spend
from devotion.touchpoints.models import OrderLine, Touchpoint

# As a user runs an import: outside any transaction (the lane copies each SQLite chunk in
# from a file it attaches, which SQLite only allows outside one).
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = (
    "external_id,occurred_at,email,phone,customer_id,name,first_name,last_name,country,"
    "channel,amount,currency,product_id,product_name,quantity,unit_price,discount"
)
CLEAN = [
    "o-1,2025-01-02T10:00:00Z,Ada@Example.com,+44 20 7946 0000,,Ada Lovelace,,,gb,Web,,GBP,"
    "SKU-1,Mug,2,12.50,1",
    "o-1,,,,,,,,,,,,SKU-2,Teapot,1,30,",  # second line of o-1: only its line counts
    "o-2,2025-01-03 09:30:00,,+44 (0)20 7946 0000,,,Ada,L.,,web,45.10,GBP,SKU-3,,1,45.10,",
    "o-3,2025-01-04,grace@example.com,,C-7,,Grace,Hopper,US,shop,99,USD,,Gift card,1,,",
    "o-4,2025-01-05T08:00:00.250+02:00,lin@example.com,,,Lin,,,,,-5.00,EUR,,,,,",
    "o-5,2025-02-01T10:00:00Z,,,C-7,,,,,,10.00,USD,SKU-1,Mug,3,3.50,0.50",
    "o-6,2025-02-02T10:00:00Z,bob@example.com,,,Bob,,,,,,USD,SKU-9,Spoon,1,2.00,",
    "o-7,2025-03-01T11:00:00Z,ADA@example.com,,,Ada Again,,,,,15.00,GBP,SKU-1,Mug,1,15,",
    "o-8,2025-03-02T11:00:00Z,zoe@example.com,,C-99,Zoë Ångström,,,,,8.00,EUR,SKU-4,Café,1,8,",
    "o-9,2025-03-03T11:00:00Z,max@example.com,,,Max,,,,,1,USD,SKU-5,Pen,1,1,",
]
# The same customers again, by every identity they used.
CLEAN_MORE = [
    "o-20,2025-04-01T10:00:00Z,ada@example.com,,,,,,,,20.00,GBP,SKU-1,Mug,2,10,",
    "o-21,2025-04-02T10:00:00Z,,,C-7,,,,,,30.00,USD,SKU-2,Teapot,1,30,",
    "o-22,2025-04-03T10:00:00Z,lin@example.com,,,,,,,,5.50,EUR,SKU-1,Mug,1,5.50,",
    "o-23,2025-04-04T10:00:00Z,,+44 20 7946 0000,,,,,,,12.00,GBP,SKU-3,Jug,1,12,",
    "o-24,2025-04-05T10:00:00Z,bob@example.com,,,,,,,,2.00,USD,SKU-9,Spoon,1,2,",
    "o-25,2025-04-06T10:00:00Z,zoe@example.com,,,,,,,,8.00,EUR,SKU-4,Café,1,8,",
    "o-26,2025-04-07T10:00:00Z,max@example.com,,,,,,,,1.00,USD,SKU-5,Pen,1,1,",
]
DOUBTFUL = [
    "o-10,2025-03-04T11:00:00Z,not-an-email,,,Nope,,,,,5,USD,SKU-1,Mug,1,5,",  # rejected
    "o-11,tomorrow,kim@example.com,,,Kim,,,,,5,USD,SKU-1,Mug,1,5,",  # rejected
    'o-12,2025-03-05T11:00:00Z,lee@example.com,,,Lee,,,,,"1,234.50",USD,SKU-1,Mug,1,5,',
    "o-13,2025-03-06T11:00:00Z,pat@example.com,,,Pat,,,,,5,USD,SKU-1,Mug,2.0,5,",  # rejected
    "o-14,2099-01-01T00:00:00Z,sam@example.com,,,Sam,,,,,5,USD,SKU-1,Mug,1,5,",  # future
    "o-15,2025-03-07T11:00:00Z,al@example.com,call me,,Al,,,,,5,USD,SKU-1,Mug,1,5,",
    "o-16,2025-03-08T24:00:00Z,hour@example.com,,,H,,,,,5,USD,SKU-1,Mug,1,5,",  # DuckDB: next day
    "o-17,2025-03-09T10:00:00+24:00,off@example.com,,,O,,,,,5,USD,SKU-1,Mug,1,5,",
    "o-18,2025-03-10T10:00:00+02:00,ok@example.com,,,K,,,,,5,USD,SKU-1,Mug,1,5,",
]


@pytest.fixture(autouse=True)
def _small_lane(monkeypatch):
    """Let test-sized files take the lane, in chunks of four orders."""
    monkeypatch.setattr(scan, "MIN_BYTES", 0)
    monkeypatch.setattr(scan, "CHUNK_ORDERS", 4)
    monkeypatch.setattr(scan, "CHUNK_ORDERS_POSTGRES", 4)


@pytest.fixture(autouse=True)
def _rates(settings):
    """Rates for some of the files' currencies (not CHF): both ways convert alike."""
    settings.FX_RATES = {"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "JPY": Decimal("0.0067")}


@pytest.fixture
def lane_use(monkeypatch):
    """How many chunks the fast lane stored, or would have but for a transaction of someone
    else's (on PostgreSQL, tests running beside this one on the same server count as that)."""
    used = {"chunks": 0}
    store_prepared = store.store_prepared

    def counting(*args, **kwargs):
        try:
            stored = store_prepared(*args, **kwargs)
        except preparing.WrittenMeanwhile:
            used["chunks"] += 1
            raise
        used["chunks"] += 1
        return stored

    monkeypatch.setattr(store, "store_prepared", counting)
    return used


@functools.cache
def _compiled(model: type, fields: tuple[str, ...]) -> tuple[Any, str, Any, Any]:
    """The query for ``fields`` of every ``model`` row, compiled once: the property tests
    (tests/test_import_properties.py) take thousands of snapshots, and Django built each
    query again in more time than the database took to answer it."""
    compiler = model.objects.values_list(*fields).query.get_compiler("default")
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    return compiler, sql, params, converters


def _rows(model: type, *fields: str) -> list[tuple]:
    """``model.objects.values_list(*fields)`` (its values converted as that does) as
    sorted tuples of strings."""
    compiler, sql, params, converters = _compiled(model, fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if converters:
        found = compiler.apply_converters(found, converters)
    return sorted(tuple(str(v) for v in row) for row in found)


def _state() -> dict[str, list[tuple]]:
    """Everything stored, by natural keys (ids differ between the two paths)."""
    rows = _rows
    return {
        "people": rows(
            Person,
            "display_name", "name_key", "name_key_rev", "primary_email", "primary_phone",
            "country", "first_seen_at", "last_activity_at", "order_count", "total_spent",
            "spend_incomplete", "stage", "consent_email", "consent_sms", "consent_profiling",
        ),
        "identities": rows(
            Identity, "kind", "source", "value", "raw_value", "person__primary_email"
        ),
        "touchpoints": rows(
            Touchpoint,
            "source", "external_id", "kind", "channel", "direction", "occurred_at", "amount",
            "currency", "rating", "extra", "person__primary_email", "person__display_name",
        ),
        "lines": rows(
            OrderLine,
            "touchpoint__external_id", "product_id", "product_name", "quantity", "unit_price",
            "discount",
        ),
        "merges": sorted(re.sub(r"#\d+", "#", reason) for reason in Merge.objects.values_list(
            "reason", flat=True
        )),
    }  # fmt: skip


def _wipe() -> None:
    Merge.objects.all().delete()
    Person.objects.all().delete()


def _both_ways(tmp_path, *files: list[str]) -> tuple[dict, dict, list, list]:
    """Import ``files`` in turn through the lane, then from scratch the general way."""
    results = {}
    for lane in (True, False):
        _wipe()
        outcomes = []
        for number, rows in enumerate(files):
            path = tmp_path / f"{'lane' if lane else 'general'}-{number}.csv"
            path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
            # The same transaction boundaries both ways: a customer who first appears in two
            # batches under different identities is merged when a later batch links them.
            result = Importer("orders", "generic", columnar=lane, batch_size=scan.CHUNK_ORDERS).run(
                path
            )
            rejects = result.rejects_path.read_text().splitlines() if result.rejects_path else []
            outcomes.append((result.accepted, result.duplicate, result.rejected, rejects))
        results[lane] = (_state(), outcomes)
    return results[True][0], results[False][0], results[True][1], results[False][1]


def test_a_clean_file_goes_the_fast_way_and_stores_the_same(tmp_path, lane_use):
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, CLEAN)
    assert lane_use["chunks"] == 3
    assert lane == general
    assert lane_counts == general_counts == [(9, 0, 0, [])]
    ada = Person.objects.get(primary_email="ada@example.com")
    # 54 + 45.10 + 15 GBP, each converted at 1.27 and rounded: 68.58 + 57.28 + 19.05 USD.
    assert (ada.order_count, str(ada.total_spent), ada.stage) == (3, "144.91", "active")


# Spend in several currencies, over chunks of four orders: USD, EUR (one priced by its lines),
# CHF (no rate) and none.
MIXED = [
    "m-1,2025-05-01T10:00:00Z,mia@example.com,,,Mia,,,,,54.00,USD,,,,,",
    "m-2,2025-05-02T10:00:00Z,mia@example.com,,,,,,,,100.00,EUR,,,,,",
    "m-3,2025-05-03T10:00:00Z,noa@example.com,,,Noa,,,,,,EUR,SKU-1,Mug,3,3.35,",
    "m-4,2025-05-04T10:00:00Z,mia@example.com,,,,,,,,7.00,CHF,,,,,",
    "m-5,2025-05-05T10:00:00Z,mia@example.com,,,,,,,,2.50,,,,,,",
    "m-6,2025-05-06T10:00:00Z,noa@example.com,,,,,,,,1.00,EUR,,,,,",
    "m-7,2025-05-07T10:00:00Z,eve@example.com,,,Eve,,,,,9.99,CHF,,,,,",
    "m-8,2025-05-08T10:00:00Z,eve@example.com,,,,,,,,1.00,USD,,,,,",
]


def _spend(email: str) -> tuple[str, bool]:
    person = Person.objects.get(primary_email=email)
    return str(person.total_spent), person.spend_incomplete


def test_spend_in_several_currencies_is_counted_in_the_reporting_currency_either_way(
    tmp_path, lane_use
):
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, MIXED)
    assert lane_use["chunks"] == 2
    assert (lane, lane_counts) == (general, general_counts)
    assert _spend("mia@example.com") == ("164.50", True)  # 54 + 108 + 2.50; CHF left out
    assert _spend("noa@example.com") == ("11.93", False)  # 10.05 x 1.08 = 10.85, + 1.08
    assert _spend("eve@example.com") == ("1.00", True)


def test_what_the_lane_counts_a_recount_merge_and_undo_count_alike(tmp_path, lane_use):
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join([HEADER, *MIXED]) + "\n", encoding="utf-8")
    Importer("orders", "generic", columnar=True, batch_size=scan.CHUNK_ORDERS).run(path)
    assert lane_use["chunks"] == 2
    assert recount_spend() == (3, 0)  # nothing to correct
    mia = Person.objects.get(primary_email="mia@example.com")
    noa = Person.objects.get(primary_email="noa@example.com")
    merge = merge_people(mia, noa, reason="same person")
    assert _spend("mia@example.com") == ("176.43", True)  # 164.50 + 11.93
    undo_merge(merge)
    assert (_spend("mia@example.com"), _spend("noa@example.com")) == (
        ("164.50", True),
        ("11.93", False),
    )


def test_a_chunk_with_orders_in_yen_goes_the_general_way_and_counts_the_same(tmp_path, lane_use):
    yen = "m-9,2025-05-09T10:00:00Z,mia@example.com,,,,,,,,5000,JPY,,,,,"
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, [*MIXED, yen])
    assert lane_use["chunks"] == 2  # the third chunk (the yen order) went the general way
    assert (lane, lane_counts) == (general, general_counts)
    assert _spend("mia@example.com") == ("198.00", True)  # + 5000 x 0.0067


def test_spend_carries_over_later_imports_and_merges_either_way(tmp_path, lane_use):
    more = [
        "n-1,2025-06-01T10:00:00Z,mia@example.com,,C-1,,,,,,10.00,GBP,,,,,",
        "n-2,2025-06-02T10:00:00Z,,,C-1,,,,,,1.00,CHF,,,,,",
        "n-3,2025-06-03T10:00:00Z,noa@example.com,,,,,,,,3.00,GBP,,,,,",
    ]
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, MIXED, more)
    assert (lane, lane_counts) == (general, general_counts)
    assert _spend("mia@example.com") == ("177.20", True)  # + 12.70
    assert _spend("noa@example.com") == ("15.74", False)  # + 3.81


def test_a_short_first_chunk_stores_the_same(tmp_path, monkeypatch, lane_use):
    monkeypatch.setattr(scan, "FIRST_CHUNK_ORDERS", 1)
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, CLEAN + CLEAN_MORE)
    assert lane_use["chunks"] == 6  # 1, 2, then 4 at a time: 1 + 2 + 4 + 4 + 4 + 1
    assert (lane, lane_counts) == (general, general_counts)


def test_a_person_met_under_two_identities_in_one_chunk_takes_the_first_name_in_file_order(
    tmp_path, lane_use
):
    # Chunk 1 makes one person of e-mail and phone, with no name or country. In chunk 2 her
    # orders come by e-mail (no name yet), by phone (named "Bee"), then by e-mail ("Ay"):
    # the two identities are separate customers within the chunk, but the same person, and
    # the empty fields take what the earliest order says, as the general path does.
    rows = [
        "p-1,2025-01-01T10:00:00Z,bee@example.com,+33 1 23 45 67 89,,,,,,,1,EUR,,,,,",
        "p-2,2025-01-02T10:00:00Z,x@example.com,,,X,,,,,1,EUR,,,,,",
        "p-3,2025-01-03T10:00:00Z,y@example.com,,,Y,,,,,1,EUR,,,,,",
        "p-4,2025-01-04T10:00:00Z,z@example.com,,,Z,,,,,1,EUR,,,,,",
        "p-5,2025-02-01T10:00:00Z,bee@example.com,,,,,,,,2,EUR,,,,,",
        "p-6,2025-02-02T10:00:00Z,,+33 1 23 45 67 89,,Bee,,,fr,,3,EUR,,,,,",
        "p-7,2025-02-03T10:00:00Z,bee@example.com,,,Ay,,,de,,4,EUR,,,,,",
        "p-8,2025-02-04T10:00:00Z,w@example.com,,,W,,,,,1,EUR,,,,,",
    ]
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, rows)
    assert lane_use["chunks"] == 2
    assert (lane, lane_counts) == (general, general_counts)
    bee = Person.objects.get(primary_email="bee@example.com")
    assert (bee.display_name, bee.country, bee.order_count, str(bee.total_spent)) == (
        "Bee",
        "FR",
        4,
        "10.80",  # 10 EUR at 1.08
    )


@pytest.mark.django_db  # the whole test runs inside one transaction
def test_an_import_inside_a_transaction_stores_the_same(tmp_path, lane_use):
    from django.db import transaction

    with transaction.atomic():
        lane, general, lane_counts, general_counts = _both_ways(tmp_path, CLEAN + CLEAN_MORE)
    assert lane_use["chunks"] == 4
    assert (lane, lane_counts) == (general, general_counts)


def test_backslashes_and_quotes_are_stored_as_written(tmp_path, lane_use):
    # PostgreSQL gets the rows as COPY text, where a backslash starts an escape.
    rows = [
        r"b\1,2025-01-01T10:00:00Z,b1@example.com,,C\7,A \N B,,,,web,1.50,EUR,"
        r'K\1,"Mug ""\t""",1,1.5,',
        r"b-2,2025-01-02T10:00:00Z,b2@example.com,,,\,,,,,2,EUR,\,\\,2,1,",
        "b-3,2025-01-03T10:00:00Z,b3@example.com,,,'Quote',,,,,3,EUR,,{},1,3,",
    ]
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, rows)
    assert lane_use["chunks"] == 1
    assert (lane, lane_counts) == (general, general_counts)
    assert Touchpoint.objects.get(external_id="b\\1").person.display_name == "A \\N B"
    assert OrderLine.objects.get(product_id="K\\1").product_name == 'Mug "\\t"'


def test_a_cell_padded_only_inside_quotes_is_trimmed(tmp_path, lane_use):
    # The file-wide scan must see padding that only a quote borders.
    rows = [
        'q-1,2025-01-01T10:00:00Z,q1@example.com,,,"Ann ",,,,,1.5,EUR,SKU-1,Mug,1,1.5,',
        "q-2,2025-01-02T10:00:00Z,q2@example.com,,,Bo Li,,,,,2,EUR,SKU-2,Jug,1,2,",
    ]
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, rows)
    assert lane_use["chunks"] == 1
    assert (lane, lane_counts) == (general, general_counts)
    assert Person.objects.get(primary_email="q1@example.com").display_name == "Ann"


def test_padded_and_quoted_cells_are_trimmed_as_the_general_path_trims_them(tmp_path, lane_use):
    # The helper reads clean chunks from the file itself: with csv where a cell is quoted,
    # by splitting where none is, trimming only chunks that have spaces around a cell.
    padded = [
        " p-1 ,2025-01-01T10:00:00Z, p1@example.com ,,,  Pat  Lee ,,,gb , Web,1.5 ,eur,"
        "SKU-1, Mug ,2 ,0.75,",
        "p-2,2025-01-02T10:00:00Z,p2@example.com,,,Pam,,,,,,EUR,SKU-2,Jug,1,3.10,0.05",
        'p-3,2025-01-03T10:00:00Z,p3@example.com,,,"Lee, Pat",,,,,-0,EUR,,"Gift, card",1,,',
        'p-4,"2025-01-04T10:00:00+01:00", p4@example.com,,," Ann ",,,,,,EUR,SKU-3,,1,-0.00,-0',
        "p-5,2025-01-05T10:00:00Z,p5@example.com,,,Pia,,,,,,EUR,SKU-4,Cup,3,,0",
        "p-5,2025-01-05T10:00:00Z,,,,,,,,,,,SKU-5,Saucer,2,1.25,0.50",
    ]
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, padded)
    assert lane_use["chunks"] == 2
    assert (lane, lane_counts) == (general, general_counts)
    assert lane_counts == [(5, 0, 0, [])]
    amounts = dict(Touchpoint.objects.values_list("external_id", "amount"))
    assert {key: str(value) for key, value in amounts.items()} == {
        "p-1": "1.50", "p-2": "3.05", "p-3": "0.00", "p-4": "0.00", "p-5": "2.00",
    }  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-02", "2025-01-02T10:00:00Z", "2025-01-02 10:00:00", "2025-01-02T10:00:00",
        "2025-01-02T10:00:00.5", "2025-01-02T10:00:00.000000Z", "2025-01-02T10:00:00.123456Z",
        "2025-01-02T23:30:00-03:30", "2025-12-31T23:59:59.999999-00:30", "1999-03-01T00:00Z",
        "2025-01-02 01:00:00+05:45", "2024-02-29T12:00:00+00:00",
    ],
)  # fmt: skip
def test_times_are_stored_as_duckdb_reads_them(text):
    import duckdb

    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    expected = db.execute(
        "SELECT strftime(t, '%Y-%m-%d %H:%M:%S') || CASE WHEN "
        "microsecond(t) % 1000000 <> 0 THEN '.' || lpad(CAST(microsecond(t) % 1000000 AS "
        f"VARCHAR), 6, '0') ELSE '' END FROM (SELECT TIMESTAMPTZ '{text}' AS t)"
    ).fetchone()
    assert expected is not None
    assert scan._stored_time(text) == expected[0]


@pytest.mark.parametrize(
    "text", ["0", "-0", "-0.00", "5", "5.5", "007", "00.10", "-5.05", "123456789012.99", "1.2"]
)
def test_money_is_read_as_duckdb_reads_it(text):
    import duckdb

    sql = "SELECT CAST(CAST(? AS DECIMAL(14, 2)) AS VARCHAR)"
    expected = duckdb.connect().execute(sql, [text]).fetchone()
    assert expected is not None
    assert str(scan._cents(text)) == expected[0]


def test_doubtful_rows_take_the_general_path_with_the_same_rejects(tmp_path, lane_use):
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, CLEAN + DOUBTFUL)
    assert lane_use["chunks"] == 2  # the chunks with doubtful rows went the general way
    assert lane == general
    assert lane_counts == general_counts
    accepted, _, rejected, rejects = lane_counts[0]
    assert (accepted, rejected) == (11, 7)
    assert [line.split(",")[0] for line in rejects[1:]] == [
        "12",
        "13",
        "15",
        "16",
        "17",
        "18",
        "19",
    ]


# Values validate_event rejects though they look plain to a quick check: the lane must hand
# their chunks to the general path, which rejects exactly these rows.
HOSTILE = [
    "x-1,2025-03-04T11:00:00Z,nul@example.com,,,Nul\x00Byte,,,,,5,USD,SKU-1,Mug,1,5,",
    "x-2,2025-03-04T11:00:00Z,esc@example.com,,,Esc\x1b[2J,,,,,5,USD,SKU-1,Mug,1,5,",
    "x-3,1900-01-01T00:00:00+05:00,old@example.com,,,Old,,,,,5,USD,SKU-1,Mug,1,5,",
    "x-4,2025-03-04T11:00:00Z,<script>alert(1)</script>@example.com,,,S,,,,,5,USD,,,,,",
    "x-5,2025-03-04T11:00:00Z,dots..x@example.com,,,D,,,,,5,USD,SKU-1,Mug,1,5,",
    "x-6,2025-03-04T11:00:00Z,pigeon@example.com,,,P,,,,pigeon,5,USD,SKU-1,Mug,1,5,",
    "x-7,2025-03-04T11:00:00Z,yen@example.com,,,Y,,,,,5.50,JPY,SKU-1,Mug,1,5.50,",
    "x-8,2025-03-04T11:00:00Z,xyz@example.com,,,X,,,,,5,XYZ,SKU-1,Mug,1,5,",
    "x-9,2025-03-04T11:00:00Z,big@example.com,,,B,,,,,,USD,SKU-1,Mug,1000000,999999999999,",
    "x-10,2025-03-04T11:00:00Z,ctl@example.com,,,C,,,,,5,USD,SKU-1,Mug\x7f,1,5,",
    "x-11,2025-03-04T11:00:00Z,al@example.com,,,Al,,,,E-mail,5,USD,SKU-1,Mug,1,5,",  # stored
]


@pytest.mark.parametrize("row", HOSTILE, ids=[row.split(",")[0] for row in HOSTILE])
def test_a_hostile_row_takes_the_general_path_with_the_same_reject(tmp_path, lane_use, row):
    # One hostile row among clean ones: only the lane's own check can send its chunk away.
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, [*CLEAN, row])
    assert lane == general
    assert lane_counts == general_counts
    accepted, _, rejected, _ = lane_counts[0]
    assert (accepted, rejected) == ((10, 0) if row.startswith("x-11,") else (9, 1))
    assert lane_use["chunks"] >= 2  # the chunks without it took the lane


def test_channels_are_stored_as_the_channel_they_name_either_way(tmp_path, lane_use):
    lane, general, _, _ = _both_ways(tmp_path, [*CLEAN, HOSTILE[-1]])
    assert lane == general
    assert Touchpoint.objects.get(external_id="x-11").channel == "email"
    assert Touchpoint.objects.get(external_id="o-3").channel == "store"  # written "shop"


@pytest.mark.slow  # starts processes
def test_a_spawned_helper_gives_the_same_result(tmp_path, monkeypatch, lane_use):
    import multiprocessing

    # Where forking is not safe (threads, not Linux) the helper starts a fresh interpreter.
    monkeypatch.setattr(hp, "helper_context", lambda: multiprocessing.get_context("spawn"))
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, CLEAN + DOUBTFUL)
    assert lane_use["chunks"] == 2
    assert (lane, lane_counts) == (general, general_counts)


@pytest.mark.skipif(
    hp.helper_context().get_start_method() != "fork",
    reason="the helper is spawned here",
)
def test_a_helper_that_dies_halfway_loses_nothing_stored_before(tmp_path, monkeypatch):
    import os

    prepare = preparing.prepare

    def dying(source, chunk):
        if chunk.first_row > 0:
            os._exit(9)  # the helper is killed while preparing the second chunk
        return prepare(source, chunk)

    monkeypatch.setattr(helper, "prepare", dying)  # the forked helper inherits it
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *CLEAN]) + "\n", encoding="utf-8")
    with pytest.raises(hp.ReaderCrashed, match=r"stopped unexpectedly \(exit code 9\)"):
        Importer("orders", "generic").run(path)
    assert Touchpoint.objects.count() == 4  # the first chunk's orders are kept

    monkeypatch.setattr(helper, "prepare", prepare)
    result = Importer("orders", "generic").run(path)
    assert (result.accepted, result.duplicate) == (5, 4)
    assert Touchpoint.objects.count() == 9


def test_importing_the_same_file_again_adds_nothing_either_way(tmp_path):
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, CLEAN, CLEAN)
    assert lane == general
    assert lane_counts[1][:3] == general_counts[1][:3] == (0, 9, 0)


def test_a_customer_who_links_two_people_merges_them_as_the_general_path_does(tmp_path):
    first = [
        "a-1,2025-01-02T10:00:00Z,one@example.com,,,One,,,,,5,USD,SKU-1,Mug,1,5,",
        "a-2,2025-01-03T10:00:00Z,,+1 415 555 0100,,Two,,,,,5,USD,SKU-1,Mug,1,5,",
    ]
    linking = ["a-3,2025-01-04T10:00:00Z,one@example.com,(415) 555-0100,,,,,,,5,USD,,,,,"]
    lane, general, _, _ = _both_ways(tmp_path, first, linking)
    assert lane == general
    assert len(lane["merges"]) == 1
    assert Person.objects.live().get().order_count == 3


def test_a_file_with_other_columns_or_blank_lines_uses_the_general_path(tmp_path, lane_use):
    extra_column = tmp_path / "facts.csv"
    extra_column.write_text(HEADER + ",fact_pet\n" + CLEAN[0] + ",Biscuit\n", encoding="utf-8")
    assert not scan.eligible("orders", "generic", "csv", extra_column)
    blank_line = tmp_path / "blank.csv"
    blank_line.write_text("\n".join([HEADER, CLEAN[0], "", CLEAN[2]]) + "\n", encoding="utf-8")
    result = Importer("orders", "generic").run(blank_line)
    assert (result.accepted, result.rejected) == (2, 0)
    assert lane_use["chunks"] == 0
    assert not scan.eligible("customers", "generic", "csv", blank_line)
    assert not scan.eligible("orders", "shopify", "csv", blank_line)


def test_files_go_the_general_way_when_a_subscriber_wants_new_touchpoints(tmp_path):
    from devotion.webhooks.models import Subscription

    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *CLEAN]) + "\n", encoding="utf-8")
    hook = Subscription.objects.create(
        url="https://hooks.example.com/in", events=["people.merged"], is_active=True
    )
    assert scan.eligible("orders", "generic", "csv", path)
    hook.events = ["people.merged", "touchpoint.created"]
    hook.save()
    assert not scan.eligible("orders", "generic", "csv", path)


def test_a_missing_required_column_fails_the_file_as_on_the_general_path(tmp_path):
    from devotion.ingest.importer import ImportFailed

    path = tmp_path / "orders.csv"
    path.write_text("external_id,email,amount\no-1,ada@example.com,5\n", encoding="utf-8")
    assert scan.eligible("orders", "generic", "csv", path)
    with pytest.raises(ImportFailed, match=r"missing required columns.*occurred_at"):
        Importer("orders", "generic").run(path)
    assert Touchpoint.objects.count() == 0


def _messy_rows(seed: int, count: int) -> list[str]:
    """Rows mixing every format the lane must either read exactly or hand back."""
    rng = random.Random(seed)
    dates = [
        "2025-01-02T10:00:00Z", "2025-01-02 10:00:00", "2025-01-02", "2025-01-02T10:00:00+05:30",
        "2025-01-02T10:00:00.5Z", "2025-01-02T10:00Z", "2025-1-2", "02/01/2025", "2025-01-02 UTC",
        "2025-01-02T10:00:00-00:30", "2025-02-29", "1899-12-31", " 2025-01-02 ",
        "2025-01-02T23:59:59.999999Z",
        # hostile: before 1900 in UTC, or not even convertible to UTC
        "1900-01-01T00:00:00+05:00", "1900-01-01", "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00", "2999-01-01",
    ]  # fmt: skip
    amounts = [
        "",
        "10",
        "10.5",
        "10.50",
        "10.505",
        "-3.20",
        "1,234.50",
        "$5",
        "abc",
        "0",
        " 7 ",
        "1e3",
        # hostile or ambiguous
        "12,34,5", "12,50", "1.234,50", "1e400", "NaN", "-Infinity", "-0", "999999999999.99",
        "1000000000000", "0.001",
    ]  # fmt: skip
    quantities = ["", "1", "2", "0", "2.0", "01", "1000001", "x", " 3", "1000000"]
    emails = [
        "", "ada@example.com", "ADA@Example.COM", " bob@example.com", "no-at-sign",
        "zoë@example.com", "a b@example.com", "c@d.e", "kim@example.com\t",
        "<script>alert(1)</script>@example.com", "ada..l@example.com", "ada@-x.com",
        "o'brien@example.ie", "a@xn--bcher-kva.de", "ada@example", "x" * 65 + "@example.com",
        "nul\x00@example.com",
    ]  # fmt: skip
    phones = ["", "+44 20 7946 0000", "(415) 555-0100", "call me", "+1 415 555 0100", "020 7946"]
    names = [
        "", "Ada", "  Ada  Lovelace ", "Zoë Ångström", "Ω", "x" * 301, "Straße",
        "Nul\x00Byte", "Esc\x1b[2J", "C1\x9bcontrol", "Del\x7f", "Bell\x07",
        "\x00", "Tab\tinside", "Nbsp\xa0inside",
    ]  # fmt: skip
    countries = ["", "gb", "US", "Deutschland", "ß", "fr "]

    def pick(values: list[str]) -> str:
        # Mostly the first (plain) values, so most chunks take the lane and some do not.
        return rng.choice(values[:3] if rng.random() < 0.97 else values)

    rows = []
    order = 0
    while len(rows) < count:
        order += 1
        for line in range(rng.choice((1, 1, 2, 3))):
            cells = [
                f"m-{order}" if rng.random() > 0.02 else "",
                pick(dates),
                pick(emails),
                pick(phones),
                rng.choice(["", "", "C-1", "C-2", f"C-{rng.randrange(9)}"]),
                pick(names),
                rng.choice(["", "Grace"]),
                rng.choice(["", "Hopper"]),
                pick(countries),
                pick(["", "web", "Shop", "pos", "E-mail", "pigeon", "Instagram", "WEB"]),
                pick(amounts),
                pick(["", "usd", "EUR", "euro", "JPY", "KWD", "XYZ", "50"]),
                rng.choice(["", "SKU-1", "SKU-2"]),
                pick(["", "Mug", "Café crème", "Mug\x00", "Cup\x1f"]),
                pick(quantities),
                pick(amounts),
                pick(amounts),
            ]
            if line and rng.random() < 0.1:
                cells[0] = f"m-{order + 1}"  # an order id that comes back later: a repeat
            rows.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    return rows


@pytest.mark.parametrize("seed", range(1, 9))
def test_messy_files_store_the_same_either_way(tmp_path, lane_use, seed):
    rows = _messy_rows(seed, 120)
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, rows)
    assert lane == general
    assert lane_counts == general_counts
    assert lane_use["chunks"] >= 1  # some chunks took the lane, some did not


@pytest.mark.slow  # starts processes
@pytest.mark.own_sqlite
def test_the_lane_on_a_database_file_as_a_user_runs_it(tmp_path):
    """`devotion import` on the real set-up (a SQLite file in WAL mode): a 4 MB+ file takes
    the lane, with its helper process and the log checkpointed beside the writes, and what is
    stored adds up; a second run adds nothing."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEVOTION_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="devotion.settings")
    devotion = [sys.executable, "-m", "devotion.cli"]
    subprocess.run([*devotion, "migrate", "-v", "0"], env=env, cwd=root, check=True, timeout=120)
    path = tmp_path / "orders.csv"
    rows = [HEADER]
    rng = random.Random(3)
    for n in range(40_000):
        customer = rng.randrange(3_000)
        rows.append(
            f"w-{n},2025-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00Z,"
            f"buyer{customer}@example.com,,C{customer},Buyer {customer},,,US,web,12.50,USD,"
            f"SKU-{n % 40},Product {n % 40} with a long enough name,1,12.50,"
        )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert path.stat().st_size > scan.MIN_BYTES

    for expected in ("40,000 accepted, 0 duplicate", "0 accepted, 40,000 duplicate"):
        done = subprocess.run(
            [*devotion, "import", "orders", str(path)],
            env=env, cwd=root, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout
    with sqlite3.connect(tmp_path / "devotion.sqlite3") as db:
        people, orders, spent = db.execute(
            "SELECT count(*), sum(order_count), sum(total_spent) FROM people_person"
        ).fetchone()
        assert db.execute("SELECT count(*) FROM touchpoints_touchpoint").fetchone() == (40_000,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert (orders, round(spent, 2)) == (40_000, 500_000.0)
    assert 2_500 < people <= 3_000


def test_commits_are_awaited_again_after_an_import(tmp_path):
    """On PostgreSQL the lane's commits do not wait for the log to reach the disk; the
    connection, which a worker keeps for the next job, is back to normal afterwards."""
    from django.db import connection

    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *CLEAN]) + "\n", encoding="utf-8")
    result = Importer("orders", "generic").run(path)
    assert result.accepted == 9
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone() == ("on",)


@pytest.fixture
def memory_use(monkeypatch):
    """How many chunks relied on what earlier chunks of the import stored."""
    used = {"chunks": 0}
    check = store.Memory.check

    def counting(self):
        relied = check(self)
        used["chunks"] += relied
        return relied

    monkeypatch.setattr(store.Memory, "check", counting)
    return used


@pytest.mark.django_db(transaction=True)
def test_later_chunks_rely_on_what_earlier_ones_stored(tmp_path, lane_use, memory_use):
    """With real transactions (as an import runs), chunks after the first use what the
    import stored itself instead of looking it up again, and store the same."""
    import os

    from devotion.ingest import bulk

    lane, general, lane_counts, general_counts = _both_ways(tmp_path, CLEAN + CLEAN_MORE)
    assert lane_use["chunks"] == 4
    assert (lane, lane_counts) == (general, general_counts)
    # PostgreSQL's rule is server-wide: a transaction in any database (here, the tests of
    # another xdist worker) makes a chunk look everything up again. Only alone can this tell.
    if not (bulk.on_postgres() and os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") != "1"):
        assert memory_use["chunks"] >= 2


@pytest.mark.django_db(transaction=True)
def test_later_chunks_are_worked_out_while_the_one_before_is_stored(
    tmp_path, monkeypatch, lane_use
):
    """PostgreSQL: who a chunk's customers are is worked out in a thread while the chunk
    before is stored; an import that uses it stores what the general path stores."""
    import os

    from devotion.ingest import bulk

    if not bulk.on_postgres():
        pytest.skip("SQLite's chunks are worked out as they are stored")
    used = {"plans": 0}
    take = store.Planner.take

    def counting(self, chunk):
        resolved = take(self, chunk)
        used["plans"] += resolved is not None
        return resolved

    monkeypatch.setattr(store.Planner, "take", counting)
    monkeypatch.setattr(scan, "FIRST_CHUNK_ORDERS", 1)
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, CLEAN + CLEAN_MORE)
    assert lane_use["chunks"] == 6
    assert (lane, lane_counts) == (general, general_counts)
    # As above: a transaction of another xdist worker makes a chunk work everything out again.
    if os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") == "1":
        assert used["plans"] >= 2


@pytest.mark.django_db(transaction=True)
def test_a_write_by_someone_else_between_chunks_is_noticed(tmp_path, monkeypatch, memory_use):
    """Another writer merges two people between two chunks: the next chunk does not trust
    what it remembers, and the orders go to the person who now owns the identity."""
    from django.db import connections

    first = [
        "m-1,2025-01-02T10:00:00Z,kim@example.com,,,Kim,,,,,5,USD,SKU-1,Mug,1,5,",
        "m-2,2025-01-02T11:00:00Z,lee@example.com,,,Lee,,,,,5,USD,SKU-1,Mug,1,5,",
        "m-3,2025-01-02T12:00:00Z,max@example.com,,,Max,,,,,5,USD,SKU-1,Mug,1,5,",
        "m-4,2025-01-02T13:00:00Z,ned@example.com,,,Ned,,,,,5,USD,SKU-1,Mug,1,5,",
    ]
    later = [
        "m-5,2025-01-03T10:00:00Z,kim@example.com,,,,,,,,7,USD,SKU-1,Mug,1,7,",
        "m-6,2025-01-03T11:00:00Z,lee@example.com,,,,,,,,7,USD,SKU-1,Mug,1,7,",
    ]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *first, *later]) + "\n", encoding="utf-8")
    original = store.store_prepared
    calls = {"n": 0}

    def meddling(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            # On another connection, as the web app would: Kim's e-mail now belongs to Lee.
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        "UPDATE people_identity SET person_id = "
                        "(SELECT person_id FROM people_identity WHERE value = %s) "
                        "WHERE value = %s",
                        ["lee@example.com", "kim@example.com"],
                    )
                    if other.vendor == "postgresql":
                        cursor.execute("COMMIT")
            finally:
                other.close()
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "store_prepared", meddling)
    result = Importer("orders", "generic").run(path)
    assert result.accepted == 6
    assert memory_use["chunks"] == 0
    lee = Identity.objects.get(value="lee@example.com").person
    assert sorted(lee.touchpoints.values_list("external_id", flat=True)) == ["m-2", "m-5", "m-6"]


@pytest.mark.parametrize(
    ("text", "odd"),
    [
        ("a,b\n1,2\n", False),
        ("a,b\r\n1,2\r\n", False),
        ("a,b\n1,Caf\u00e9 \u2014 ok\n", False),  # an em dash starts like a space but is not one
        ("a,b\n1,x\ry\n", True),  # a carriage return that ends no line
        ("a,b\n1,x\u00a0y\n", True),
        ("a,b\n1,x\ty\n", True),
        ("a,b\n" + "1," + "x" * ((1 << 20) - 7) + "\u2028y\n", True),  # split across blocks
        ("a,b\r\n" + "1," + "x" * ((1 << 20) - 8) + "\r\n2,3\r\n", False),  # CR LF split too
    ],
)
def test_a_file_without_odd_whitespace_skips_the_per_row_test(tmp_path, text, odd):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    source = scan.ColumnarFile(path)
    try:
        assert source._scan()[:2] == (text.count("\n"), odd)
    finally:
        source.close()


@pytest.mark.parametrize(
    ("text", "spaced"),
    [
        ("a,b\n1,Ada Lovelace\n2,x y z\n", False),  # spaces inside cells only
        ("a,b\n1, x\n", True),
        ("a,b\n1 ,x\n", True),
        ("a,b\n 1,x\n", True),
        ("a,b\n1,x \n", True),
        ("a,b\r\n1,x \r\n", True),
        ('a,b\n1,"x "\n', True),
        ('a,b\n1," x"\n', True),
        ("a,b\n1,x ", True),  # the last cell of a file without a final line end
        ("a;b\n1;x y\n2;x, y\n", False),  # a comma is no delimiter here
        ("a;b\n1; x\n", True),
        ("a,b\n1," + "x" * ((1 << 20) - 5) + " ,y\n", True),  # split across blocks
    ],
)
def test_a_file_without_padded_cells_skips_the_per_row_trim_test(tmp_path, text, spaced):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    source = scan.ColumnarFile(path)
    try:
        assert source._scan().spaced is spaced
    finally:
        source.close()


def test_an_order_channel_named_by_its_platform_takes_the_general_path(tmp_path, lane_use):
    """validate_event keeps "instagram" in extra (channel social); the lane writes no extra,
    so such a row goes the general way and both store the platform."""
    row = "o-50,2025-04-01T10:00:00Z,ivy@example.com,,,Ivy,,,,Instagram,20.00,USD,,,,,"
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, [row])
    assert lane_use["chunks"] == 0
    assert (lane, lane_counts) == (general, general_counts)
    assert Touchpoint.objects.get(external_id="o-50").extra == {"platform": "instagram"}


# Found by the importer property tests (tests/test_import_properties.py): the lane read the
# file's lines again splitting at a CR inside a quoted cell, so every later row was read
# shifted (a crash, "zip() argument 2 is shorter than argument 1").
def test_a_cr_inside_a_quoted_cell_leaves_the_later_rows_in_place(tmp_path, lane_use):
    rows = [*CLEAN[:4], 'o-5,2025-02-01T10:00:00Z,cr@example.com,,,"Cr\rLf",,,,,1,USD,,,,,',
            DOUBTFUL[0], *CLEAN[5:]]  # fmt: skip
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, rows)
    assert (lane, lane_counts) == (general, general_counts)
    assert [line.split(",")[0] for line in lane_counts[0][3][1:]] == ["7"]  # o-10's line
    assert lane_use["chunks"] >= 1
    assert Person.objects.get(primary_email="cr@example.com").display_name == "Cr\rLf"


def test_order_ids_that_differ_only_in_whitespace_are_one_order_either_way(tmp_path, lane_use):
    # The general path groups rows by the id stripped of all whitespace; the lane compared
    # ids trimmed of spaces only, so a chunk could end inside such an order (here after o-9's
    # first row, the fourth order of the first chunk).
    rows = [*CLEAN[:4], "o-9,2025-03-03T11:00:00Z,max@example.com,,,Max,,,,,1,USD,SKU-5,Pen,1,1,",
            "\to-9,,,,,,,,,,,,SKU-6,Ink,1,2,", *CLEAN_MORE]  # fmt: skip
    lane, general, lane_counts, general_counts = _both_ways(tmp_path, rows)
    assert (lane, lane_counts) == (general, general_counts)
    assert OrderLine.objects.filter(touchpoint__external_id="o-9").count() == 2


# Found by the importer property tests: a file with classic Mac line ends (CR) whose first
# order id is a quoted cell starting with an LF. The lane counted lines at LF only, found as
# many as DuckDB found rows, and read its chunk again splitting at that LF: the header took
# the start of the row, and the lane stored order '-0"' where the general path stores '-0'.
def test_a_file_with_cr_line_ends_is_read_as_the_general_path_reads_it(tmp_path, lane_use):
    path = tmp_path / "mac.csv"
    path.write_bytes(
        # (A quantity with a control character, ignored without a product, makes the row
        # doubtful to the lane: it reads it again for the general path.)
        b"external_id,occurred_at,email,quantity\r"
        b'"\n-0",2025-07-19T16:40:00Z,lee@example.com,\x0e\r'
    )
    outcomes = []
    for lane in (True, False):
        _wipe()
        result = Importer("orders", "generic", columnar=lane).run(path)
        rejects = result.rejects_path.read_text() if result.rejects_path else ""
        outcomes.append(((result.accepted, result.duplicate, result.rejected, rejects), _state()))
    assert outcomes[0] == outcomes[1]
    assert list(Touchpoint.objects.values_list("external_id", flat=True)) == ["-0"]
