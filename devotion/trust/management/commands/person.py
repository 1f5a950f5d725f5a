"""``devotion person export ID`` and ``devotion person erase ID``: privacy requests by hand."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from devotion.lib.private_files import write_private
from devotion.people.models import Person
from devotion.trust.models import AuditEvent
from devotion.trust.privacy import cluster_ids, erase_person, erase_preview, export_person


class Command(BaseCommand):
    help = "Export everything held about one person as JSON, or erase it all."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = actions.add_parser("export", help="Write everything held about a person as JSON")
        export.add_argument("person_id", type=int, metavar="ID")
        export.add_argument(
            "--output", "-o", metavar="FILE", help="write here instead of standard output"
        )
        erase = actions.add_parser("erase", help="Delete a person and every row about them")
        erase.add_argument("person_id", type=int, metavar="ID")
        erase.add_argument(
            "--yes", action="store_true", help="do not ask for confirmation (for scripts)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(pk=options["person_id"]).first()
        if person is None:
            raise CommandError(f"no person with id {options['person_id']}")
        if options["action"] == "export":
            self._export(person, options.get("output"))
        else:
            self._erase(person, options["yes"])

    def _export(self, person: Person, output: str | None) -> None:
        text = json.dumps(export_person(person), cls=DjangoJSONEncoder, indent=2)
        AuditEvent.record(
            "person.export", actor_label="cli", object_type="person", object_id=person.pk
        )
        if output:
            write_private(Path(output), text + "\n")  # personal data: this user only
            self.stderr.write(f"Wrote person #{person.pk} to {output}")
        else:
            self.stdout.write(text)

    def _erase(self, person: Person, yes: bool) -> None:
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("refusing to erase without confirmation: pass --yes")
            merged = len(cluster_ids(person)) - 1
            self.stdout.write(
                f"Erasing person #{person.pk}"
                + (f" and {merged} profile(s) merged into them" if merged else "")
                + " deletes:"
            )
            for table, n in erase_preview(person).items():
                self.stdout.write(f"  {table}: {n}")
            answer = input(f"Type {person.pk} to erase for good: ").strip()
            if answer != str(person.pk):
                raise CommandError("not confirmed; nothing was erased")
        deleted = erase_person(person, actor_label="cli")
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased person #{person.pk}: {sum(deleted.values())} rows in "
                f"{len(deleted)} tables."
            )
        )
