"""Exporting everything held about one person: CLI, web download for admins, every table."""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command

from devotion.people.merging import merge_people
from devotion.people.models import Person
from devotion.touchpoints.models import Touchpoint
from devotion.trust.models import AuditEvent
from devotion.trust.privacy import export_person
from tests.test_erase_person import _person_with_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada() -> Person:
    person = _person_with_everything("Ada Lovelace", "ada@example.com", "+442079460000", "ada")
    twin = _person_with_everything("Ada L.", "ada@work.example", "+442079460001", "twin")
    merge_people(person, twin, reason="same person")
    return person


def _ids_in_export(data: dict, section: str) -> set[int]:
    return {row["id"] for row in data[section]}


def test_the_export_holds_every_row_of_every_table_about_the_person(ada):
    twin = Person.objects.get(merged_into=ada)
    data = json.loads(json.dumps(export_person(ada)))  # JSON-serialisable as it is

    assert data["person"]["id"] == ada.pk
    assert data["person"]["primary_email"] == "ada@example.com"
    assert [p["id"] for p in data["merged_people"]] == [twin.pk]
    exported = {
        "people.Identity": _ids_in_export(data, "identities"),
        "people.PersonalFact": _ids_in_export(data, "facts"),
        "touchpoints.Touchpoint": _ids_in_export(data, "touchpoints"),
        "retention.ScoreSnapshot": _ids_in_export(data, "score_snapshots"),
        "people.Merge": _ids_in_export(data, "merges"),
        "webhooks.Delivery": _ids_in_export(data, "webhook_deliveries"),
        "touchpoints.OrderLine": {line["id"] for tp in data["touchpoints"] for line in tp["lines"]},
        "followup.ReplyPromise": {p["id"] for tp in data["touchpoints"] for p in tp["promises"]},
        "voice.TextAnalysis": {
            tp["analysis"]["touchpoint_id"] for tp in data["touchpoints"] if tp["analysis"]
        },
    }
    # Every table with a reference to either profile or their touchpoints is fully exported.
    ids = [ada.pk, twin.pk]
    tp_ids = list(Touchpoint.objects.filter(person_id__in=ids).values_list("pk", flat=True))
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if model is Person:
                continue
            if field.is_relation and field.related_model is Person:
                wanted = ids
            elif field.is_relation and field.related_model is Touchpoint:
                wanted = tp_ids
            elif field.attname == "person_id":
                wanted = ids
            else:
                continue
            pks = set(
                model._default_manager.filter(**{f"{field.attname}__in": wanted}).values_list(
                    "pk", flat=True
                )
            )
            label = model._meta.label
            in_export = exported.get(label) or {
                row["id" if "id" in row else "pk"] for row in data["other"].get(label.lower(), [])
            }
            assert pks <= in_export, f"{label}.{field.attname} rows missing from the export"
    assert len(exported["touchpoints.Touchpoint"]) == 4
    assert len(exported["webhooks.Delivery"]) == 2
    assert {a["action"] for a in data["audit_events"]} == {"person.view"}


def test_the_cli_writes_the_export_to_stdout_or_a_file(ada, tmp_path):
    out = io.StringIO()
    call_command("person", "export", str(ada.pk), stdout=out)
    assert json.loads(out.getvalue())["person_id"] == ada.pk

    target = tmp_path / "ada.json"
    call_command("person", "export", str(ada.pk), "--output", str(target), stderr=io.StringIO())
    assert json.loads(target.read_text())["person"]["display_name"] == "Ada Lovelace"
    assert AuditEvent.objects.filter(action="person.export", actor_label="cli").count() == 2


def test_an_admin_downloads_the_export_and_it_is_audited(ada, admin_user, login):
    response = login(admin_user).get(f"/settings/people/{ada.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="person-{ada.pk}.json"'
    assert json.loads(response.content)["person_id"] == ada.pk
    event = AuditEvent.objects.get(action="person.export")
    assert (event.actor, event.object_id) == (admin_user, str(ada.pk))


@pytest.mark.parametrize("persona", ["agent", "manager", "outsider"])
def test_only_admins_may_export_or_erase(persona, request, login, ada):
    client = login(request.getfixturevalue(persona))
    assert client.get(f"/settings/people/{ada.pk}/export.json").status_code == 403
    assert client.get(f"/settings/people/{ada.pk}/erase/").status_code == 403
    assert client.post(f"/settings/people/{ada.pk}/erase/").status_code == 403
    assert Person.objects.filter(pk=ada.pk).exists()
    assert not AuditEvent.objects.filter(action__in=["person.export", "person.erased"]).exists()


def test_the_erase_page_shows_what_will_be_deleted_then_erases_on_post(ada, admin_user, login):
    client = login(admin_user)
    page = client.get(f"/settings/people/{ada.pk}/erase/")
    assert page.status_code == 200
    assert b"Erase permanently" in page.content
    assert b"touchpoints.Touchpoint" in page.content
    assert b"1 profile merged into them" in page.content

    response = client.post(f"/settings/people/{ada.pk}/erase/")
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert not Person.objects.filter(pk=ada.pk).exists()
    assert AuditEvent.objects.get(action="person.erased").actor == admin_user


def test_unknown_people_give_404(admin_user, login):
    client = login(admin_user)
    assert client.get("/settings/people/999/export.json").status_code == 404
    assert client.get("/settings/people/999/erase/").status_code == 404
