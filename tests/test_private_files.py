"""Everything Devotion writes under DEVOTION_HOME (and exports) is readable by its user only."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from devotion.lib.private_files import make_private
from devotion.people.models import Person

# Opens the database the way the app does (WAL on), writes to it, and keeps the connection
# open so the -wal and -shm files are still there when the test looks.
_START = """
import django, os, sys
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS t (x int)")
    cursor.execute("INSERT INTO t VALUES (1)")
sys.stdout.write("ready\\n"); sys.stdout.flush(); sys.stdin.read()
"""


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def _start_app(home: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(DEVOTION_HOME=str(home), DJANGO_SETTINGS_MODULE="devotion.settings")
    env.pop("DEVOTION_SECRET_KEY", None)
    process = subprocess.Popen(  # a permissive umask, as a shell usually has
        [sys.executable, "-c", _START],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    return process


def _stop(process: subprocess.Popen[str]) -> None:
    process.communicate("", timeout=30)


def test_a_new_home_and_everything_in_it_are_private(tmp_path):
    home = tmp_path / "home"
    process = _start_app(home)
    try:
        assert _mode(home) == "0o700"
        for name in [
            "secret_key",
            "devotion.sqlite3",
            "devotion.sqlite3-wal",
            "devotion.sqlite3-shm",
        ]:
            assert _mode(home / name) == "0o600", name
        assert _mode(home / "static") == "0o700"
    finally:
        _stop(process)


def test_an_older_world_readable_home_is_tightened_at_start(tmp_path):
    home = tmp_path / "home"
    (home / "media" / "imports").mkdir(parents=True)
    report = home / "media" / "imports" / "orders.rejected.csv"
    report.write_text("line,reason\n")
    (home / "devotion.sqlite3").touch()
    for path, mode in [
        (home, 0o755),
        (home / "media", 0o755),
        (home / "media" / "imports", 0o755),
        (report, 0o644),
        (home / "devotion.sqlite3", 0o644),
    ]:
        path.chmod(mode)
    _stop(_start_app(home))
    assert _mode(home) == "0o700"
    assert _mode(home / "media") == "0o700"
    assert _mode(home / "media" / "imports") == "0o700"
    assert _mode(report) == "0o600"
    assert _mode(home / "devotion.sqlite3") == "0o600"


def test_the_process_creates_files_and_folders_for_its_user_only(tmp_path):
    # Settings set the umask for every Devotion process, this test run included.
    make_private(tmp_path / "home")
    (tmp_path / "home" / "a-file").write_text("x")
    (tmp_path / "home" / "a-folder").mkdir()
    assert _mode(tmp_path / "home" / "a-file") == "0o600"
    assert _mode(tmp_path / "home" / "a-folder") == "0o700"


def test_stored_uploads_are_private_too(tmp_path, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path / "media")
    name = storage.save("imports/new/orders.csv", ContentFile(b"id\n1\n"))
    assert _mode(tmp_path / "media" / name) == "0o600"
    assert _mode(tmp_path / "media" / "imports" / "new") == "0o700"


@pytest.mark.django_db
def test_a_person_export_file_is_private_even_if_it_existed(tmp_path):
    person = Person.objects.create(primary_email="ada@example.com")
    target = tmp_path / "ada.json"
    target.write_text("old")
    target.chmod(0o644)
    call_command("person", "export", str(person.pk), "-o", str(target), stderr=io.StringIO())
    assert _mode(target) == "0o600"
    assert "ada@example.com" in target.read_text()
