"""Settings > Webhooks: managers manage subscriptions and see the delivery log; others get 403."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from devotion.trust.models import AuditEvent
from devotion.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(manager) -> Subscription:
    return Subscription.objects.create(
        url="https://hooks.example/in", events=["person.created"], created_by=manager
    )


def _pages(sub: Subscription) -> list[tuple[str, str]]:
    base = f"/settings/webhooks/{sub.pk}"
    return [
        ("get", "/settings/webhooks/"),
        ("get", "/settings/webhooks/new/"),
        ("get", f"{base}/"),
        ("get", f"{base}/edit/"),
        ("get", f"{base}/delete/"),
        ("post", f"{base}/toggle/"),
        ("post", f"{base}/test/"),
        ("post", f"{base}/rotate-secret/"),
    ]


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_agents_and_outsiders_get_403_on_every_webhook_page(persona, request, login, subscription):
    client = login(request.getfixturevalue(persona))
    for method, url in _pages(subscription):
        assert getattr(client, method)(url).status_code == 403, url
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_managers_and_admins_can_open_every_webhook_page(persona, request, login, subscription):
    client = login(request.getfixturevalue(persona))
    for method, url in _pages(subscription):
        assert getattr(client, method)(url).status_code in (200, 302), url


def test_the_empty_list_says_what_to_do_next(login, manager):
    response = login(manager).get("/settings/webhooks/")
    assert b"No webhook subscriptions yet" in response.content
    assert b"Add subscription" in response.content


def test_a_manager_creates_a_subscription_and_sees_its_secret_once(login, manager):
    client = login(manager)
    response = client.post(
        "/settings/webhooks/new/",
        {"url": "https://crm.example/hooks", "events": ["people.merged", "person.created"]},
        follow=True,
    )
    sub = Subscription.objects.get()
    assert sub.url == "https://crm.example/hooks"
    assert sub.events == ["person.created", "people.merged"]
    assert sub.created_by == manager
    assert sub.secret.encode() in response.content
    assert b"<details open" in response.content
    event = AuditEvent.objects.get(action="webhook.created")
    assert event.object_id == str(sub.pk)
    assert sub.secret not in str(event.detail)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example/x", b"Use an http:// or https:// URL"),
        ("javascript:alert(1)", b"Enter a valid URL"),
        ("https://user:pw@crm.example/hooks", b"credentials"),
    ],
)
def test_it_refuses_urls_that_are_not_plain_http_or_https(login, manager, url, message):
    response = login(manager).post(
        "/settings/webhooks/new/", {"url": url, "events": ["person.created"]}
    )
    assert response.status_code == 200
    assert message in response.content
    assert Subscription.objects.count() == 0


def test_it_needs_at_least_one_known_event(login, manager):
    client = login(manager)
    response = client.post("/settings/webhooks/new/", {"url": "https://crm.example/h"})
    assert b"Choose at least one event" in response.content
    response = client.post(
        "/settings/webhooks/new/", {"url": "https://crm.example/h", "events": ["order.shipped"]}
    )
    assert b"Select a valid choice" in response.content
    assert Subscription.objects.count() == 0


def test_editing_toggling_and_deleting_are_audited(login, manager, subscription):
    client = login(manager)
    client.post(
        f"/settings/webhooks/{subscription.pk}/edit/",
        {
            "url": "https://hooks.example/v2",
            "events": ["touchpoint.created"],
            "is_active": "on",
        },
    )
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example/v2"
    client.post(f"/settings/webhooks/{subscription.pk}/toggle/")
    subscription.refresh_from_db()
    assert subscription.is_active is False
    client.post(f"/settings/webhooks/{subscription.pk}/delete/")
    assert not Subscription.objects.exists()
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["webhook.updated", "webhook.updated", "webhook.deleted"]
    for detail in AuditEvent.objects.values_list("detail", flat=True):
        assert "whsec_" not in str(detail)


def test_delete_asks_for_confirmation_on_get(login, manager, subscription):
    response = login(manager).get(f"/settings/webhooks/{subscription.pk}/delete/")
    assert b"Delete this subscription?" in response.content
    assert Subscription.objects.exists()


def test_send_test_event_queues_a_ping(
    login, manager, subscription, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(manager).post(f"/settings/webhooks/{subscription.pk}/test/")
    ping = Delivery.objects.get()
    assert ping.event == "ping"
    assert ping.status == "pending"
    assert DBTaskResult.objects.count() == 1


def test_retry_now_requeues_a_failed_delivery(
    login, manager, subscription, django_capture_on_commit_callbacks
):
    delivery = Delivery.objects.create(
        subscription=subscription,
        event="person.created",
        event_id="e1",
        payload={},
        status="failed",
        attempts=6,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = login(manager).post(
            f"/settings/webhooks/{subscription.pk}/deliveries/{delivery.pk}/retry/"
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert DBTaskResult.objects.count() == 1


def _many_deliveries(subscription: Subscription, n: int) -> None:
    Delivery.objects.bulk_create(
        Delivery(
            subscription=subscription,
            event="person.created",
            event_id=f"e{i}",
            payload={"person_id": i},
            status=["delivered", "failed", "pending"][i % 3],
            attempts=1,
        )
        for i in range(n)
    )


def test_the_delivery_log_pages_with_a_fixed_number_of_queries(
    login, manager, subscription, django_assert_max_num_queries
):
    _many_deliveries(subscription, 60)
    client = login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(f"/settings/webhooks/{subscription.pk}/")
    assert response.content.count(b"<details><summary") == 25
    assert b"Retry now" in response.content
    assert b"Older" in response.content
    older = response.context["next_before"]
    response = client.get(f"/settings/webhooks/{subscription.pk}/?before={older}")
    assert response.content.count(b"<details><summary") == 25
    response = client.get(f"/settings/webhooks/{subscription.pk}/?status=failed")
    assert response.content.count(b"<details><summary") == 20


def test_the_subscription_list_costs_the_same_queries_for_many_subscriptions(
    login, manager, django_assert_max_num_queries
):
    for i in range(10):
        sub = Subscription.objects.create(url=f"https://h{i}.example/", events=["ping"])
        _many_deliveries(sub, 3)
    client = login(manager)
    with django_assert_max_num_queries(6):
        response = client.get("/settings/webhooks/")
    assert response.content.count(b'badge-ok">Active') == 10
