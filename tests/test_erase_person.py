"""Erasing a person removes every row about them, everywhere, and leaves an audit record only."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from devotion.followup.models import ReplyPromise
from devotion.ingest.models import ImportRun
from devotion.people.merging import merge_people
from devotion.people.models import Identity, Person, PersonalFact
from devotion.retention.models import ScoreSnapshot, ScoringRun
from devotion.touchpoints.models import OrderLine, Touchpoint
from devotion.trust.models import AuditEvent
from devotion.trust.privacy import erase_person, erase_preview
from devotion.voice.models import TextAnalysis
from devotion.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db

EMAIL, PHONE, NAME = "ada@example.com", "+442079460000", "Ada Lovelace"


def _person_with_everything(name: str, email: str, phone: str, tag: str) -> Person:
    """A person with a row in every table that can hold something about them."""
    now = timezone.now()
    person = Person.objects.create(primary_email=email, primary_phone=phone)
    person.set_name(name)
    person.save()
    Identity.objects.create(person=person, kind="email", value=email)
    Identity.objects.create(person=person, kind="phone", value=phone)
    Identity.objects.create(person=person, kind="external", source="shop", value=f"cus-{tag}")
    order = Touchpoint.objects.create(
        person=person,
        kind="order",
        source="shop",
        external_id=f"o-{tag}",
        occurred_at=now,
        amount=Decimal("40.00"),
    )
    OrderLine.objects.create(touchpoint=order, product_id="mug", quantity=2)
    message = Touchpoint.objects.create(
        person=person,
        kind="message",
        direction="in",
        source="desk",
        external_id=f"m-{tag}",
        occurred_at=now,
        text=f"Hi, this is {name}, my cat Pixel broke the mug",
    )
    TextAnalysis.objects.create(touchpoint=message, sentiment=-0.4, model_version="t")
    ReplyPromise.objects.create(touchpoint=message, target="first_reply", due_at=now)
    PersonalFact.objects.create(
        person=person, key="pet_name", value="Pixel", learned_from=message, learned_at=now
    )
    ScoreSnapshot.objects.create(
        person=person,
        run=ScoringRun.objects.create(as_of=now.date(), started_at=now),
        computed_at=now - timedelta(days=1),
        health_score=0.7,
    )
    subscription, _ = Subscription.objects.get_or_create(
        url="https://hooks.example/", defaults={"events": ["person.created"]}
    )
    Delivery.objects.create(
        subscription=subscription,
        event="person.created",
        event_id=f"e-{tag}",
        payload={"person_id": person.pk, "display_name": name},
        person_id=person.pk,
    )
    AuditEvent.record("person.view", object_type="person", object_id=person.pk, note=email)
    return person


@pytest.fixture
def ada() -> Person:
    person = _person_with_everything(NAME, EMAIL, PHONE, "ada")
    twin = _person_with_everything("Ada L.", "ada@work.example", "+442079460001", "twin")
    merge_people(person, twin, reason=f"shares e-mail {EMAIL}")
    return person


@pytest.fixture
def bob() -> Person:
    return _person_with_everything("Bob Bystander", "bob@example.com", "+15550100", "bob")


def _references_left(ids: list[int], touchpoint_ids: list[int]) -> list[str]:
    """Every (table.column) that still points at one of the erased people or touchpoints."""
    left = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Person:
                wanted = ids
            elif field.is_relation and field.related_model is Touchpoint:
                wanted = touchpoint_ids
            elif field.attname == "person_id":
                wanted = ids
            else:
                continue
            if model._default_manager.filter(**{f"{field.attname}__in": wanted}).exists():
                left.append(f"{model._meta.label}.{field.attname}")
    return left


def test_erasing_leaves_no_row_anywhere_that_references_the_person(ada, bob):
    ids = [ada.pk, *Person.objects.filter(merged_into=ada).values_list("pk", flat=True)]
    assert len(ids) == 2
    touchpoint_ids = list(Touchpoint.objects.filter(person_id__in=ids).values_list("pk", flat=True))
    assert _references_left(ids, touchpoint_ids)  # the check sees the rows before

    erase_person(ada)

    assert _references_left(ids, touchpoint_ids) == []
    assert not Person.objects.filter(pk__in=ids).exists()
    assert not Touchpoint.objects.filter(pk__in=touchpoint_ids).exists()


def _rows_of(person: Person) -> dict[str, int]:
    lookups = [
        (Person, {"pk": person.pk}),
        (Identity, {"person": person}),
        (Touchpoint, {"person": person}),
        (OrderLine, {"touchpoint__person": person}),
        (TextAnalysis, {"touchpoint__person": person}),
        (ReplyPromise, {"touchpoint__person": person}),
        (PersonalFact, {"person": person}),
        (ScoreSnapshot, {"person": person}),
        (Delivery, {"person_id": person.pk}),
    ]
    return {model._meta.label: model.objects.filter(**f).count() for model, f in lookups}


def test_erasing_one_person_leaves_everyone_else_alone(ada, bob):
    before = _rows_of(bob)
    assert all(before.values())
    erase_person(ada)
    assert _rows_of(bob) == before
    assert Subscription.objects.exists()


def test_the_audit_record_holds_counts_and_no_personal_data(ada, admin_user):
    counts = erase_person(ada, actor=admin_user)

    event = AuditEvent.objects.get(action="person.erased")
    assert event.object_type == "person"
    assert event.object_id == str(ada.pk)
    assert event.actor == admin_user
    assert event.detail["deleted"] == counts
    assert counts["people.Person"] == 2
    assert counts["touchpoints.Touchpoint"] == 4
    assert counts["webhooks.Delivery"] == 2
    assert counts["people.Merge"] == 1
    everything = json.dumps(list(AuditEvent.objects.values()), default=str)
    for personal in (EMAIL, "ada@work.example", PHONE, "Lovelace", "Pixel"):
        assert personal not in everything


def test_earlier_audit_events_keep_the_action_but_lose_their_detail(ada):
    erase_person(ada)
    views = AuditEvent.objects.filter(action="person.view")
    assert views.count() == 2
    assert all(v.detail == {"scrubbed": "person.erased"} for v in views)


def test_the_preview_counts_what_erase_deletes(ada):
    preview = erase_preview(ada)
    assert preview == erase_person(ada)


def test_erase_is_all_or_nothing(ada, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditEvent, "record", broken)
    with pytest.raises(RuntimeError):
        erase_person(ada)
    assert Person.objects.filter(pk=ada.pk).exists()
    assert Touchpoint.objects.filter(person=ada).count() == 4


def test_the_cli_erases_with_yes(ada):
    out = io.StringIO()
    call_command("person", "erase", str(ada.pk), "--yes", stdout=out)
    assert "Erased person" in out.getvalue()
    assert not Person.objects.filter(pk=ada.pk).exists()
    assert AuditEvent.objects.get(action="person.erased").actor_label == "cli"


def test_the_cli_refuses_to_erase_without_yes_when_nobody_can_confirm(ada, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="--yes"):
        call_command("person", "erase", str(ada.pk))
    assert Person.objects.filter(pk=ada.pk).exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_cli_asks_on_a_terminal_and_erases_when_the_id_is_typed(ada, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Terminal(f"{ada.pk}\n"))
    out = io.StringIO()
    call_command("person", "erase", str(ada.pk), stdout=out)
    assert "people.Person: 2" in out.getvalue()
    assert not Person.objects.filter(pk=ada.pk).exists()


def test_the_cli_keeps_the_person_when_the_answer_is_wrong(ada, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Terminal("no\n"))
    with pytest.raises(CommandError, match="nothing was erased"):
        call_command("person", "erase", str(ada.pk), stdout=io.StringIO())
    assert Person.objects.filter(pk=ada.pk).exists()


def test_the_cli_says_when_there_is_no_such_person(db):
    with pytest.raises(CommandError, match="no person with id 999"):
        call_command("person", "erase", "999", "--yes")


def test_erasing_scrubs_their_rows_from_import_reject_reports(
    ada, bob, tmp_path, django_capture_on_commit_callbacks
):
    from devotion.ingest.importer import Importer

    path = tmp_path / "orders.csv"
    path.write_text(
        "external_id,occurred_at,email,phone,amount\n"
        f"r-1,yesterday,{EMAIL.upper()},,10.00\n"  # Ada, written in capitals
        "r-2,yesterday,,+44 20 7946 0000,10.00\n"  # Ada's phone, written another way
        "r-3,yesterday,bob@example.com,,10.00\n"  # Bob
    )
    result = Importer("orders", "generic").run(path)
    assert result.rejected == 3

    with django_capture_on_commit_callbacks(execute=True):
        erase_person(ada)

    report = result.rejects_path.read_text()
    assert EMAIL not in report.lower()
    assert "7946" not in report
    assert "bob@example.com" in report
    run = ImportRun.objects.get()
    assert [entry["line"] for entry in run.rejects_preview] == [4]


def test_e_mails_sent_to_them_are_exported_and_erased(client):
    """The outbox keeps each e-mail as written: the ones to this person (alone or among
    others) are theirs; one to an address that merely contains theirs is not."""
    from devotion.core.models import OutboxMessage
    from devotion.trust.privacy import export_person

    person = Person.objects.create(primary_email=EMAIL)
    Identity.objects.create(person=person, kind="email", value=EMAIL)
    kept = OutboxMessage.Status.KEPT
    OutboxMessage.objects.create(to=EMAIL, subject="How did we do?", status=kept)
    OutboxMessage.objects.create(to=f"sam@shop.example, {EMAIL.upper()}", subject="Re", status=kept)
    other = OutboxMessage.objects.create(to=f"bad{EMAIL}", subject="Not Ada", status=kept)

    exported = export_person(person)
    assert [m["subject"] for m in exported["emails_sent"]] == ["How did we do?", "Re"]
    assert erase_preview(person)["core.OutboxMessage"] == 2
    assert erase_person(person)["core.OutboxMessage"] == 2
    assert list(OutboxMessage.objects.all()) == [other]
