"""A real worker, killed between the warning and the breach: no alert lost, none doubled.

Runs ``devotion worker`` (the default and webhooks queues) as a process on a fresh SQLite
installation, with mail going through SMTP to a local aiosmtpd server and the webhooks to a
local HTTP receiver that checks their signatures. A lead with a one-minute first-reply promise
(warning at half time), which arrived 35 s ago, is stored; the worker sends the warning; it is
killed (SIGKILL) before the breach; a new worker starts after the due time and escalates. Each
alert arrives once. (Arriving 35 s ago puts the warning behind and the breach 25 s ahead, so
the test waits 30 s, not 80.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.followup.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]

SETUP = """
from django.contrib.auth.models import User
from devotion.followup.models import SlaPolicy, SupportTeam
from devotion.ingest.store import ingest
from devotion.team.models import StaffMember
from devotion.webhooks.models import Subscription

boss = User.objects.create_user("boss", "boss@shop.example", "x")
agent = User.objects.create_user("ana", "ana@shop.example", "x")
manager = StaffMember.objects.create(user=boss, display_name="Boss", role="manager")
StaffMember.objects.create(user=agent, display_name="Ana", role="agent")
SupportTeam.objects.update(hours="daily 00:00-24:00", timezone="UTC", manager=manager)
SlaPolicy.objects.all().delete()
SlaPolicy.objects.create(
    name="Fast leads", kinds=["lead"], first_reply_minutes=1, warn_at_percent=50
)
sub = Subscription.objects.create(
    url="http://127.0.0.1:{hook_port}/hook",
    events=["reply_promise.warning", "reply_promise.breached"],
)
print("SECRET", sub.secret)
ingest([{{
    "kind": "lead", "source": "webform", "external_id": "lead-1",
    "occurred_at": "{now}", "person": {{"email": "lead@bigco.example", "name": "Lee Ada"}},
    "channel": "web", "direction": "in", "text": "Please quote 300 mugs.",
}}])
"""


class _Hooks(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hooks.received.append(
            (self.headers["Devotion-Event"], self.headers["Devotion-Signature"], body)
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_killing_the_worker_between_warning_and_breach_loses_and_doubles_nothing(
    tmp_path: Path, smtp_inbox
):
    from datetime import UTC, datetime, timedelta

    from devotion.lib.signing import verify

    hooks = HTTPServer(("127.0.0.1", free_port()), _Hooks)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    _Hooks.received = []
    smtp_port = smtp_inbox.port
    env = {
        **os.environ,
        "DEVOTION_HOME": str(tmp_path / "home"),
        "DATABASE_URL": "",
        "DEVOTION_MAIL": "smtp",
        "DEVOTION_SMTP_HOST": "127.0.0.1",
        "DEVOTION_SMTP_PORT": str(smtp_port),
        "DEVOTION_FOLLOWUP_TIMER_SECONDS": "1",
        "DEVOTION_WEBHOOKS_ALLOW_LOOPBACK": "true",
    }
    devotion = [sys.executable, "-m", "devotion.cli"]
    subprocess.run([*devotion, "migrate", "-v", "0"], env=env, check=True)
    started = datetime.now(UTC) - timedelta(seconds=35)  # when the lead wrote
    script = SETUP.format(hook_port=hooks.server_port, now=started.isoformat())
    out = subprocess.run(
        [*devotion, "shell", "-c", script], env=env, check=True, capture_output=True, text=True
    )
    secret = out.stdout.split("SECRET", 1)[1].split()[0]

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*devotion, "worker", "--queues", "default,webhooks", "--interval", "0.3"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def subjects() -> list[str]:
        return [message_from_bytes(e.content)["Subject"] for e in smtp_inbox.envelopes]

    worker = start_worker()
    try:
        # 1. The warning (due at 30 s, already past): by e-mail and webhook.
        _wait(lambda: len(subjects()) >= 1 and len(_Hooks.received) >= 1, 60, "the warning")
        # 2. Killed outright before the breach (at 60 s).
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        assert (datetime.now(UTC) - started).total_seconds() < 58, "too slow to test the gap"
        time.sleep(max(0.0, 62 - (datetime.now(UTC) - started).total_seconds()))
        # 3. A new worker, after the due time: the escalation, once.
        worker = start_worker()
        _wait(lambda: len(subjects()) >= 2 and len(_Hooks.received) >= 2, 60, "the breach")
        time.sleep(4)  # a few more sweeps: nothing more may come
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
        hooks.shutdown()
        hooks.server_close()
    assert subjects() == [
        "Reply due soon: first reply to Lee Ada",
        "Reply promise broken: first reply to Lee Ada",
    ]
    assert smtp_inbox.envelopes[1].rcpt_tos == ["boss@shop.example"]  # unassigned: the manager
    assert [event for event, _, _ in _Hooks.received] == [
        "reply_promise.warning",
        "reply_promise.breached",
    ]
    for _, signature, body in _Hooks.received:
        assert verify(secret, signature, body)
        assert json.loads(body)["data"]["target"] == "first_reply"
