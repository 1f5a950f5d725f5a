"""Privacy: export everything held about one person, or erase it all.

"One person" is the profile plus every profile merged into it (the same human, seen by another
system), recursively. Tables are found by walking the model graph rather than listed by hand,
so a table a later feature adds is exported and erased without touching this file: any model
with a foreign key to ``Person`` or to ``Touchpoint``, or a plain ``person_id`` column (like
webhook deliveries), is about the person.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from devotion.core.models import OutboxMessage
from devotion.followup.models import ReplyPromise
from devotion.lib.normalize import normalize_phone
from devotion.people.models import Identity, IdentityKind, Merge, Person, PersonalFact
from devotion.retention.models import ScoreSnapshot
from devotion.touchpoints.models import OrderLine, Touchpoint
from devotion.trust.models import AuditEvent
from devotion.voice.models import TextAnalysis
from devotion.webhooks.models import Delivery

EXPORT_FORMAT = "devotion.person-export/1"
_CHUNK = 500  # ids per IN (...) clause: under SQLite's variable limit


def cluster_ids(person: Person) -> list[int]:
    """The person's id and the ids of everyone merged into them, directly or not."""
    ids, frontier = [person.pk], [person.pk]
    while frontier:
        found = [
            pk
            for pk in Person.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)
            if pk not in ids
        ]
        ids.extend(found)
        frontier = found
    return ids


def _references(target: type[models.Model]) -> list[tuple[type[models.Model], models.Field]]:
    """Every (model, foreign key) pointing at ``target``, across all installed apps."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is target:
                found.append((model, field))
    return found


def _cascades(field: models.Field) -> bool:
    return getattr(field.remote_field, "on_delete", None) is models.CASCADE


def _person_id_columns() -> list[tuple[type[models.Model], models.Field]]:
    """Plain integer ``person_id`` columns (no foreign key), e.g. on webhook deliveries."""
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.attname == "person_id" and not field.is_relation
    ]


def _rows(queryset: models.QuerySet[Any]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (datetimes and decimals as text), every concrete column."""
    names = [f.attname for f in queryset.model._meta.concrete_fields]
    return json.loads(json.dumps(list(queryset.values(*names)), cls=DjangoJSONEncoder))


