"""The Retention page and its screens: who may see and change what, the empty state, the
sections on real data, spend entry, segment editing and export, and query-count guards."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from devotion.core.models import Job
from devotion.people.models import Person
from devotion.retention import analysis
from devotion.retention.models import RetentionReport, RetentionSpend, Segment
from devotion.trust.models import AuditEvent

pytestmark = pytest.mark.django_db


def _person(name: str, **fields) -> Person:
    person = Person(**fields)
    person.set_name(name)
    person.save()
    return person


@pytest.fixture
def report(make_event) -> RetentionReport:
    """A shop with a win-back, a satisfied defector and cohorts, analysed."""
    from devotion.ingest.store import ingest

    events = []
    for i, day in enumerate(["2024-01-05", "2024-02-04", "2024-03-05", "2024-10-01", "2024-10-31"]):
        events.append(
            make_event(
                external_id=f"ann-{i}",
                occurred_at=f"{day}T12:00:00Z",
                person={"email": "ann@example.com", "name": "Ann Archer"},
                extra={"coupon": "MISSYOU20"} if i == 3 else {},
            )
        )
    for i, day in enumerate(["2024-03-01", "2024-03-31", "2024-04-30", "2024-05-30"]):
        events.append(
            make_event(
                external_id=f"cy-{i}",
                occurred_at=f"{day}T12:00:00Z",
                person={"email": "cy@example.com", "name": "Cy Cooper"},
            )
        )
    events.append(
        make_event(
            kind="survey_answer",
            external_id="nps-cy",
            occurred_at="2024-05-20T12:00:00Z",
            person={"email": "cy@example.com"},
            amount=None,
            currency=None,
            rating=10,
            extra={"survey": "nps"},
        )
    )
    ingest(events)
    return analysis.run_now(date(2025, 1, 31))


# ------------------------------------------------------------------------------ access


def test_agents_managers_and_admins_see_the_page(login, agent, manager, admin_user, report):
    for user in (agent, manager, admin_user):
        response = login(user).get(reverse("retention"))
        assert response.status_code == 200
        assert b"Monthly cohorts" in response.content


def test_outsiders_are_refused_and_strangers_sent_to_log_in(client, login, outsider):
    assert client.get(reverse("retention")).status_code == 302
    assert login(outsider).get(reverse("retention")).status_code == 403


def test_only_managers_get_the_edit_controls(login, agent, manager, report):
    assert b"Recompute" not in login(agent).get(reverse("retention")).content
    assert b"Recompute" in login(manager).get(reverse("retention")).content


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("retention-recompute", "post"),
        ("retention-spend", "get"),
        ("retention-spend", "post"),
        ("retention-segment-new", "get"),
        ("retention-segment-new", "post"),
    ],
)
def test_agents_cannot_change_anything(login, agent, name, method):
    client = login(agent)
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 403


def test_agents_cannot_edit_delete_or_export_a_segment(login, agent):
    segment = Segment.objects.create(
        name="Big", definition={"conditions": [{"field": "order_count", "op": "gte", "value": 1}]}
    )
    client = login(agent)
    assert client.get(reverse("retention-segment", args=[segment.pk])).status_code == 200
    for name in ("retention-segment-edit", "retention-segment-export"):
        assert client.get(reverse(name, args=[segment.pk])).status_code == 403
    assert client.post(reverse("retention-segment-delete", args=[segment.pk])).status_code == 403
    assert Segment.objects.filter(pk=segment.pk).exists()


# ------------------------------------------------------------------------------ content


def test_before_any_analysis_the_page_says_what_to_do(login, manager):
    response = login(manager).get(reverse("retention"))
    assert b"No retention analysis yet" in response.content
    assert b"devotion retention-report" in response.content


def test_the_page_shows_winbacks_and_satisfied_defectors_by_name(login, agent, report):
    content = login(agent).get(reverse("retention")).content.decode()
    assert "Win-backs and their decay" in content and "<svg" in content
    assert "Cy Cooper" in content and "NPS 10" in content
    assert "on 20 May 2024" in content  # the one date format of the app, not 2024-05-20
    assert "no order for" in content  # the behaviour beside the answer


def test_recompute_queues_the_analysis_for_the_worker(login, manager):
    response = login(manager).post(reverse("retention-recompute"))
    assert response.status_code == 302
    job = Job.objects.get(kind=analysis.KIND)
    assert job.status == Job.Status.QUEUED and job.started_by == manager
    content = login(manager).get(reverse("retention")).content.decode()
    assert "Analysis queued" in content and 'http-equiv="refresh"' in content


def test_the_page_costs_a_fixed_number_of_queries(
    login, agent, report, django_assert_max_num_queries
):
    for n in range(12):
        Segment.objects.create(
            name=f"Orders {n}",
            definition={"conditions": [{"field": "order_count", "op": "gte", "value": n}]},
        )
    for month in range(1, 13):
        RetentionSpend.objects.create(
            month=date(2024, month, 1), acquisition_spend=1000, retention_spend=300, currency="USD"
        )
    analysis.run_now(date(2025, 1, 31))  # a second report: movement
    client = login(agent)
    client.get(reverse("retention"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("retention"))
    assert response.content.count(b"Orders ") >= 12


# ------------------------------------------------------------------------------ spend


def test_a_manager_enters_a_months_spend_and_sees_the_cost_per_customer(login, manager, report):
    client = login(manager)
    response = client.post(
        reverse("retention-spend"),
        {
            "month": "2024-03",
            "acquisition_spend": "900",
            "retention_spend": "120",
            "currency": "usd",
        },
    )
    assert response.status_code == 302
    row = RetentionSpend.objects.get()
    assert (row.month, row.acquisition_spend, row.currency) == (date(2024, 3, 1), 900, "USD")
    assert AuditEvent.objects.filter(action="retention.spend_changed").exists()
    # March 2024: Cy's first order (1 new customer), Ann a returning one (1 retained).
    content = client.get(reverse("retention")).content.decode()
    assert "$900.00" in content and "$120.00" in content
    assert "cheaper to keep than to win" in content


def test_entering_a_month_again_replaces_it(login, manager):
    client = login(manager)
    for amount in ("100", "250"):
        client.post(
            reverse("retention-spend"),
            {
                "month": "2024-03",
                "acquisition_spend": amount,
                "retention_spend": "1",
                "currency": "USD",
            },
        )
    assert RetentionSpend.objects.get().acquisition_spend == Decimal("250")


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("month", "March", "is not a month"),
        ("currency", "ZZZ", "ISO 4217"),
        ("currency", "EUR", "no rate from EUR"),
        ("acquisition_spend", "-5", "greater than or equal to 0"),
    ],
)
def test_bad_spend_is_refused_with_a_reason(login, manager, field, value, says):
    data = {
        "month": "2024-03",
        "acquisition_spend": "1",
        "retention_spend": "1",
        "currency": "USD",
        field: value,
    }
    response = login(manager).post(reverse("retention-spend"), data)
    assert response.status_code == 200 and says in response.content.decode()
    assert not RetentionSpend.objects.exists()


# ------------------------------------------------------------------------------ segments


def test_a_manager_saves_a_segment_from_filters_and_sees_its_members(login, manager):
    _person("Big Spender", order_count=5, total_spent=Decimal("500"), stage="active")
    _person("Small Spender", order_count=1, total_spent=Decimal("20"), stage="new")
    client = login(manager)
    response = client.post(
        reverse("retention-segment-new"),
        {"name": "Big spenders", "f_total_spent_gte": "300", "f_stage": ["active", "at_risk"]},
    )
    segment = Segment.objects.get(name="Big spenders")
    assert response.status_code == 302
    assert segment.conditions == [
        {"field": "stage", "op": "in", "value": ["active", "at_risk"]},
        {"field": "total_spent", "op": "gte", "value": 300},
    ]
    content = client.get(reverse("retention-segment", args=[segment.pk])).content.decode()
    assert "Big Spender" in content and "Small Spender" not in content
    assert "1 person now" in content
    assert AuditEvent.objects.filter(action="segment.created", object_id=str(segment.pk)).exists()


def test_a_segment_needs_a_filter_and_a_unique_name(login, manager):
    Segment.objects.create(name="Taken", definition={"conditions": []})
    client = login(manager)
    response = client.post(reverse("retention-segment-new"), {"name": "New one"})
    assert "Choose at least one filter" in response.content.decode()
    response = client.post(
        reverse("retention-segment-new"), {"name": "taken", "f_order_count_gte": "1"}
    )
    assert "Another segment has this name" in response.content.decode()


def test_editing_keeps_the_filters_and_deleting_removes_the_segment(login, manager):
    segment = Segment.objects.create(
        name="Quiet",
        definition={"conditions": [{"field": "last_activity_at", "op": "over", "value": 90}]},
    )
    client = login(manager)
    form = client.get(reverse("retention-segment-edit", args=[segment.pk])).content.decode()
    assert 'name="f_last_activity_at_over"' in form and 'value="90"' in form
    client.post(
        reverse("retention-segment-edit", args=[segment.pk]),
        {"name": "Quiet", "f_last_activity_at_over": "120"},
    )
    segment.refresh_from_db()
    assert segment.conditions[0]["value"] == 120
    client.post(reverse("retention-segment-delete", args=[segment.pk]))
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_builtin_segments_cannot_be_edited_or_deleted(login, manager):
    builtin = Segment.objects.get(builtin=Segment.Builtin.SATISFIED_DEFECTORS)
    client = login(manager)
    assert client.get(reverse("retention-segment-edit", args=[builtin.pk])).status_code == 302
    client.post(reverse("retention-segment-delete", args=[builtin.pk]))
    assert Segment.objects.filter(pk=builtin.pk).exists()


def test_the_export_is_formula_safe_and_audited(login, manager):
    _person('=HYPERLINK("http://evil")', order_count=3, total_spent=Decimal("-1.50"))
    segment = Segment.objects.create(
        name="All buyers",
        definition={"conditions": [{"field": "order_count", "op": "gte", "value": 1}]},
    )
    response = login(manager).get(reverse("retention-segment-export", args=[segment.pk]))
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["id", "name", "email"]
    assert rows[1][1].startswith("'=HYPERLINK")
    assert rows[1][7] == "-1.50"  # a number we wrote stays a number
    event = AuditEvent.objects.get(action="segment.export")
    assert event.detail == {"rows": 1} and event.object_id == str(segment.pk)


def test_the_members_list_pages_by_id_with_a_fixed_number_of_queries(
    login, agent, django_assert_max_num_queries
):
    Person.objects.bulk_create(
        [Person(display_name=f"P{i}", order_count=2, stage="active") for i in range(120)]
    )
    segment = Segment.objects.create(
        name="Repeat",
        definition={"conditions": [{"field": "order_count", "op": "gte", "value": 2}]},
    )
    client = login(agent)
    client.get(reverse("retention-segment", args=[segment.pk]))
    with django_assert_max_num_queries(8):
        first = client.get(reverse("retention-segment", args=[segment.pk]))
    assert first.content.count(b'class="badge badge-active"') == 50
    after = first.context["next_after"]
    second = client.get(reverse("retention-segment", args=[segment.pk]), {"after": after})
    assert second.context["members"][0].pk > after
    assert "120 people now" in first.content.decode()


def test_a_report_older_than_a_segment_shows_no_movement_for_it(login, agent, report):
    Segment.objects.create(
        name="Brand new",
        definition={"conditions": [{"field": "order_count", "op": "gte", "value": 1}]},
    )
    RetentionReport.objects.update(computed_at=timezone.now())
    content = login(agent).get(reverse("retention")).content.decode()
    assert "Brand new" in content


def test_the_customers_lists_filters_can_be_saved_as_a_segment(login, manager):
    _person("Ann", stage="active", country="GB", order_count=2)
    client = login(manager)
    listing = client.get(reverse("customers"), {"stage": "active", "country": "GB"}).content
    assert b"Save as segment" in listing
    form = client.get(
        reverse("retention-segment-new"),
        {"stage": "active", "country": "GB", "consent": "email:given", "q": "ann"},
    ).content.decode()
    assert 'name="f_stage" value="active" id="id_f_stage_2" checked' in form
    assert 'name="f_country" value="GB"' in form
    assert '<option value="given" selected>' in form
