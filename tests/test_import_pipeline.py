"""A large file is read by a helper process while this one stores: same results, same report,
and a failure on either side is reported clearly and loses nothing stored before it."""

from __future__ import annotations

import os

import pytest

from devotion.ingest import helper_process as hp
from devotion.ingest import importer
from devotion.ingest.importer import Importer, ImportFailed
from devotion.ingest.models import ImportRun
from devotion.ingest.store import ingest as real_ingest
from devotion.touchpoints.models import OrderLine, Touchpoint

pytestmark = pytest.mark.django_db
# The crash tests patch the mapper here and rely on the helper inheriting the patch (fork).
needs_fork = pytest.mark.skipif(
    hp.helper_context().get_start_method() != "fork",
    reason="the helper is spawned here",
)


def _orders(path, count, bad_every=0):
    rows = []
    for n in range(1, count + 1):
        email = "not-an-email" if bad_every and n % bad_every == 0 else f"c{n % 7}@example.com"
        rows.append(f"o-{n},2025-05-01T10:00:00Z,{email},SKU-{n % 3},{n}.00")
        rows.append(f"o-{n},2025-05-01T10:00:00Z,{email},SKU-X,1.00")  # a second line
    path.write_text(
        "external_id,occurred_at,email,product_id,unit_price\n" + "\n".join(rows) + "\n"
    )


def _stored():
    return sorted(Touchpoint.objects.values_list("external_id", "amount", "person__primary_email"))


def test_the_helper_process_gives_the_same_result_and_report_as_reading_here(tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    _orders(here / "orders.csv", 45, bad_every=10)
    _orders(there / "orders.csv", 45, bad_every=10)

    local = Importer("orders", batch_size=10, pipeline=False).run(here / "orders.csv")
    stored_locally = _stored()
    lines_locally = OrderLine.objects.count()
    Touchpoint.objects.all().delete()
    piped = Importer("orders", batch_size=10, pipeline=True).run(there / "orders.csv")

    assert (piped.accepted, piped.duplicate, piped.rejected) == (41, 0, 4)
    assert (local.accepted, local.duplicate, local.rejected) == (41, 0, 4)
    assert piped.preview == local.preview
    assert piped.preview[0] == {
        "line": 20,
        "reason": "email 'not-an-email' is not an e-mail address",
    }
    assert (there / "orders.rejected.csv").read_text() == (here / "orders.rejected.csv").read_text()
    assert _stored() == stored_locally
    assert OrderLine.objects.count() == lines_locally == 82


def test_a_header_problem_found_by_the_helper_fails_the_import_with_its_message(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("external_id,email\no-1,a@example.com\n")
    with pytest.raises(ImportFailed, match="missing required columns for generic orders"):
        Importer("orders", pipeline=True).run(path)
    assert ImportRun.objects.get().status == "failed"


@needs_fork
def test_a_crash_in_the_helper_keeps_the_batches_stored_before_it(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    _orders(path, 50)
    real_map = importer.Mapper.map

    def map_until_order_31(self, rows):
        if rows[0]["external_id"] == "o-31":
            raise MemoryError("the helper ran out of memory")
        return real_map(self, rows)

    monkeypatch.setattr(importer.Mapper, "map", map_until_order_31)
    with pytest.raises(hp.ReaderCrashed, match="MemoryError: the helper ran out of memory"):
        Importer("orders", batch_size=10, pipeline=True).run(path)
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert "reading orders.csv failed" in run.error
    assert (run.rows_accepted, Touchpoint.objects.count()) == (30, 30)


@needs_fork
def test_a_helper_that_dies_is_reported_and_the_batches_before_it_stay(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    _orders(path, 50)
    real_map = importer.Mapper.map

    def die_at_order_21(self, rows):
        if rows[0]["external_id"] == "o-21":
            os._exit(9)  # killed: no message, no clean-up
        return real_map(self, rows)

    monkeypatch.setattr(importer.Mapper, "map", die_at_order_21)
    with pytest.raises(hp.ReaderCrashed, match=r"stopped unexpectedly \(exit code 9\)"):
        Importer("orders", batch_size=10, pipeline=True).run(path)
    assert Touchpoint.objects.count() == 20


def test_a_crash_while_storing_stops_the_helper_and_a_rerun_finishes(tmp_path, monkeypatch):
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
        Importer("orders", batch_size=10, pipeline=True).run(path)
    assert Touchpoint.objects.count() == 20

    monkeypatch.setattr(importer, "ingest", real_ingest)
    result = Importer("orders", batch_size=10, pipeline=True).run(path)
    assert (result.accepted, result.duplicate) == (30, 20)
    assert Touchpoint.objects.count() == 50


@pytest.mark.slow  # starts a fresh Python for the helper
def test_a_spawned_helper_works_where_fork_is_not_safe(tmp_path, monkeypatch):
    import multiprocessing

    monkeypatch.setattr(hp, "helper_context", lambda: multiprocessing.get_context("spawn"))
    path = tmp_path / "orders.csv"
    _orders(path, 25, bad_every=10)
    result = Importer("orders", batch_size=10, pipeline=True).run(path)
    assert (result.accepted, result.duplicate, result.rejected) == (23, 0, 2)
    assert [row["line"] for row in result.preview] == [20, 40]
    assert OrderLine.objects.count() == 46


# --- Receiving in a thread (helper_messages(..., ahead=True)), as the columnar lane does --------


def _count_to(last, exit_code, conn):
    """A helper body: sends ("n", 1) ... ("n", last), then dies with exit_code or says done."""
    for n in range(1, last + 1):
        conn.send(("n", n))
    if exit_code:
        os._exit(exit_code)
    conn.send(("done", None))
    conn.close()


@pytest.mark.django_db(False)
@pytest.mark.parametrize("ahead", [False, True])
def test_messages_come_in_order_either_way(tmp_path, ahead):
    got = []
    for kind, n in hp.helper_messages(_count_to, (50, 0), tmp_path / "f.csv", ahead=ahead):
        if kind == "done":
            break
        got.append(n)
    assert got == list(range(1, 51))


@needs_fork
@pytest.mark.django_db(False)
@pytest.mark.parametrize("ahead", [False, True])
def test_a_helper_that_dies_is_reported_after_what_it_sent(tmp_path, ahead):
    got = []
    with pytest.raises(hp.ReaderCrashed, match=r"stopped unexpectedly \(exit code 7\)"):
        for _, n in hp.helper_messages(_count_to, (3, 7), tmp_path / "f.csv", ahead=ahead):
            got.append(n)
    assert got == [1, 2, 3]


@pytest.mark.django_db(False)
def test_stopping_early_stops_the_helper_and_the_receiving_thread(tmp_path):
    import threading

    before = threading.active_count()
    messages = hp.helper_messages(_count_to, (10_000, 0), tmp_path / "f.csv", ahead=True)
    assert next(messages) == ("n", 1)
    messages.close()  # the helper is still sending: it is stopped, the thread ends
    assert threading.active_count() == before
