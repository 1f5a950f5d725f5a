"""Benchmark: the reply queue, its API, the coach request and the timer sweep (issue 16).

Builds (or with ``--reuse`` re-opens) a database with 1,000,000 people and 100,000 items
awaiting a reply, then measures:

- the queue page ``/queue/`` as a logged-in agent: the default view, "mine" and a channel
  filter; ``GET /api/v1/queue`` (first page, "mine", a channel) with a ``queue:read`` key;
  the coach panel request the draft box sends as the agent types
  (``POST /queue/<id>/coach/``) — each ``--requests`` times after a warm-up, through
  Django's full stack in this process (the test client, as ``bench_pages.py`` does);
  p50 / p95 / max of the whole request, database included, and the process CPU time;
- the timer sweep (``devotion.followup.timers.sweep``) over the 100,000 active promises: at a
  moment when nothing is due (nothing fires); 30 s later (what fires between two sweeps:
  their warnings and breaches are marked and the alerts sent to the outbox); and
  ``--backlog-minutes`` later (the first sweep after a worker stopped that long; it sends at
  most 500 alerts, the next sweeps the rest). Each run is rolled back, so every run sees the
  same promises; the median of ``--sweep-runs``.

    uv run python bench/bench_queue.py --db sqlite                # seeds, then measures
    uv run python bench/bench_queue.py --db sqlite --reuse        # the same database again
    uv run python bench/bench_queue.py --db postgres --pg-name fup_bench_queue --reuse

Seeding: ``bench/seed_large.py`` loads the people and a sparse timeline (``--touchpoints``,
Pareto-spread) in bulk; the inbound messages, reviews, comments and calls among them become
the conversations, each with one running first- or next-reply promise, inserted with
``executemany`` in one transaction. Channels, priorities (10 % high, 3 % urgent), assignees
(60 % assigned among 20 agents), teams by channel, targets (1 h to 1 day), time left, 10 %
warned and 8 % already breached come from a seeded random generator. Measured: about 6.5
minutes on SQLite and 4.5 on PostgreSQL (machine speed 2 to 5 s, shared); ``--reuse`` skips it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed_large
from bench.common import machine, percentile

PG_SERVER = seed_large.PG_SERVER
TARGET_P95_MS = 100.0
TARGET_COACH_P95_MS = 50.0
TARGET_SWEEP_S = 1.0
AGENTS = 20
INBOUND_KINDS = ("message", "review", "social_comment", "survey_answer", "call")
# Targets in minutes by channel (the first reply promise a manager would set).
TARGETS = {"email": 480, "review_site": 1440, "social": 240, "phone": 60}
DRAFT = (
    "Hi, I am sorry the order was late. I will check the tracking and our policy says we "
    "refund shipping on late parcels, so I have refunded it. You will hear from me tomorrow."
)


# --- setup --------------------------------------------------------------------------------------


def _settings_env(args: argparse.Namespace) -> None:
    if args.db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{args.pg_name}"
        os.environ["DEVOTION_HOME"] = args.home
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["DEVOTION_HOME"] = str(Path(args.home).resolve())
    os.environ["DJANGO_SETTINGS_MODULE"] = "devotion.settings"
    os.environ["DEVOTION_API_RATE_LIMIT"] = "1000000000"  # measure the endpoint, not the limit
    os.environ["DEVOTION_MAIL"] = "outbox"  # alerts kept in the outbox, no SMTP server needed
    Path(args.home).mkdir(parents=True, exist_ok=True)


def _seeded(args: argparse.Namespace) -> bool:
    """Whether the database already holds the queue (for ``--reuse``)."""
    if args.db == "sqlite":
        if not (Path(args.home) / "devotion.sqlite3").exists():
            return False
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [args.pg_name]
            ).fetchone()
        if found is None:
            return False
    import django

    django.setup()
    from django.db import DatabaseError, connections

    from devotion.followup.models import ReplyPromise

    try:
        return ReplyPromise.objects.exists()
    except DatabaseError:
        return False
    finally:
        connections.close_all()  # seeding may replace the database


def seed(args: argparse.Namespace) -> None:
    """People and their sparse timeline by seed_large, then the conversations and promises."""
    base = argparse.Namespace(
        people=args.people,
        touchpoints=args.touchpoints,
        seed=args.seed,
        pg_name=args.pg_name,
        home=args.home,
    )
    if args.db == "postgres":
        seed_large.seed_postgres(base)
    else:
        seed_large.seed_sqlite(base)
    start = time.perf_counter()
    _seed_queue(args)
    print(f"conversations and promises: {time.perf_counter() - start:.1f}s", flush=True)


def _seed_queue(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from devotion.followup.models import SupportTeam
    from devotion.team.models import Role, StaffMember

    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    postgres = connection.vendor == "postgresql"
    json = "::jsonb" if postgres else ""

    def at(moment: datetime | None) -> Any:
        """A time as the driver takes it (SQLite: naive UTC text, as Django stores it)."""
        if moment is None or postgres:
            return moment
        return seed_large._naive(moment)

    with transaction.atomic():
        agents = []
        for n in range(AGENTS):
            user = User.objects.create(username=f"bench-agent-{n}", email=f"agent{n}@example.com")
            agents.append(
                StaffMember.objects.create(user=user, display_name=f"Agent {n}", role=Role.AGENT)
            )
        boss = User.objects.create(username="bench-manager", email="manager@example.com")
        manager = StaffMember.objects.create(
            user=boss, display_name="Bench Manager", role=Role.MANAGER
        )
        teams = {
            channel: SupportTeam.objects.create(
                name=f"{channel} team", channels=[channel], manager=manager
            )
            for channel in TARGETS
        }
        for team in teams.values():
            team.members.set(agents)

    # The inbound touchpoints that wait for a reply: one conversation per thread.
    with connection.cursor() as cur:
        marks = ", ".join(["%s"] * len(INBOUND_KINDS))
        cur.execute(
            "SELECT id, person_id, kind, channel, source, subject, thread, occurred_at "
            f"FROM touchpoints_touchpoint WHERE direction = 'in' AND kind IN ({marks}) "
            "ORDER BY id",
            list(INBOUND_KINDS),
        )
        candidates = cur.fetchall()
    seen: set[str] = set()
    picked = []
    for row in candidates:
        key = row[6] or f"tp-{row[0]}"
        if key not in seen:
            seen.add(key)
            picked.append((key, *row))
        if len(picked) == args.items:
            break
    if len(picked) < args.items:
        raise SystemExit(f"only {len(picked):,} inbound threads: raise --touchpoints")

    conversations, promises = [], []
    for cid, (key, tp_id, person_id, kind, channel, source, subject, _, _) in enumerate(
        picked, start=1
    ):
        channel = channel if channel in TARGETS else "email"
        draw = rng.random()
        priority = "urgent" if draw < 0.03 else "high" if draw < 0.13 else "normal"
        assignee = rng.choice(agents).pk if rng.random() < 0.6 else None
        team = teams[channel].pk
        target = TARGETS[channel] // (4 if priority == "urgent" else 2 if priority == "high" else 1)
        state, warned_at, breached_at = "open", None, None
        fate = rng.random()
        if fate < 0.08:  # broken already (an earlier sweep marked it)
            due = now - timedelta(minutes=rng.uniform(1, 2 * 1440))
            state, warned_at, breached_at = "breached", due, due
        else:  # somewhere in its time; those past 75 % are warned already
            due = now + timedelta(minutes=max(1.0, target * rng.uniform(0, 1)))
        warn = due - timedelta(minutes=target * 0.25)
        if state == "open" and warn <= now:
            warned_at = now - timedelta(seconds=rng.uniform(1, 600))
        started = due - timedelta(minutes=target)
        opened = min(started, now)
        negative = kind in ("review", "social_comment") and rng.random() < 0.3
        conversations.append(
            (cid, key, person_id, kind, channel, source, subject[:500], "open", priority,
             assignee, team, negative, True, at(opened), at(opened), at(opened), at(now), tp_id)
        )  # fmt: skip
        first = rng.random() < 0.8
        promises.append(
            (tp_id, cid, team, channel, "first_reply" if first else "next_reply", target, 75,
             at(started), at(started), 0.0, at(due), at(warn), state, assignee, at(warned_at),
             at(breached_at), "[]")
        )  # fmt: skip
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO followup_conversation (id, key, person_id, kind, channel, source, "
            "subject, status, priority, assignee_id, team_id, negative, awaiting_reply, "
            "opened_at, last_inbound_at, last_message_at, updated_at, last_message_id) "
            f"VALUES ({', '.join(['%s'] * 18)})",
            conversations,
        )
        cur.executemany(
            "INSERT INTO followup_replypromise (touchpoint_id, conversation_id, team_id, "
            "channel, target, target_minutes, warn_at_percent, started_at, running_since, "
            "used_minutes, due_at, warn_at, state, assignee_id, warned_at, breached_at, log) "
            f"VALUES ({', '.join(['%s'] * 16)}, %s{json})",
            promises,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('followup_conversation', 'id'), "
                "(SELECT max(id) FROM followup_conversation))"
            )
            for table in ("followup_conversation", "followup_replypromise"):
                cur.execute(f"ANALYZE {table}")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


# --- measuring ----------------------------------------------------------------------------------


def _clients() -> tuple[Any, str, int]:
    """A test client logged in as the busiest agent, an API key, and that agent's id."""
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.test import Client

    from devotion.api.models import ApiKey
    from devotion.followup.models import Conversation

    busiest = (
        Conversation.objects.filter(assignee__isnull=False)
        .values("assignee")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert busiest is not None
    user = User.objects.get(staff__pk=busiest["assignee"])
    client = Client()
    client.force_login(user)
    _, key = ApiKey.create("bench-queue", ["queue:read"])
    return client, key, busiest["assignee"]


def _time(call: Any, n: int, warmup: int) -> tuple[list[float], float]:
    """Milliseconds of each of ``n`` calls after ``warmup``, and the CPU ms per call."""
    for _ in range(warmup):
        call()
    times = []
    cpu = time.process_time()
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times, (time.process_time() - cpu) * 1000 / n


def _requests(args: argparse.Namespace) -> int:
    from django.conf import settings

    from devotion.followup.models import Conversation

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client, key, agent = _clients()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    rng = random.Random(args.seed)
    # Conversations whose customer wrote text (the coach reads their latest message).
    coach_ids = list(
        Conversation.objects.filter(kind__in=["message", "review", "social_comment"])
        .order_by("id")
        .values_list("pk", flat=True)[:500]
    )

    def get(url: str, **extra: Any) -> Any:
        def call() -> None:
            response = client.get(url, **extra)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")

        return call

    def coach() -> None:
        pk = rng.choice(coach_ids)
        cut = rng.randint(40, len(DRAFT))  # the draft as it grows
        response = client.post(f"/queue/{pk}/coach/", {"text": DRAFT[:cut]}, HTTP_HX_REQUEST="true")
        if response.status_code != 200:
            raise SystemExit(f"POST /queue/{pk}/coach/ answered {response.status_code}")

    rows = {
        "queue page, everyone": get("/queue/"),
        "queue page, mine": get("/queue/?show=mine"),
        "queue page, channel=social": get("/queue/?channel=social"),
        "queue rows (htmx poll), everyone": get("/queue/", HTTP_HX_REQUEST="true"),
        "GET /api/v1/queue": get("/api/v1/queue", **auth),
        "GET /api/v1/queue?assignee_id=me": get(f"/api/v1/queue?assignee_id={agent}", **auth),
        "GET /api/v1/queue?channel=social": get("/api/v1/queue?channel=social", **auth),
        "coach panel POST /queue/<id>/coach/": coach,
    }
    header = f"{'request':<38} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu ms':>8}  target p95"
    print(header)
    print("-" * len(header))
    missed = 0
    for label, call in rows.items():
        times, cpu = _time(call, args.requests, args.warmup)
        p50, p95 = percentile(times, 50), percentile(times, 95)
        target = TARGET_COACH_P95_MS if label.startswith("coach") else TARGET_P95_MS
        ok = p95 < target
        missed += not ok
        print(
            f"{label:<38} {p50:8.1f} {p95:8.1f} {max(times):8.1f} {cpu:8.1f}  "
            f"< {target:.0f} ms {'ok' if ok else 'MISSED'}",
            flush=True,
        )
    return missed


def _sweep_moment() -> datetime:
    """Just before anything running is due: a sweep then has nothing to do."""
    from django.db.models import Min

    from devotion.followup.models import ReplyPromise

    warn = ReplyPromise.objects.filter(
        met_at__isnull=True, warned_at__isnull=True, state="open"
    ).aggregate(at=Min("warn_at"))["at"]
    due = ReplyPromise.objects.filter(met_at__isnull=True, state="open").aggregate(
        at=Min("due_at")
    )["at"]
    return min(x for x in (warn, due) if x is not None) - timedelta(seconds=1)


def _sweeps(args: argparse.Namespace) -> int:
    from django.db import transaction

    from devotion.followup import timers
    from devotion.followup.models import ReplyPromise

    quiet = _sweep_moment()
    running = ReplyPromise.objects.filter(met_at__isnull=True, state="open").count()
    print()
    print(f"timer sweep over {running:,} running promises (median of {args.sweep_runs})")
    header = f"{'sweep':<38} {'median s':>9} {'cpu s':>7} {'warned':>7} {'breached':>9} {'sent':>6}"
    print(header)
    print("-" * len(header))
    missed = 0
    scenarios = [
        ("nothing due", quiet, True),
        ("30 s later (one sweep interval)", quiet + timedelta(seconds=30), True),
        ("  the same, marking only (no sending)", quiet + timedelta(seconds=30), False),
        (
            f"{args.backlog_minutes} min later (a worker stopped)",
            quiet + timedelta(minutes=args.backlog_minutes),
            True,
        ),
        (
            "  the same, marking only (no sending)",
            quiet + timedelta(minutes=args.backlog_minutes),
            False,
        ),
    ]
    send_pending = timers.send_pending
    for label, now, send in scenarios:
        walls, cpus, counts = [], [], {}
        # "Marking only": the check for warnings and breaches and the alert rows it writes,
        # without building and sending the e-mails (the "checked" figure).
        timers.send_pending = send_pending if send else (lambda *a, **k: (0, 0))  # type: ignore[assignment]
        try:
            for _ in range(args.sweep_runs):
                with transaction.atomic():
                    cpu, start = time.process_time(), time.perf_counter()
                    counts = timers.sweep(now)
                    walls.append(time.perf_counter() - start)
                    cpus.append(time.process_time() - cpu)
                    transaction.set_rollback(True)  # the next run sees the same promises
        finally:
            timers.send_pending = send_pending
        wall = statistics.median(walls)
        missed += wall >= TARGET_SWEEP_S
        print(
            f"{label:<38} {wall:9.3f} {statistics.median(cpus):7.3f} {counts['warned']:7d} "
            f"{counts['breached']:9d} {counts['sent']:6d}  "
            f"< {TARGET_SWEEP_S:.0f} s {'ok' if wall < TARGET_SWEEP_S else 'MISSED'}",
            flush=True,
        )
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--pg-name", default="devotion_bench_queue")
    parser.add_argument("--home", default="/tmp/devotion-bench-queue")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=100_000, help="items awaiting a reply")
    parser.add_argument(
        "--touchpoints", type=int, default=400_000, help="timeline rows (inbound ones become items)"
    )
    parser.add_argument("--reuse", action="store_true", help="measure the database seeded before")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per row")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--sweep-runs", type=int, default=5)
    parser.add_argument(
        "--backlog-minutes", type=int, default=5, help="the sweep after a stopped worker"
    )
    parser.add_argument("--skip-requests", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.people < 1 or args.items < 1 or args.requests < 1 or args.sweep_runs < 1:
        parser.error("--people, --items, --requests and --sweep-runs must be at least 1")

    _settings_env(args)
    if args.db == "postgres" and args.home == parser.get_default("home"):
        os.environ["DEVOTION_HOME"] = tempfile.mkdtemp(prefix="bench-queue-")
    if not (args.reuse and _seeded(args)):
        seed(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from devotion.followup.models import ReplyPromise
    from devotion.people.models import Person

    call_command("migrate", verbosity=0)  # a database seeded by older code, with --reuse
    call_command("collectstatic", "--noinput", verbosity=0)
    people = Person.objects.count()
    waiting = ReplyPromise.objects.filter(met_at__isnull=True).count()
    print(f"# bench_queue on {connection.vendor}: {people:,} people, {waiting:,} items waiting")
    print(f"# {machine()}")
    print(f"# {args.requests} requests per row after {args.warmup} warm-up requests")
    print()
    missed = 0 if args.skip_requests else _requests(args)
    missed += _sweeps(args)
    print()
    print("all rows meet the target" if not missed else f"{missed} row(s) missed the target")


if __name__ == "__main__":
    main()
