"""A finished import links to the people it created and changed."""

from __future__ import annotations

import pytest

from devotion.ingest.importer import Importer
from devotion.ingest.models import ImportRun
from devotion.people.models import Person

# Storage announces what it stored on commit: the import must really commit its batches.
pytestmark = pytest.mark.django_db(transaction=True)


def _import(tmp_path, name, rows):
    """Import customers (e-mail, name[, country]); a country fills an existing profile in."""
    path = tmp_path / name
    lines = "".join(",".join([*row, ""][:3]) + "\n" for row in rows)
    path.write_text("email,name,country\n" + lines, encoding="utf-8")
    Importer("customers", batch_size=2).run(path)
    return ImportRun.objects.get(filename=name)


def test_an_import_records_the_people_it_created_and_changed(tmp_path):
    first = _import(tmp_path, "first.csv", [("ada@example.com", "Ada"), ("bob@example.com", "Bob")])
    second = _import(
        tmp_path,
        "second.csv",
        [("bob@example.com", "Robert", "FR"), ("cy@example.com", "Cy"), ("di@example.com", "Di")],
    )
    assert (first.people_created, first.people_changed) == (2, 0)
    assert (second.people_created, second.people_changed) == (2, 1)
    bob = Person.objects.get(primary_email="bob@example.com")
    assert second.people_changed_ids == [bob.pk]
    chosen = Person.objects.filter(second.people_filter())
    assert sorted(chosen.values_list("primary_email", flat=True)) == [
        "bob@example.com",
        "cy@example.com",
        "di@example.com",
    ]


def test_the_run_page_links_to_the_customers_list_filtered_to_them(tmp_path, manager, login):
    _import(tmp_path, "first.csv", [("ada@example.com", "Ada")])
    run = _import(
        tmp_path, "second.csv", [("ada@example.com", "Ada", "FR"), ("cy@example.com", "Cy")]
    )
    client = login(manager)
    page = client.get(f"/imports/{run.pk}/")
    assert "1 person created, 1 changed" in page.text
    assert f'href="/customers/?import={run.pk}"' in page.text

    listed = client.get(f"/customers/?import={run.pk}")
    assert listed.status_code == 200
    assert "Cy" in listed.text and "Ada" in listed.text
    others = _import(tmp_path, "third.csv", [("zed@example.com", "Zed")])
    assert "Zed" not in client.get(f"/customers/?import={run.pk}").text
    assert "Zed" in client.get(f"/customers/?import={others.pk}").text


def test_a_bad_import_filter_shows_everyone(tmp_path, manager, login):
    _import(tmp_path, "first.csv", [("ada@example.com", "Ada")])
    page = login(manager).get("/customers/?import=nope")
    assert page.status_code == 200
    assert "Ada" in page.text


def test_the_export_of_an_imports_people_holds_only_them(tmp_path, manager, login):
    run = _import(tmp_path, "first.csv", [("ada@example.com", "Ada")])
    _import(tmp_path, "second.csv", [("zed@example.com", "Zed")])
    client = login(manager)
    response = client.get(f"/customers/export.csv?import={run.pk}")
    body = b"".join(response.streaming_content).decode()
    assert "ada@example.com" in body
    assert "zed@example.com" not in body
