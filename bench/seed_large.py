"""Fill a dedicated database with a large, realistic-ish population for the page benchmarks.

By default 1,000,000 people and 10,000,000 touchpoints, plus identities (one e-mail each, a
phone for about 40 %, a shop customer id for about 30 %). Distributions: names from a list,
touchpoints per person Pareto-distributed (most people have a handful, a few thousand have
thousands), a mix of kinds (orders, ticket messages in and out, e-mails, survey answers,
reviews, social comments, calls, notes), dates over two years.

It is a bulk loader, not an importer: it runs ``migrate`` on the dedicated database, drops the
secondary indexes and constraints of the three big tables, loads rows by ``COPY`` and
``INSERT ... SELECT generate_series`` (PostgreSQL) or ``executemany`` in big transactions
(SQLite), rebuilds the indexes and constraints, then runs ``ANALYZE``.

    uv run python bench/seed_large.py                       # PostgreSQL devotion_bench_pages
    uv run python bench/seed_large.py --people 100000 --touchpoints 1000000
    uv run python bench/seed_large.py --db sqlite --home /tmp/bench-pages-home

``--db postgres`` drops and re-creates the database ``devotion_bench_pages`` (or ``--pg-name``)
on the server of ``BENCH_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432``);
``--db sqlite`` writes ``HOME/devotion.sqlite3`` (the file is replaced). Nothing else is touched.
``bench/bench_pages.py`` then measures the web pages on the same database.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "devotion_bench_pages"
TABLES = ("people_person", "people_identity", "touchpoints_touchpoint")

_FIRST_NAMES = (
    "Ada Alan Amelia Amir Ana Andre Anna Arjun Ava Beatriz Ben Bruno Camila Carlos Charlotte "
    "Chen Chloe Clara Daniel David Diego Dmitri Elena Eli Emily Emma Ethan Fatima Felix Fiona "
    "Francesca Gabriel Grace Hannah Hiro Ibrahim Ines Isabel Ivan Jack James Jana Javier Julia "
    "Kai Karim Kate Kenji Laila Laura Leo Lena Liam Lucas Lucia Luis Maya Mateo Mia Mohammed "
    "Nadia Nathan Nina Noah Olivia Omar Oscar Paula Pedro Priya Rafael Rosa Ruby Sam Sara Sofia "
    "Tariq Theo Tom Valentina Victor Wei Yara Yusuf Zara Zoe"
)
_LAST_NAMES = (
    "Adams Ahmed Alvarez Anderson Bailey Baker Bauer Becker Brown Campbell Chen Clark Cohen "
    "Costa Cruz Davies Diaz Dubois Evans Fischer Garcia Gomez Gonzalez Green Gupta Hall Hansen "
    "Harris Hernandez Hoffmann Hughes Ivanova Jackson Jensen Johnson Jones Kaur Khan Kim King "
    "Klein Kowalski Kumar Lee Lewis Li Lopez Martin Martinez Meyer Miller Moore Morales Muller "
    "Murphy Nakamura Nguyen Novak Okafor Olsen Patel Perez Petrov Ramirez Reyes Richter Roberts "
    "Robinson Rossi Sanchez Santos Schmidt Schneider Scott Silva Singh Smith Suzuki Tanaka "
    "Taylor Thomas Thompson Torres Walker Wang Weber White Williams Wilson Wright Yamamoto "
    "Young Zhang"
)
FIRST, LAST = _FIRST_NAMES.split(), _LAST_NAMES.split()
DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "shop.example")
# (kind, cumulative probability, channel, direction, source)
KINDS = (
    ("order", 0.40, "web", "", "shopify"),
    ("message", 0.58, "email", "in", "zendesk"),
    ("message", 0.70, "email", "out", "zendesk"),
    ("email", 0.78, "email", "out", "newsletter"),
    ("survey_answer", 0.85, "email", "in", "surveys"),
    ("review", 0.90, "review_site", "in", "trustpilot"),
    ("social_comment", 0.95, "social", "in", "social"),
    ("call", 0.98, "phone", "in", "calls"),
    ("note", 1.00, "", "", "devotion"),
)
TEXTS = (
    "Where is my order? It was due on Tuesday and the tracking has not moved since.",
    "The mug arrived broken, the box was crushed. Can you send a new one?",
    "I was charged twice for the same order, please refund one of the payments.",
    "Thanks so much, Sam was really helpful on the phone yesterday!",
    "The reply I got was rude. I have been a customer for years.",
    "Love the new blend, my dog Biscuit loves the treats too.",
    "Could you change the delivery address? We are moving on the 3rd.",
    "Great quality as always, fast shipping.",
    "The size runs small, I would like to exchange for a large.",
    "Happy birthday discount code did not work at checkout.",
    "Still waiting for an answer to my ticket from last week.",
    "Perfect gift for my sister, she was delighted.",
    "We have received your message and will reply within one business day.",
    "Your refund has been issued; it can take 3-5 days to show.",
    "Not impressed, the colour is nothing like the photo.",
    "Customer called about a missing item; reshipped.",
)


def person_rows(
    people: int, touchpoints: int, seed: int
) -> tuple[list[tuple[Any, ...]], list[int]]:
    """One tuple per person and each person's touchpoint count (summing to ``touchpoints``).

    Counts follow a Pareto law, scaled so the total is exact: most people have a few
    touchpoints, some none (prospects), a few thousand have thousands.
    """
    rng = random.Random(seed)
    raw = [min(rng.paretovariate(1.1), 2000.0) for _ in range(people)]
    scale = touchpoints / sum(raw)
    counts: list[int] = []
    running, previous = 0.0, 0
    for weight in raw:
        running += weight * scale
        upto = min(touchpoints, round(running))
        counts.append(upto - previous)
        previous = upto
    counts[-1] += touchpoints - previous
    now = datetime.now(UTC).replace(microsecond=0)
    rows = []
    for pid in range(1, people + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        email = f"{first}.{last}.{pid}@{rng.choice(DOMAINS)}".lower()
        phone = f"+1{rng.choice((415, 212, 312, 617))}{pid:07d}" if rng.random() < 0.4 else ""
        count = counts[pid - 1]
        first_seen = now - timedelta(days=rng.uniform(1, 730))
        last_seen = first_seen + (now - first_seen) * rng.random() ** 0.5
        orders = round(count * 0.4)
        stage = "prospect" if orders == 0 else "new" if orders == 1 else "active"
        rows.append(
            (
                pid,
                name,
                name.lower(),
                f"{last} {first}".lower(),
                email,
                phone,
                stage,
                first_seen,
                last_seen if count else first_seen,
                orders,
                round(orders * rng.uniform(15, 80), 2),
            )
        )
    return rows, counts


PERSON_COLUMNS = (
    "id",
    "display_name",
    "name_key",
    "name_key_rev",
    "primary_email",
    "primary_phone",
    "stage",
    "first_seen_at",
    "last_activity_at",
    "order_count",
    "total_spent",
)


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_defaults(cur: Any, table: str, known: set[str]) -> dict[str, str]:
    """SQL literals for NOT NULL columns we do not fill (added by later migrations)."""
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL "
        "AND is_identity = 'NO'",
        [table],
    )
    literal = {
        "boolean": "false",
        "jsonb": "'{}'::jsonb",
        "json": "'{}'::json",
        "timestamp with time zone": "now()",
        "date": "current_date",
        "uuid": "gen_random_uuid()",
    }
    out = {}
    for column, data_type in cur.fetchall():
        if column in known:
            continue
        if data_type in literal:
            out[column] = literal[data_type]
        elif data_type in ("character varying", "text"):
            out[column] = "''"
        else:
            out[column] = "0"
    return out


def _pg_drop_secondary(cur: Any) -> list[str]:
    """Drop non-key constraints and indexes of the big tables; return the SQL to rebuild them."""
    rebuild: list[str] = []
    for table in TABLES:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'c')",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cur.fetchall()
        for name, definition in constraints:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in indexes:
            cur.execute(f'DROP INDEX "{name}"')
            rebuild.insert(0, definition)  # indexes before foreign keys that may use them
    return rebuild


def seed_postgres(args: argparse.Namespace) -> None:
    import psycopg

    admin_url = f"{PG_SERVER}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.pg_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.pg_name}"')
    url = f"{PG_SERVER}/{args.pg_name}"
    _migrate({"DATABASE_URL": url})

    step = _Steps()
    rows, counts = person_rows(args.people, args.touchpoints, args.seed)
    step("generate people in Python")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_workers_per_gather = 0")  # setseed() needs one backend
        cur.execute("SET synchronous_commit = off")
        cur.execute("SELECT setseed(%s)", [(args.seed % 1000) / 1000])
        rebuild = _pg_drop_secondary(cur)
        step("drop secondary indexes")

        # COPY into a scratch table, then INSERT ... SELECT so that columns we do not fill
        # (timestamps, flags, fields later migrations add) get a neutral value.
        cur.execute(
            "CREATE TEMP TABLE seed_people (id bigint, display_name text, name_key text, "
            "name_key_rev text, primary_email text, primary_phone text, stage text, "
            "first_seen_at timestamptz, last_activity_at timestamptz, order_count int, "
            "total_spent numeric)"
        )
        columns = ", ".join(PERSON_COLUMNS)
        with cur.copy(f"COPY seed_people ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        extra = _pg_defaults(cur, "people_person", set(PERSON_COLUMNS))
        cur.execute(
            f"INSERT INTO people_person ({', '.join([*PERSON_COLUMNS, *extra])}) "
            f"SELECT {', '.join([*PERSON_COLUMNS, *extra.values()])} FROM seed_people"
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('people_person', 'id'), "
            "(SELECT max(id) FROM people_person))"
        )
        cur.execute("CREATE TEMP TABLE tp_counts (person_id bigint, n int)")
        with cur.copy("COPY tp_counts (person_id, n) FROM STDIN") as copy:
            for pid, n in enumerate(counts, start=1):
                if n:
                    copy.write_row((pid, n))
        step(f"copy {len(rows):,} people")

        _pg_insert_identities(cur)
        step("insert identities")
        _pg_insert_touchpoints(cur)
        step(f"insert {args.touchpoints:,} touchpoints")
        conn.commit()

        for statement in rebuild:
            cur.execute(statement)
            conn.commit()
        step("rebuild indexes and constraints")
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
    step("vacuum analyze")
    print(f"seeded PostgreSQL database {args.pg_name} in {step.total():.0f}s")


def _pg_insert_identities(cur: Any) -> None:
    known = {"person_id", "kind", "source", "value", "raw_value", "created_at"}
    extra = _pg_defaults(cur, "people_identity", known)
    cols = ", ".join(["person_id", "kind", "source", "value", "raw_value", "created_at", *extra])
    more = "".join(f", {v}" for v in extra.values())
    cur.execute(
        f"INSERT INTO people_identity ({cols}) "
        f"SELECT id, 'email', '', primary_email, primary_email, first_seen_at{more} "
        "FROM people_person"
    )
    cur.execute(
        f"INSERT INTO people_identity ({cols}) "
        f"SELECT id, 'phone', '', primary_phone, primary_phone, first_seen_at{more} "
        "FROM people_person WHERE primary_phone <> ''"
    )
    cur.execute(
        f"INSERT INTO people_identity ({cols}) "
        f"SELECT id, 'external', 'shopify', 'cus_' || id, 'cus_' || id, first_seen_at{more} "
        "FROM people_person WHERE id % 10 < 3"
    )


def _pg_insert_touchpoints(cur: Any) -> None:
    known = (
        "person_id", "kind", "channel", "direction", "occurred_at", "source", "external_id",
        "thread", "subject", "text", "amount", "currency", "rating", "extra", "created_at",
    )  # fmt: skip
    extra = _pg_defaults(cur, "touchpoints_touchpoint", set(known))

    def case(field: int) -> str:
        values = [spec[field] if field else spec[0] for spec in KINDS]
        whens = " ".join(
            f"WHEN r < {spec[1]} THEN '{value}'" for spec, value in zip(KINDS, values, strict=True)
        )
        return f"CASE {whens} END"

    texts = "ARRAY[" + ", ".join("'" + t.replace("'", "''") + "'" for t in TEXTS) + "]"
    cols = ", ".join([*known, *extra])
    exprs = {
        "person_id": "person_id",
        "kind": "kind",
        "channel": case(2),
        "direction": case(3),
        "occurred_at": "occurred_at",
        "source": case(4),
        "external_id": "'bp-' || person_id || '-' || n",
        "thread": "CASE WHEN kind = 'message' THEN 't-' || person_id || '-' || (n / 4) ELSE '' END",
        "subject": "CASE WHEN kind = 'order' THEN 'Order #' || person_id || '-' || n "
        "WHEN kind = 'message' THEN 'Ticket ' || person_id || '-' || (n / 4) ELSE '' END",
        "text": f"CASE WHEN kind IN ('order', 'email') THEN '' "
        f"ELSE ({texts})[1 + floor(r2 * {len(TEXTS)})::int] END",
        "amount": "CASE WHEN kind = 'order' THEN round((5 + r2 * 150)::numeric, 2) END",
        "currency": "CASE WHEN kind = 'order' THEN 'USD' ELSE '' END",
        "rating": "CASE WHEN kind IN ('review', 'survey_answer') THEN 1 + floor(r2 * 5)::int END",
        "extra": "'{}'::jsonb",
        "created_at": "occurred_at",
    }
    select = ", ".join([*(exprs[c] for c in known), *extra.values()])
    cur.execute(
        f"INSERT INTO touchpoints_touchpoint ({cols}) SELECT {select} FROM ("
        f"  SELECT c.person_id, g.n, r, r2, {case(0)} AS kind,"
        "    p.first_seen_at + (p.last_activity_at - p.first_seen_at) * random() AS occurred_at"
        "  FROM tp_counts c JOIN people_person p ON p.id = c.person_id,"
        "    LATERAL (SELECT n, random() AS r, random() AS r2 FROM generate_series(1, c.n) n) g"
        ") s"
    )


# --- SQLite -----------------------------------------------------------------------------------


def seed_sqlite(args: argparse.Namespace) -> None:
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    path = home / "devotion.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    _migrate({"DEVOTION_HOME": str(home)})

    step = _Steps()
    rows, counts = person_rows(args.people, args.touchpoints, args.seed)
    step("generate people in Python")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    rebuild = [
        sql
        for (sql,) in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN {TABLES}"
        )
    ]
    for (name,) in db.execute(
        f"SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN {TABLES}"
    ).fetchall():
        db.execute(f'DROP INDEX "{name}"')
    step("drop secondary indexes")

    db.execute("BEGIN")
    extra = _sqlite_defaults(db, "people_person", set(PERSON_COLUMNS))
    cols = ", ".join([*PERSON_COLUMNS, *extra])
    marks = ", ".join("?" * len(PERSON_COLUMNS)) + "".join(f", {v}" for v in extra.values())
    db.executemany(
        f"INSERT INTO people_person ({cols}) VALUES ({marks})",
        ((*r[:7], _naive(r[7]), _naive(r[8]), r[9], str(r[10])) for r in rows),
    )
    known = {"person_id", "kind", "source", "value", "raw_value", "created_at"}
    extra = _sqlite_defaults(db, "people_identity", known)
    more = "".join(f", {v}" for v in extra.values())
    cols = ", ".join(["person_id", "kind", "source", "value", "raw_value", "created_at", *extra])
    db.execute(
        f"INSERT INTO people_identity ({cols}) SELECT id, 'email', '', primary_email, "
        f"primary_email, first_seen_at{more} FROM people_person"
    )
    db.execute(
        f"INSERT INTO people_identity ({cols}) SELECT id, 'phone', '', primary_phone, "
        f"primary_phone, first_seen_at{more} FROM people_person WHERE primary_phone <> ''"
    )
    db.execute(
        f"INSERT INTO people_identity ({cols}) SELECT id, 'external', 'shopify', 'cus_' || id, "
        f"'cus_' || id, first_seen_at{more} FROM people_person WHERE id % 10 < 3"
    )
    db.execute("COMMIT")
    step(f"insert {len(rows):,} people and their identities")

    columns = (
        "person_id", "kind", "channel", "direction", "occurred_at", "source", "external_id",
        "thread", "subject", "text", "amount", "currency", "rating", "extra", "created_at",
    )  # fmt: skip
    extra = _sqlite_defaults(db, "touchpoints_touchpoint", set(columns))
    cols = ", ".join([*columns, *extra])
    marks = ", ".join("?" * len(columns)) + "".join(f", {v}" for v in extra.values())
    insert = f"INSERT INTO touchpoints_touchpoint ({cols}) VALUES ({marks})"
    batch: list[tuple[Any, ...]] = []
    db.execute("BEGIN")
    for row in _sqlite_touchpoints(rows, counts, args.seed):
        batch.append(row)
        if len(batch) == 100_000:
            db.executemany(insert, batch)
            batch.clear()
    db.executemany(insert, batch)
    db.execute("COMMIT")
    step(f"insert {args.touchpoints:,} touchpoints")

    for sql in rebuild:
        db.execute(sql)
    step("rebuild indexes")
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    step("analyze")
    print(f"seeded SQLite database {path} in {step.total():.0f}s")


def _naive(moment: datetime) -> str:
    """A UTC time as Django stores it in SQLite: naive ISO text."""
    return moment.replace(tzinfo=None).isoformat(" ")


def _sqlite_defaults(db: sqlite3.Connection, table: str, known: set[str]) -> dict[str, str]:
    out = {}
    for _, column, data_type, notnull, default, pk in db.execute(f"PRAGMA table_info({table})"):
        if column in known or pk or not notnull or default is not None:
            continue
        kind = data_type.lower()
        if kind.startswith(("varchar", "text", "char")):
            out[column] = "''"
        elif kind == "datetime":
            out[column] = "CURRENT_TIMESTAMP"
        elif kind == "text" or "json" in kind:
            out[column] = "'{}'"
        else:
            out[column] = "0"
    return out


def _sqlite_touchpoints(
    people: list[tuple[Any, ...]], counts: list[int], seed: int
) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed + 1)
    for person, count in zip(people, counts, strict=True):
        pid, first_seen, last_seen = person[0], person[7], person[8]
        span = last_seen - first_seen
        for n in range(1, count + 1):
            r, r2 = rng.random(), rng.random()
            kind, _, channel, direction, source = next(k for k in KINDS if r < k[1])
            at = _naive(first_seen + span * rng.random())
            yield (
                pid,
                kind,
                channel,
                direction,
                at,
                source,
                f"bp-{pid}-{n}",
                f"t-{pid}-{n // 4}" if kind == "message" else "",
                f"Order #{pid}-{n}" if kind == "order" else "",
                "" if kind in ("order", "email") else TEXTS[int(r2 * len(TEXTS))],
                f"{5 + r2 * 150:.2f}" if kind == "order" else None,
                "USD" if kind == "order" else "",
                1 + int(r2 * 5) if kind in ("review", "survey_answer") else None,
                "{}",
                at,
            )


# --- shared -----------------------------------------------------------------------------------


def _migrate(env: dict[str, str]) -> None:
    """Run Django's migrations on the dedicated database (settings read ``env``)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotion.settings")
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    connections.close_all()  # the loader uses its own connection (and SQLite its own locks)
    print(f"migrate: {time.perf_counter() - start:.1f}s", flush=True)


class _Steps:
    """Prints the time each step took."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()

    def __call__(self, label: str) -> None:
        now = time.perf_counter()
        print(f"{label}: {now - self.last:.1f}s", flush=True)
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pg-name", default=PG_NAME, help="PostgreSQL database to (re)create")
    parser.add_argument(
        "--home", default="/tmp/devotion-bench-pages", help="DEVOTION_HOME for --db sqlite"
    )
    args = parser.parse_args()
    if args.people < 1 or args.touchpoints < 0:
        parser.error("--people must be at least 1 and --touchpoints not negative")
    if args.db == "postgres":
        os.environ["DEVOTION_HOME"] = args.home
        seed_postgres(args)
    else:
        seed_sqlite(args)


if __name__ == "__main__":
    main()
