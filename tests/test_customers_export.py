"""Managers export the customers list as it is filtered and sorted: streamed CSV, safe to
open in a spreadsheet, and audited without personal data."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(make_event):
    ingest(
        [
            make_event(
                amount="54.00",
                person={"email": "ada@example.com", "name": '=HYPERLINK("http://evil")'},
            ),
            make_event(amount="5000", currency="JPY"),
            make_event(
                amount="10.00", person={"email": "bo@example.com", "name": "Bo", "country": "US"}
            ),
        ]
    )


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_export_is_the_current_list_with_its_filters_and_sort(shop, login, manager):
    response = login(manager).get(reverse("customers-export"), {"sort": "-spend"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    header, *people = rows(response)
    assert header[:3] == ["id", "name", "email"]
    assert [p[2] for p in people] == ["ada@example.com", "bo@example.com"]
    only_us = rows(login(manager).get(reverse("customers-export"), {"country": "US"}))
    assert [p[2] for p in only_us[1:]] == ["bo@example.com"]


def test_export_cells_cannot_run_as_spreadsheet_formulas(shop, login, manager):
    _, ada, _ = rows(login(manager).get(reverse("customers-export"), {"sort": "-spend"}))
    assert ada[1] == '\'=HYPERLINK("http://evil")'


def test_the_export_gives_spend_per_currency(shop, login, manager):
    header, ada, _ = rows(login(manager).get(reverse("customers-export"), {"sort": "-spend"}))
    assert ada[header.index("spent_by_currency")] == "5000 JPY + 54.00 USD"
    assert ada[header.index("spent_in_usd")] == ""  # no JPY rate: no made-up total
    # total_spent is in USD, leaving the yen out, and says so.
    assert ada[header.index("total_spent")] == "54.00"
    assert ada[header.index("spend_incomplete")] == "true"


def test_the_export_is_audited_with_counts_and_filters_but_no_personal_data(shop, login, manager):
    response = login(manager).get(
        reverse("customers-export"), {"q": "ada@example.com", "country": "US"}
    )
    rows(response)
    event = AuditEvent.objects.get(action="people.export")
    assert event.detail == {
        "rows": 0,
        "filters": {"search": True, "country": "US"},
        "sort": "-activity",
    }
    assert "ada" not in str(event.detail)


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_only_managers_and_up_may_export(shop, login, request, persona):
    response = login(request.getfixturevalue(persona)).get(reverse("customers-export"))
    assert response.status_code == 403


def test_agents_see_no_export_button(shop, login, agent, manager):
    assert "Export CSV" not in login(agent).get(reverse("customers")).content.decode()
    assert "Export CSV" in login(manager).get(reverse("customers")).content.decode()
