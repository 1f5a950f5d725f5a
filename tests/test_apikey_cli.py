"""``devotion apikey create|list|revoke``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devotion.api.models import ApiKey, hash_key
from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("apikey", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_key_once_and_stores_only_its_hash():
    output = _run("create", "--name", "Shop sync", "--scopes", "events:write,people:read")
    raw = output.strip().splitlines()[-1]
    assert raw.startswith("dvt_")
    key = ApiKey.objects.get()
    assert key.key_hash == hash_key(raw)
    assert key.scopes == ["events:write", "people:read"]
    assert f"Prefix: {key.prefix}" in output
    assert raw not in _run("list")
    audit = AuditEvent.objects.get(action="apikey.create")
    assert raw not in str(audit.detail) and audit.actor_label == "cli"


def test_an_unknown_scope_is_a_clear_error():
    with pytest.raises(CommandError, match="unknown scope"):
        _run("create", "--name", "x", "--scopes", "events:write,everything")
    assert not ApiKey.objects.exists()


def test_list_shows_each_key_and_its_status():
    ApiKey.create("first", ["events:write"])
    second, _ = ApiKey.create("second", ["people:read"])
    second.revoke()
    output = _run("list")
    assert "first" in output and "second" in output
    assert "revoked" in output and "active" in output


def test_revoke_by_prefix_or_id():
    first, _ = ApiKey.create("first", ["events:write"])
    second, _ = ApiKey.create("second", ["events:write"])
    _run("revoke", first.prefix)
    _run("revoke", str(second.pk))
    assert not ApiKey.objects.filter(revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="apikey.revoke").count() == 2


def test_revoking_an_unknown_key_fails():
    with pytest.raises(CommandError, match="no API key"):
        _run("revoke", "dvt_nothing")


def test_the_devotion_command_exits_non_zero_on_an_unknown_scope(capsys):
    from devotion.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["apikey", "create", "--name", "x", "--scopes", "nope"])
    assert exit_info.value.code != 0
    assert "unknown scope" in capsys.readouterr().err
