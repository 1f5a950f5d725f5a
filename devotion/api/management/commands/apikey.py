"""``devotion apikey create|list|revoke``: manage REST API keys from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from devotion.api.models import SCOPES, ApiKey
from devotion.trust.models import AuditEvent


class Command(BaseCommand):
    help = "Create, list and revoke API keys. A new key is printed once; only its hash is kept."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a key and print it once")
        create.add_argument("--name", required=True, help="what uses the key")
        create.add_argument(
            "--scopes",
            required=True,
            help=f"comma-separated: {', '.join(SCOPES)}",
        )
        sub.add_parser("list", help="show every key (never the secret)")
        revoke = sub.add_parser("revoke", help="stop a key from working")
        revoke.add_argument("key", help="the key's id or its prefix (dvt_…)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["name"], options["scopes"])
        elif action == "list":
            self._list()
        else:
            self._revoke(options["key"])

    def _create(self, name: str, scopes_text: str) -> None:
        scopes = [s.strip() for s in scopes_text.split(",") if s.strip()]
        try:
            key, raw = ApiKey.create(name.strip(), scopes)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        AuditEvent.record(
            "apikey.create",
            actor_label="cli",
            object_type="apikey",
            object_id=key.pk,
            scopes=key.scopes,
        )
        self.stdout.write(f"Created API key #{key.pk} {key.name!r} ({', '.join(key.scopes)})")
        self.stdout.write(f"Prefix: {key.prefix}")
        self.stdout.write("Key (shown once, copy it now):")
        self.stdout.write(raw)

    def _list(self) -> None:
        keys = list(ApiKey.objects.all())
        if not keys:
            self.stdout.write(
                "No API keys. Create one with: devotion apikey create --name N "
                f"--scopes {','.join(SCOPES)}"
            )
            return
        self.stdout.write(f"{'ID':>4}  {'PREFIX':<12} {'STATUS':<8} {'LAST USED':<17} SCOPES  NAME")
        for key in keys:
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            status = "active" if key.is_active else "revoked"
            self.stdout.write(
                f"{key.pk:>4}  {key.prefix:<12} {status:<8} {used:<17} "
                f"{','.join(key.scopes)}  {key.name}"
            )

    def _revoke(self, ident: str) -> None:
        ident = ident.strip().rstrip("…")
        match = Q(prefix=ident[:10]) if not ident.isdigit() else Q(pk=int(ident))
        keys = list(ApiKey.objects.filter(match))
        if not keys:
            raise CommandError(f"no API key with id or prefix {ident!r}; see: devotion apikey list")
        if len(keys) > 1:
            raise CommandError(f"{len(keys)} keys share the prefix {ident!r}; revoke by id")
        key = keys[0]
        if not key.is_active:
            self.stdout.write(f"Key #{key.pk} {key.prefix} was already revoked.")
            return
        key.revoke()
        AuditEvent.record(
            "apikey.revoke", actor_label="cli", object_type="apikey", object_id=key.pk
        )
        self.stdout.write(f"Revoked key #{key.pk} {key.prefix} ({key.name}).")
