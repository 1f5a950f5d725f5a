"""DEVOTION_MAIL picks the mail backend; `devotion demo` leaves a mail-mode file that sets it."""

from __future__ import annotations

import subprocess
import sys

import pytest

SNIPPET = "from django.conf import settings; print(settings.MAILERS['default']['BACKEND'])"


def _backend(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    environ = {k: v for k, v in os.environ.items() if k != "DEVOTION_MAIL"}
    environ |= {"DEVOTION_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "devotion.settings"}
    environ |= env
    code = f"import django; django.setup(); {SNIPPET}"
    return subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=False
    )


def test_smtp_is_the_default(tmp_path):
    assert _backend(tmp_path).stdout.strip() == "devotion.core.mail.SmtpOutboxBackend"


def test_the_mail_mode_file_selects_the_outbox_and_the_variable_wins(tmp_path):
    (tmp_path / "mail-mode").write_text("outbox\n")
    assert _backend(tmp_path).stdout.strip() == "devotion.core.mail.OutboxBackend"
    forced = _backend(tmp_path, DEVOTION_MAIL="smtp")
    assert forced.stdout.strip() == "devotion.core.mail.SmtpOutboxBackend"


@pytest.mark.parametrize("value", ["carrier-pigeon", "yes"])
def test_an_unknown_mail_mode_stops_the_app_with_a_clear_error(tmp_path, value):
    result = _backend(tmp_path, DEVOTION_MAIL=value)
    assert result.returncode != 0
    assert f"DEVOTION_MAIL='{value}' is not one of smtp, outbox" in result.stderr
