"""Settings > Webhooks: subscriptions, their signing secrets and the delivery log (managers)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from devotion.team.permissions import role_required
from devotion.trust.models import AuditEvent
from devotion.webhooks.forms import SubscriptionForm
from devotion.webhooks.models import EVENTS, Delivery, Subscription, new_secret
from devotion.webhooks.tasks import queue_ping, retry_now

PAGE_SIZE = 25
COUNT_WINDOW = timedelta(days=7)


def _audit(request: HttpRequest, action: str, subscription: Subscription, **detail: Any) -> None:
    # Ids, events and flags only: never the secret (and not the URL, which may carry a token).
    AuditEvent.record(
        action, actor=request.user, object_type="webhook", object_id=subscription.pk, **detail
    )


@role_required("manager")
def subscription_list(request: HttpRequest) -> HttpResponse:
    # Recent counts per status and the latest delivery, in one query (index: subscription, time).
    since = timezone.now() - COUNT_WINDOW
    recent = Q(deliveries__created_at__gte=since)
    latest = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at")
    subscriptions = Subscription.objects.annotate(
        delivered=Count("deliveries", filter=recent & Q(deliveries__status="delivered")),
        failed=Count("deliveries", filter=recent & Q(deliveries__status="failed")),
        pending=Count("deliveries", filter=recent & Q(deliveries__status="pending")),
        last_status=Subquery(latest.values("status")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
    ).order_by("-created_at")
    return render(
        request,
        "webhooks/list.html",
        {"subscriptions": subscriptions, "event_names": EVENTS},
    )


@role_required("manager")
def subscription_create(request: HttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        # Save, audit, then show the new secret once on the subscription's page.
        subscription = form.save(commit=False)
        subscription.created_by = request.user
        subscription.save()
        _audit(request, "webhook.created", subscription, events=subscription.events)
        messages.success(request, "Subscription created. Copy its signing secret below.")
        return redirect(f"/settings/webhooks/{subscription.pk}/?new=1")
    return render(request, "webhooks/form.html", {"form": form, "subscription": None})


@role_required("manager")
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    # Delivery log: newest first, keyset-paginated on id, optionally one status.
    deliveries = Delivery.objects.filter(subscription=subscription).order_by("-id")
    status = request.GET.get("status", "")
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    before = request.GET.get("before", "")
    if before.isdigit():
        deliveries = deliveries.filter(pk__lt=int(before))
    page = list(deliveries[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    rows = [(d, json.dumps(d.payload, indent=2, default=str)) for d in page]
    return render(
        request,
        "webhooks/detail.html",
        {
            "subscription": subscription,
            "rows": rows,
            "status": status,
            "statuses": Delivery.Status.choices,
            "next_before": page[-1].pk if has_more else None,
            "is_first_page": not before,
            "show_secret": request.GET.get("new") == "1",
            "event_names": EVENTS,
        },
    )


@role_required("manager")
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        # Save and audit which settings changed (names only).
        form.save()
        _audit(request, "webhook.updated", subscription, changed=sorted(form.changed_data))
        messages.success(request, "Subscription saved.")
        return redirect("webhook", pk=subscription.pk)
    return render(request, "webhooks/form.html", {"form": form, "subscription": subscription})


@require_POST
@role_required("manager")
def subscription_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    subscription.is_active = not subscription.is_active
    subscription.save(update_fields=["is_active"])
    _audit(request, "webhook.updated", subscription, is_active=subscription.is_active)
    messages.success(
        request, "Subscription resumed." if subscription.is_active else "Subscription paused."
    )
    return redirect(request.POST.get("next") or f"/settings/webhooks/{subscription.pk}/")


@role_required("manager")
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    if request.method == "POST":
        # Audit first (the id survives in the log), then delete with its delivery log.
        _audit(request, "webhook.deleted", subscription, events=subscription.events)
        subscription.delete()
        messages.success(request, "Subscription deleted.")
        return redirect("webhooks")
    count = subscription.deliveries.count()
    return render(
        request,
        "webhooks/confirm_delete.html",
        {"subscription": subscription, "delivery_count": count},
    )


@require_POST
@role_required("manager")
def subscription_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    with transaction.atomic():
        queue_ping(subscription)
        _audit(request, "webhook.tested", subscription)
    messages.success(request, "Test event queued: it appears in the log below within seconds.")
    return redirect("webhook", pk=subscription.pk)


@require_POST
@role_required("manager")
def subscription_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret"])
    _audit(request, "webhook.secret_rotated", subscription)
    messages.warning(request, "New signing secret made: update your receiver now.")
    return redirect(f"/settings/webhooks/{subscription.pk}/?new=1")


@require_POST
@role_required("manager")
def delivery_retry(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=delivery_pk, subscription_id=pk)
    with transaction.atomic():
        retry_now(delivery)
        _audit(request, "webhook.retried", delivery.subscription, delivery_id=delivery.pk)
    messages.success(request, "Delivery queued for another attempt.")
    return redirect("webhook", pk=pk)
