"""A file saved as Windows-1252 / Latin-1 (Excel on Windows) imports with its accents intact."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command

from devotion.ingest.detect import detect_encoding
from devotion.ingest.importer import Importer
from devotion.ingest.models import ImportRun
from devotion.people.models import Person

pytestmark = pytest.mark.django_db

ROWS = (
    "email,name,country\n"
    "rene@example.com,René Müller,FR\n"
    "jurgen@example.com,Jürgen Größe,DE\n"
    "bad-address,Zoë €uro,FR\n"
)


def _cp1252(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(ROWS.encode("cp1252"))
    return path


def test_a_cp1252_file_is_detected_and_a_utf8_one_is_not_mistaken_for_it(tmp_path):
    assert detect_encoding(_cp1252(tmp_path)) == "cp1252"
    utf8 = tmp_path / "utf8.csv"
    utf8.write_text(ROWS, encoding="utf-8")
    assert detect_encoding(utf8) == "utf-8"
    bom = tmp_path / "bom.csv"
    bom.write_text(ROWS, encoding="utf-8-sig")
    assert detect_encoding(bom) == "utf-8"


def test_names_from_a_cp1252_file_are_stored_with_their_accents(tmp_path):
    result = Importer("customers").run(_cp1252(tmp_path))
    assert (result.accepted, result.rejected) == (2, 1)
    names = sorted(Person.objects.values_list("display_name", flat=True))
    assert names == ["Jürgen Größe", "René Müller"]
    assert ImportRun.objects.get().encoding == "cp1252"


def test_the_rejects_of_a_cp1252_file_are_written_in_utf8_with_the_right_characters(tmp_path):
    result = Importer("customers").run(_cp1252(tmp_path))
    assert result.rejects_path is not None
    text = result.rejects_path.read_text(encoding="utf-8")
    assert "\ufffd" not in text
    rows = list(csv.reader(text.splitlines()))
    assert rows[1][2:] == ["bad-address", "Zoë €uro", "FR"]


def test_the_command_says_which_encoding_it_read(tmp_path, capsys):
    call_command("import_data", "customers", str(_cp1252(tmp_path)))
    assert "read as Windows-1252" in capsys.readouterr().out


def test_the_run_page_says_which_encoding_it_read(tmp_path, manager, login):
    Importer("customers").run(_cp1252(tmp_path))
    run = ImportRun.objects.get()
    page = login(manager).get(f"/imports/{run.pk}/")
    assert "Windows-1252" in page.text


def test_a_utf8_file_damaged_before_its_first_accent_is_still_read_as_utf8(tmp_path):
    # Found by the importer property tests: the first bad byte came before any accent, so
    # the whole file was read as Windows-1252 and every later name garbled ("RenÃ©").
    path = tmp_path / "customers.csv"
    path.write_bytes(
        b"email,name,country\n"
        b"broken@example.com,Bad \xed\xa0\x80 bytes,FR\n"
        b"rene@example.com,Ren\xc3\xa9 M\xc3\xbcller,FR\n"
    )
    assert detect_encoding(path) == "utf-8"
    result = Importer("customers").run(path)
    assert (result.accepted, result.rejected) == (1, 1)
    assert Person.objects.get().display_name == "René Müller"
