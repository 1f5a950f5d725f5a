"""``devotion demo``: a ready-to-explore installation with a generated business, then serve it."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from devotion.demo.followup import ensure_followup
from devotion.demo.generator import SIZES, generate
from devotion.demo.loading import ensure_imports, ensure_logins, ensure_mail, is_loaded, load
from devotion.demo.retention import ensure_retention
from devotion.demo.retention_page import ensure_at_risk_owners, ensure_segment_movement
from devotion.demo.scoring import ensure_scores
from devotion.demo.surveys import ensure_surveys
from devotion.demo.texts import BUSINESS_NAME
from devotion.demo.voice import ensure_voice
from devotion.people.models import Merge, Person
from devotion.touchpoints.models import Touchpoint


class Command(BaseCommand):
    help = "Set up the database with a generated demo business and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Set up, then exit.")
        parser.add_argument("--seed", type=int, default=7, help="Seed of the demo (default 7).")
        parser.add_argument("--size", choices=sorted(SIZES), default="default")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        console = Console(stderr=True)
        # 1. Database tables and static files (quietly).
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        # 2. The team and the three demo logins.
        logins = ensure_logins(settings.HOME / "demo-logins.txt")
        # 3. The business, unless an earlier run already stored it.
        business = generate(seed=options["seed"], size=options["size"])
        if is_loaded(business):
            self.stdout.write(f"The {BUSINESS_NAME} demo (seed {options['seed']}) is already here.")
        else:
            with Progress(
                TextColumn("Loading the demo business"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as progress:
                task = progress.add_task("load", total=len(business.all_events))
                load(business, lambda n: progress.advance(task, n))
        # 4. Real exports through the importer: imports with rejects, their jobs and people.
        ensure_imports()
        # 5. E-mail stays in the outbox (never sent), with two invitations in it to read.
        url = f"http://{options['host']}:{options['port']}/"
        ensure_mail(settings.HOME, url)
        # 5b. Surveys: a spring NPS and a CSAT after support, sent and answered.
        self.stdout.write(ensure_surveys(url))
        # 6. Every text understood, with an emerging problem, an escalation and a rude reply.
        voice = ensure_voice()
        self.stdout.write(
            f"Voice: {voice['analysed']:,} texts analysed, {voice['added']} scenario messages "
            "added (see /voice/)."
        )
        # 7. Everyone scored (health, risk, value, segments), with a few satisfied defectors.
        self.stdout.write(ensure_scores())
        # 7b. A scoring run a month earlier, so the Retention page shows segment movement.
        self.stdout.write(ensure_segment_movement())
        # 8. Retention: win-backs with coupons, quiet promoters, segments, a year of spend,
        #    and the retention analysis over it all.
        ensure_retention(seed=options["seed"])
        # 9. Follow-up, last: conversations of every message the steps above stored, teams,
        #    owners, a live queue and its escalations.
        followup = ensure_followup()
        self.stdout.write(
            f"Follow-up: {followup['waiting']:,} replies waiting in the queue, "
            f"{followup['alerts']:,} alerts sent to the outbox."
        )
        #    The team's replies to the backlog are texts too: understood here, as the
        #    analysis worker would (nothing new is added the second time).
        ensure_voice()
        # 9b. The team takes on the most valuable customers at risk (Retention's at-risk list).
        ensure_at_risk_owners()
        # 10. What is there now, where to look, and how to log in.
        self._summary(time.monotonic() - started)
        self.stdout.write(f"\nOpen {url} and log in as:")
        for login in logins:
            self.stdout.write(f"  {login.role:<8} {login.username:<8} password: {login.password}")
        self.stdout.write(f"(kept in {settings.HOME / 'demo-logins.txt'})")
        self.stdout.write(
            "E-mail is kept, not sent: admins read it under Settings > Outbox "
            f"(set in {settings.HOME / 'mail-mode'})."
        )
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])

    def _summary(self, seconds: float) -> None:
        people = Person.objects.live()
        stages = dict(people.values_list("stage").annotate(n=Count("id")).order_by())
        merges = Merge.objects.filter(undone_at__isnull=True).count()
        self.stdout.write(
            f"{BUSINESS_NAME}: {people.count():,} people "
            f"({stages.get('prospect', 0):,} prospects), "
            f"{Touchpoint.objects.count():,} touchpoints, {merges:,} merges "
            f"({seconds:.0f} s)."
        )