def _chunks[T](ids: list[T]) -> list[list[T]]:
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def _filter_in(model: type[models.Model], column: str, ids: list[int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(ids):
        rows.extend(_rows(model._default_manager.filter(**{f"{column}__in": chunk}).order_by("pk")))
    return rows


# Tables the export lays out in named sections; anything else found goes under "other".
_NAMED = {Person, Identity, PersonalFact, ScoreSnapshot, Merge, Touchpoint, Delivery}
_NAMED_TOUCHPOINT_CHILDREN = {OrderLine, TextAnalysis, ReplyPromise, PersonalFact}


def export_person(person: Person) -> dict[str, Any]:
    """Everything held about ``person`` (and people merged into them), JSON-serialisable.

    Sections: the person, people merged into them, identities, facts, touchpoints (each with
    its order lines, text analysis and reply promises), score snapshots, merges, webhook
    deliveries about them, e-mails sent to them (the outbox), audit events about them, and
    ``other`` for any further table that references them or their touchpoints.
    """
    ids = cluster_ids(person)
    people = {row["id"]: row for row in _filter_in(Person, "pk", ids)}
    touchpoints = _filter_in(Touchpoint, "person_id", ids)
    tp_ids = [row["id"] for row in touchpoints]
    lines = _group(_filter_in(OrderLine, "touchpoint_id", tp_ids), "touchpoint_id")
    analyses = _group(_filter_in(TextAnalysis, "touchpoint_id", tp_ids), "touchpoint_id")
    promises = _group(_filter_in(ReplyPromise, "touchpoint_id", tp_ids), "touchpoint_id")
    for row in touchpoints:
        row["lines"] = lines.get(row["id"], [])
        row["analysis"] = next(iter(analyses.get(row["id"], [])), None)
        row["promises"] = promises.get(row["id"], [])
    merges = {
        row["id"]: row
        for row in _filter_in(Merge, "winner_id", ids) + _filter_in(Merge, "loser_id", ids)
    }
    audit = [
        row
        for chunk in _chunks(ids)
        for row in _rows(
            AuditEvent.objects.filter(
                object_type="person", object_id__in=[str(i) for i in chunk]
            ).order_by("pk")
        )
    ]
    other: dict[str, list[dict[str, Any]]] = {}
    for model, field in _references(Person):
        if model not in _NAMED:
            other.setdefault(model._meta.label_lower, []).extend(
                _filter_in(model, field.attname, ids)
            )
    for model, field in _references(Touchpoint):
        if model not in _NAMED_TOUCHPOINT_CHILDREN:
            other.setdefault(model._meta.label_lower, []).extend(
                _filter_in(model, field.attname, tp_ids)
            )
    for model, field in _person_id_columns():
        if model is not Delivery:
            other.setdefault(model._meta.label_lower, []).extend(
                _filter_in(model, field.attname, ids)
            )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "person_id": person.pk,
        "person": people.get(person.pk),
        # The consent columns of "person" in words: given, refused or unknown (never recorded).
        "consent": {
            c.purpose: {
                "status": c.status,
                "recorded_at": c.recorded_at.isoformat() if c.recorded_at else None,
                "source": c.source,
            }
            for c in person.consents()
        },
        "merged_people": [people[i] for i in ids[1:] if i in people],
        "identities": _filter_in(Identity, "person_id", ids),
        "facts": _filter_in(PersonalFact, "person_id", ids),
        "touchpoints": touchpoints,
        "score_snapshots": _filter_in(ScoreSnapshot, "person_id", ids),
        "merges": sorted(merges.values(), key=lambda row: row["id"]),
        "webhook_deliveries": _filter_in(Delivery, "person_id", ids),
        "emails_sent": _rows(outbox_messages(_emails(ids)).order_by("pk")),
        "audit_events": audit,
        "other": {label: rows for label, rows in other.items() if rows},
    }


def _group(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def erase_preview(person: Person) -> dict[str, int]:
    """How many rows of each table erasing ``person`` would delete (tables with none left out)."""
    ids = cluster_ids(person)
    counts: Counter[str] = Counter()
    counts[Person._meta.label] = len(ids)
    tp = Touchpoint.objects.filter(person_id__in=ids).values("pk")
    for model, field in _references(Person):
        if model is not Person and _cascades(field):
            counts[model._meta.label] += model._default_manager.filter(
                **{f"{field.attname}__in": ids}
            ).count()
    for model, field in _references(Touchpoint):
        if _cascades(field):
            counts[model._meta.label] += model._default_manager.filter(
                **{f"{field.attname}__in": tp}
            ).count()
    for model, field in _person_id_columns():
        counts[model._meta.label] += model._default_manager.filter(
            **{f"{field.attname}__in": ids}
        ).count()
    counts[OutboxMessage._meta.label] = outbox_messages(_emails(ids)).count()
    # A merge between two of the erased people is counted from both ends: count it once.
    counts[Merge._meta.label] = Merge.objects.filter(
        models.Q(winner_id__in=ids) | models.Q(loser_id__in=ids)
    ).count()
    return {label: n for label, n in sorted(counts.items()) if n}


@transaction.atomic
def erase_person(person: Person, *, actor: Any = None, actor_label: str = "") -> dict[str, int]:
    """Delete ``person``, everyone merged into them, and every row about them; returns counts.

    One transaction: either everything goes or nothing does. Leaves one ``person.erased``
    audit event holding only ids and counts. Earlier audit events about these people keep
    their action, actor and time, but their ``detail`` is cleared in case it held anything
    personal; Django admin log entries about them or their rows lose the object's name and
    the change message the same way.
    """
    ids = cluster_ids(person)
    counts: Counter[str] = Counter()
    values = _identity_values(ids)
    emails = _emails(ids)
    # 0. Django admin log entries about them or their rows (found while the rows still exist).
    admin_entries = _admin_log_entries(ids)
    # 1. Rows that name the person by a plain id column (no foreign key to cascade from).
    for model, field in _person_id_columns():
        for chunk in _chunks(ids):
            _, per_model = model._default_manager.filter(**{f"{field.attname}__in": chunk}).delete()
            counts.update(per_model)
    # 2. The people: the database cascade takes identities, facts, merges, snapshots,
    #    touchpoints and everything hanging off touchpoints (lines, analyses, promises).
    for chunk in _chunks(ids):
        _, per_model = Person.objects.filter(pk__in=chunk).delete()
        counts.update(per_model)
    # 3. E-mails sent to them (the outbox keeps each one as written).
    _, per_model = outbox_messages(emails).delete()
    counts.update(per_model)
    # 4. Scrub earlier audit details about them; the actions themselves stay on record.
    for chunk in _chunks(ids):
        AuditEvent.objects.filter(
            object_type="person", object_id__in=[str(i) for i in chunk]
        ).exclude(detail={}).update(detail={"scrubbed": "person.erased"})
    # 5. The admin log keeps each object's name as it was ("Ada Lovelace") and what changed.
    for chunk in _chunks(admin_entries):
        LogEntry.objects.filter(pk__in=chunk).update(
            object_repr="(erased person)", change_message=""
        )
    # 6. Import reject reports may hold rows with their e-mail or phone: scrub them once the
    #    deletion has committed (files are not part of the transaction).
    transaction.on_commit(lambda: scrub_import_rejects(values))
    result = {label: n for label, n in sorted(counts.items()) if n}
    AuditEvent.record(
        "person.erased",
        actor=actor,
        actor_label=actor_label,
        object_type="person",
        object_id=person.pk,
        merged_person_ids=ids[1:],
        deleted=result,
    )
    return result


def _admin_log_entries(ids: list[int]) -> list[int]:
    """Ids of Django admin log entries about these people or any row about them.

    The admin log is small next to the data, so it is read per content type and its object
    ids are checked against the tables that hold rows about a person (found from the model
    graph, as erasing does).
    """
    wanted = [str(i) for i in ids]
    owners: dict[type[models.Model], list[str]] = {}
    for model, field in _references(Person) + _person_id_columns():
        if model is not Person:
            owners.setdefault(model, []).append(field.attname)
    for model, field in _references(Touchpoint):
        owners.setdefault(model, []).append(f"{field.name}__person_id")
    found: list[int] = []
    for type_id in LogEntry.objects.values_list("content_type_id", flat=True).distinct():
        logged = ContentType.objects.get_for_id(type_id).model_class()
        entries = LogEntry.objects.filter(content_type_id=type_id)
        if logged is Person:
            for chunk in _chunks(wanted):
                found.extend(entries.filter(object_id__in=chunk).values_list("pk", flat=True))
            continue
        if logged is None or logged not in owners:
            continue
        object_ids = sorted(
            {int(o) for o in entries.values_list("object_id", flat=True) if o and o.isdigit()}
        )
        about = models.Q()
        for column in owners[logged]:
            about |= models.Q(**{f"{column}__in": ids})
        ours: set[str] = set()
        for id_chunk in _chunks(object_ids):
            rows = logged._default_manager.filter(about, pk__in=id_chunk)
            ours.update(str(pk) for pk in rows.values_list("pk", flat=True))
        for chunk in _chunks(sorted(ours)):
            found.extend(entries.filter(object_id__in=chunk).values_list("pk", flat=True))
    return found


def _identity_values(ids: list[int]) -> set[str]:
    """Every e-mail, phone and source id of these people, as stored and as first written."""
    values: set[str] = set()
    for chunk in _chunks(ids):
        for value, raw in Identity.objects.filter(person_id__in=chunk).values_list(
            "value", "raw_value"
        ):
            values.update(v.strip().lower() for v in (value, raw) if v and v.strip())
    return values


def _emails(ids: list[int]) -> set[str]:
    """Every e-mail address of these people (lower-cased), as stored and as first written."""
    found: set[str] = set()
    for chunk in _chunks(ids):
        rows = Identity.objects.filter(person_id__in=chunk, kind=IdentityKind.EMAIL)
        for value, raw in rows.values_list("value", "raw_value"):
            found.update(v.strip().lower() for v in (value, raw) if v and "@" in v)
    return found


def outbox_messages(emails: set[str]) -> models.QuerySet[OutboxMessage]:
    """E-mails in the outbox addressed to any of ``emails`` (one recipient among others
    counts; "bada@x" is not "ada@x")."""
    if not emails:
        return OutboxMessage.objects.none()
    near = models.Q()
    for email in emails:
        near |= models.Q(to__icontains=email)
    ids = [
        pk
        for pk, to in OutboxMessage.objects.filter(near).values_list("pk", "to")
        if emails & {part.strip().lower() for part in to.split(",")}
    ]
    return OutboxMessage.objects.filter(pk__in=ids)


def _names_someone(cells: list[str], values: set[str]) -> bool:
    for cell in cells:
        text = cell.strip().lower()
        if not text:
            continue
        if text in values:
            return True
        # Phones are written many ways: compare the normalised form too.
        if any(c.isdigit() for c in text) and normalize_phone(text) in values:
            return True
    return False


def scrub_import_rejects(values: set[str]) -> int:
    """Remove rejected rows that name any of ``values`` from every import's rejects report and
    preview; returns how many rows went. Rejected rows were never stored as a person, so only
    their e-mail, phone or id can tie them to the erased one."""
    from devotion.ingest.models import ImportRun

    if not values:
        return 0
    removed = 0
    for run in ImportRun.objects.exclude(rejects_path="").only(
        "pk", "rejects_path", "rejects_preview"
    ):
        path = Path(run.rejects_path)
        if not path.is_file():
            continue
        kept_lines: set[int] = set()
        dropped_lines: set[int] = set()
        temporary = path.with_name(path.name + ".scrub")
        with (
            path.open(encoding="utf-8", newline="") as source,
            temporary.open("w", encoding="utf-8", newline="") as target,
        ):
            reader, writer = csv.reader(source), csv.writer(target)
            for number, row in enumerate(reader):
                if number and _names_someone(row[2:], values):
                    dropped_lines.add(int(row[0]) if row[0].isdigit() else -1)
                    continue
                if number and row[0].isdigit():
                    kept_lines.add(int(row[0]))
                writer.writerow(row)
        if not dropped_lines:
            temporary.unlink()
            continue
        temporary.replace(path)
        removed += len(dropped_lines)
        # The preview shows line and reason only; drop the entries of rows that went (a
        # reason can quote the value) unless another, kept row shares the line number.
        gone = dropped_lines - kept_lines
        ImportRun.objects.filter(pk=run.pk).update(
            rejects_preview=[e for e in run.rejects_preview if e.get("line") not in gone]
        )
    return removed
