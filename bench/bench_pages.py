"""Benchmark: customer page, customer search and the customers list on a large database.

Run ``bench/seed_large.py`` first (1,000,000 people and 10,000,000 touchpoints by default),
then:

    uv run python bench/bench_pages.py                      # PostgreSQL devotion_bench_pages
    uv run python bench/bench_pages.py --db sqlite --home /tmp/devotion-bench-pages

Each page is requested through Django's full stack (middleware, session login, view, template)
by the test client in this process, as a logged-in manager; the time is the whole request,
database included. Measured, each ``--requests`` times after a short warm-up:

- customer page ``/customers/<id>/`` for random people, and separately for the heaviest people
  (thousands of touchpoints), and the second timeline page ("Older") of the heavy ones;
- search ``/customers/?q=`` by name prefix, e-mail prefix and phone number (any format);
- the customers list: first page, a later page, filtered by stage.

Prints p50 / p95 / max per row and whether p95 meets the issue's target (100 ms).
Statics are collected into a temporary ``DEVOTION_HOME`` as in production (manifest storage).
"""

from __future__ import annotations

import argparse
import html
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, percentile

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
TARGET_P95_MS = 100.0
_OLDER = re.compile(r'rel="next" href="([^"]+)"')


def _setup(args: argparse.Namespace) -> None:
    """Point Django at the benchmark database before anything imports settings."""
    if args.db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{args.pg_name}"
        os.environ["DEVOTION_HOME"] = tempfile.mkdtemp(prefix="bench-pages-")
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["DEVOTION_HOME"] = str(Path(args.home).resolve())
    os.environ["DJANGO_SETTINGS_MODULE"] = "devotion.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("collectstatic", "--noinput", verbosity=0)


def _client() -> Any:
    """A test client logged in as a manager (created on first run)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from devotion.team.models import Role, StaffMember

    user, created = User.objects.get_or_create(username="bench-manager")
    if created:
        user.set_unusable_password()
        user.save()
        StaffMember.objects.create(user=user, display_name="Bench Manager", role=Role.MANAGER)
    client = Client()
    client.force_login(user)
    return client


def _samples(rng: random.Random, n: int) -> dict[str, list[str]]:
    """URLs to request, per benchmark row, drawn from the data actually in the database."""
    from devotion.people.models import Identity, Person

    last_id = Person.objects.order_by("-id").values_list("id", flat=True).first()
    if last_id is None:
        raise SystemExit("the benchmark database is empty: run bench/seed_large.py first")
    random_ids = [rng.randint(1, last_id) for _ in range(n)]
    heavy_ids = list(
        Person.objects.order_by("-order_count").values_list("id", flat=True)[: max(10, n // 4)]
    )
    people = list(
        Person.objects.filter(pk__in=random_ids[:200]).values("display_name", "primary_phone")
    )
    names = [p["display_name"].split() for p in people if p["display_name"]]
    emails = list(
        Identity.objects.filter(kind="email", person_id__in=random_ids[:200]).values_list(
            "value", flat=True
        )
    )
    phones = [p["primary_phone"] for p in people if p["primary_phone"]] or ["+14155550123"]

    def name_query() -> str:
        first, last = rng.choice(names)
        return rng.choice([first[:3], last[:4], f"{first} {last[:2]}", f"{last} {first[0]}"])

    def phone_query() -> str:
        number = rng.choice(phones)  # +1AAABBBCCCC, searched as a person would type it
        national = number[2:]
        return rng.choice([number, f"({national[:3]}) {national[3:6]}-{national[6:]}", national])

    def repeat(make: Callable[[], str]) -> list[str]:
        return [make() for _ in range(n)]

    q = "/customers/?q="
    return {
        "customer page, random people": [f"/customers/{pk}/" for pk in random_ids],
        "customer page, heaviest people": [
            f"/customers/{rng.choice(heavy_ids)}/" for _ in range(n)
        ],
        "customer page, heavy, 2nd timeline page": [
            f"older:/customers/{rng.choice(heavy_ids)}/" for _ in range(n)
        ],
        "search by name prefix": repeat(lambda: q + name_query()),
        "search by e-mail prefix": repeat(lambda: q + rng.choice(emails)[: rng.randint(6, 14)]),
        "search by phone": repeat(lambda: q + phone_query()),
        "customers list, first page": ["/customers/"] * n,
        "customers list, page 20": ["/customers/?page=20"] * n,
        "customers list, stage=active": ["/customers/?stage=active&page=2"] * n,
    }


def _get(client: Any, url: str) -> float:
    """Request ``url``; the milliseconds it took. ``older:URL`` times the page after URL's."""
    if url.startswith("older:"):
        first = client.get(url.removeprefix("older:"))
        match = _OLDER.search(first.content.decode())
        if match is None:
            raise SystemExit(f"no 'Older' link on {url}: is that person's timeline that short?")
        url = url.removeprefix("older:") + html.unescape(match.group(1))
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--pg-name", default="devotion_bench_pages")
    parser.add_argument("--home", default="/tmp/devotion-bench-pages", help="for --db sqlite")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per row")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured requests per row")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    _setup(args)
    from django.db import connection

    from devotion.people.models import Person
    from devotion.touchpoints.models import Touchpoint

    rng = random.Random(args.seed)
    client = _client()
    people, touchpoints = Person.objects.count(), Touchpoint.objects.count()
    print(f"# bench_pages on {connection.vendor}: {people:,} people, {touchpoints:,} touchpoints")
    print(f"# {machine()}")
    print(f"# {args.requests} requests per row after {args.warmup} warm-up requests")
    print()
    header = f"{'page':<42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p95 < 100 ms"
    print(header)
    print("-" * len(header))
    failed = 0
    for label, urls in _samples(rng, args.requests + args.warmup).items():
        times = [_get(client, url) for url in urls]
        measured = times[args.warmup :]
        p50, p95 = percentile(measured, 50), percentile(measured, 95)
        ok = p95 < TARGET_P95_MS
        failed += not ok
        print(
            f"{label:<42} {p50:8.1f} {p95:8.1f} {max(measured):8.1f}  {'ok' if ok else 'MISSED'}",
            flush=True,
        )
    print()
    print("all rows meet the target" if not failed else f"{failed} row(s) missed the target")


if __name__ == "__main__":
    main()
