"""Consent is unknown until recorded, and each recorded consent says where and when."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.people.models import Person
from devotion.trust.privacy import export_person

pytestmark = pytest.mark.django_db


def test_a_new_person_has_every_consent_unknown(make_event):
    ingest([make_event()])
    person = Person.objects.get()
    assert [c.status for c in person.consents()] == ["unknown", "unknown", "unknown"]


def test_recorded_consent_keeps_where_and_when(make_event):
    ingest(
        [
            make_event(
                kind="customer",
                source="shopify",
                occurred_at="2025-03-01T10:00:00Z",
                consent={"email": True, "profiling": False},
            )
        ]
    )
    person = Person.objects.get()
    email, sms, profiling = person.consents()
    assert (email.status, email.source, email.recorded_at) == (
        "given",
        "shopify",
        datetime(2025, 3, 1, 10, tzinfo=UTC),
    )
    assert sms.status == "unknown" and sms.recorded_at is None
    assert profiling.status == "refused" and profiling.source == "shopify"


def test_the_customer_page_shows_unknown_instead_of_a_tick(login, agent, make_event):
    ingest([make_event()])
    body = login(agent).get(reverse("customer", args=[Person.objects.get().pk])).content.decode()
    assert "✓" not in body
    assert "Profiling: <strong>unknown</strong>" in body


def test_the_customer_page_says_when_and_where_consent_was_given(login, agent, make_event):
    ingest(
        [make_event(kind="customer", occurred_at="2026-12-07T14:05:00Z", consent={"email": True})]
    )
    body = login(agent).get(reverse("customer", args=[Person.objects.get().pk])).content.decode()
    assert "E-mail marketing: <strong>given</strong>" in body
    assert "7 Dec 2026 · via Shop" in body


def test_the_export_says_given_refused_or_unknown(make_event):
    ingest([make_event(kind="customer", consent={"sms": False})])
    person = Person.objects.get()
    export = export_person(person)
    assert export["consent"]["sms"]["status"] == "refused"
    assert export["consent"]["email"] == {"status": "unknown", "recorded_at": None, "source": ""}


def test_the_migration_forgets_consent_values_that_were_only_defaults(make_event):
    ingest([make_event(), make_event(person={"email": "bo@example.com"})])
    Person.objects.filter(primary_email="ada@example.com").update(
        consent_email=False, consent_sms=False, consent_profiling=True
    )
    Person.objects.filter(primary_email="bo@example.com").update(
        consent_email=True, consent_sms=False, consent_profiling=False
    )
    migration = importlib.import_module(
        "devotion.people.migrations.0006_consent_recorded_and_list_indexes"
    )
    from django.apps import apps

    migration.forget_defaulted_consent(apps, None)
    ada = Person.objects.get(primary_email="ada@example.com")
    bo = Person.objects.get(primary_email="bo@example.com")
    assert (ada.consent_email, ada.consent_sms, ada.consent_profiling) == (None, None, None)
    assert (bo.consent_email, bo.consent_sms, bo.consent_profiling) == (True, None, False)
