"""The Retention page and its screens: cohorts, win-back decay, satisfied defectors,
retention economics, saved segments (agents view; managers edit spend and segments)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from devotion.core.models import Job
from devotion.lib import money
from devotion.lib.csvsafe import csv_lines
from devotion.people.models import Person
from devotion.retention import analysis, tasks
from devotion.retention.charts import Series, bar_chart, line_chart
from devotion.retention.forms import SegmentForm, SpendForm
from devotion.retention.models import RetentionReport, RetentionSpend, Segment
from devotion.retention.segments import (
    FIELDS,
    DefinitionError,
    NotScoredYet,
    live_counts,
    not_scored_fields,
    parse_definition,
    scores_computed,
    segment_people,
)
from devotion.retention.views_scores import score_sections
from devotion.team.permissions import has_role, role_required
from devotion.trust.models import AuditEvent

LISTED = 25
MEMBERS_PAGE = 50
ECONOMICS_MONTHS = 12
MEMBER_COLUMNS = (
    "id",
    "display_name",
    "primary_email",
    "stage",
    "country",
    "order_count",
    "total_spent",
    "last_activity_at",
)


def _month_label(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%b %Y")


def _cohorts(data: dict[str, Any]) -> dict[str, Any]:
    """The triangle's rows (a shaded cell per month offset) and the curves chart."""
    cohorts = data.get("cohorts", [])
    width = max((len(c["active"]) for c in cohorts), default=0)
    rows = []
    for cohort in cohorts:
        size = cohort["size"]
        cells: list[dict[str, Any] | None] = []
        for k in range(width):
            if k < len(cohort["active"]) and size:
                rate = cohort["active"][k] / size
                cells.append({"rate": rate, "alpha": f"{0.08 + 0.8 * rate:.2f}"})
            else:
                cells.append(None)
        rows.append({"month": _month_label(cohort["month"]), "size": size, "cells": cells})
    curve = data.get("curve", [])
    # Month 0 is 100 % by definition; the chart's scale follows the later months.
    later = [a / c["size"] for c in cohorts if c["size"] for a in c["active"][1:]]
    top = max([*later, *curve[1:], 0.05])
    series = [
        Series(
            _month_label(c["month"]),
            [a / c["size"] for a in c["active"][1:]] if c["size"] else [],
        )
        for c in cohorts
    ]
    series.append(Series("All cohorts", curve[1:], emphasis=True))
    chart = line_chart(
        "Share of each cohort buying again, by months since their first order",
        [f"M{k}" for k in range(1, width)],
        series,
        top_value=min(1.0, math.ceil(top * 1.05 * 10) / 10),
    )
    return {"rows": rows, "offsets": range(width), "chart": chart if width > 1 else None}


def _people(ids: list[int]) -> dict[int, Person]:
    return {p.pk: p for p in Person.objects.filter(pk__in=ids).only(*MEMBER_COLUMNS)}


def _decay(data: dict[str, Any]) -> dict[str, Any]:
    rows = data.get("decay", [])
    currency = data.get("currency", settings.REPORTING_CURRENCY)
    stay = bar_chart(
        "Average days customers kept buying after each win-back",
        [(r["label"].split()[0], r["mean_stay_days"], _days(r["mean_stay_days"])) for r in rows],
    )
    cost = bar_chart(
        "Money earned per unit of discount, by win-back",
        [
            (
                r["label"].split()[0],
                r["revenue_per_cost"] or 0,
                f"{r['revenue_per_cost'] or 0:.1f}\N{MULTIPLICATION SIGN}",
            )
            for r in rows
        ],
    )
    return {"rows": rows, "stay_chart": stay, "cost_chart": cost, "currency": currency}


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} d"


def _economics(data: dict[str, Any]) -> dict[str, Any]:
    """Per month with spend entered: cost per acquired and per retained customer, and the
    value each brings (lifetime value once scored, else spend so far)."""
    reporting = settings.REPORTING_CURRENCY
    monthly = {row["month"]: row for row in data.get("monthly", [])}
    spends = list(RetentionSpend.objects.order_by("-month")[:ECONOMICS_MONTHS])
    rows: list[dict[str, Any]] = []
    totals: dict[str, Any] = {
        "acq": Decimal(0),
        "ret": Decimal(0),
        "new": 0,
        "kept": 0,
        "new_value": 0.0,
        "kept_value": 0.0,
    }
    skipped = []
    for spend in reversed(spends):
        acq = money.convert(spend.acquisition_spend, spend.currency, reporting, settings.FX_RATES)
        ret = money.convert(spend.retention_spend, spend.currency, reporting, settings.FX_RATES)
        counts = monthly.get(spend.month.isoformat())
        if acq is None or ret is None:
            skipped.append(spend.month)
            continue
        new = counts["acquired"] if counts else 0
        kept = counts["retained"] if counts else 0
        rows.append(
            {
                "month": spend.month,
                "acquisition_spend": acq,
                "retention_spend": ret,
                "acquired": new,
                "retained": kept,
                "per_acquired": acq / new if new else None,
                "per_retained": ret / kept if kept else None,
                "acquired_value": counts["acquired_value"] / new if counts and new else None,
                "retained_value": counts["retained_value"] / kept if counts and kept else None,
                "observed": counts is not None,
            }
        )
        totals["acq"] += acq
        totals["ret"] += ret
        totals["new"] += new
        totals["kept"] += kept
        if counts:
            totals["new_value"] += counts["acquired_value"]
            totals["kept_value"] += counts["retained_value"]
    summary = None
    if totals["new"] and totals["kept"]:
        per_new = totals["acq"] / totals["new"]
        per_kept = totals["ret"] / totals["kept"]
        summary = {
            "per_acquired": per_new,
            "per_retained": per_kept,
            "ratio": per_new / per_kept if per_kept else None,
            "acquired_value": totals["new_value"] / totals["new"],
            "retained_value": totals["kept_value"] / totals["kept"],
        }
    return {"rows": rows, "summary": summary, "skipped": skipped, "currency": reporting}


def _segments(report: RetentionReport | None, previous: RetentionReport | None) -> list[dict]:
    """Every segment with its live count and its movement: a saved segment's live count
    against its size at the last analysis run; a built-in's (whose members are the last
    run's) against the run before."""
    segments = list(Segment.objects.all())
    computed = scores_computed()
    counts = live_counts(segments, report, computed)
    at_last = report.data.get("segment_counts", {}) if report else {}
    at_previous = previous.data.get("segment_counts", {}) if previous else {}
    rows = []
    for segment in segments:
        count = counts.get(segment.pk)
        was = (at_previous if segment.builtin else at_last).get(str(segment.pk))
        rows.append(
            {
                "segment": segment,
                "count": count,
                "was": was,
                "change": count - was if count is not None and was is not None else None,
                "not_scored": not_scored_fields(segment, computed),
            }
        )
    return rows


@role_required("agent")
def retention(request: HttpRequest) -> HttpResponse:
    # 1. The latest analysis run (and the one before, for movement); pages never compute it.
    report, previous = RetentionReport.latest_two()
    data = report.data if report else {}
    # 2. The people the lists name, in one query.
    flags = data.get("payback_flags", [])[:LISTED]
    defectors = data.get("defectors", [])[:LISTED]
    people = _people([f["person"] for f in flags] + [d["person"] for d in defectors])
    builtin_ids = {s.builtin: s.pk for s in Segment.objects.exclude(builtin="")}
    # 3. A recompute under way: the scoring and the analysis it queues after.
    running = (
        Job.objects.filter(
            kind__in=[tasks.KIND, analysis.KIND],
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        )
        .order_by("-pk")
        .first()
    )
    context = {
        "report": report,
        "data": data,
        "cohorts": _cohorts(data) if report else None,
        "decay": _decay(data) if report else None,
        "flags": [{**f, "who": people.get(f["person"])} for f in flags],
        "defectors": [
            {**d, "who": people.get(d["person"]), "answered_on": _day(d.get("answered_on"))}
            for d in defectors
        ],
        "economics": _economics(data),
        "segments": _segments(report, previous),
        "builtin_ids": builtin_ids,
        "running": running,
        "can_edit": has_role(request.user, "manager"),
        # 4. The scoring sections, from the latest scoring run (never computed here).
        **score_sections(request),
    }
    return render(request, "retention/page.html", context)


@require_POST
@role_required("manager")
def recompute(request: HttpRequest) -> HttpResponse:
    # Queue scoring, which queues the retention analysis when it ends (the analysis reads the
    # fresh scores); the page shows them running until a report lands.
    tasks.start_recompute(request.user)
    messages.success(
        request,
        "Scoring and then the retention analysis are queued; this page updates when done.",
    )
    return redirect("retention")


@role_required("manager")
def spend(request: HttpRequest) -> HttpResponse:
    # 1. Save a month's figures (replacing that month's), audited.
    form = SpendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        row = form.save(request.user)
        AuditEvent.record(
            "retention.spend_changed", actor=request.user, object_type="spend", object_id=row.pk
        )
        messages.success(request, f"Saved the spend of {row.month:%B %Y}.")
        return redirect("retention-spend")
    # 2. The months entered so far, newest first.
    rows = RetentionSpend.objects.order_by("-month")[:36]
    return render(request, "retention/spend.html", {"form": form, "rows": rows})


@require_POST
@role_required("manager")
def spend_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(RetentionSpend, pk=pk)
    row.delete()
    AuditEvent.record(
        "retention.spend_deleted", actor=request.user, object_type="spend", object_id=pk
    )
    messages.success(request, f"Removed the spend of {row.month:%B %Y}.")
    return redirect("retention-spend")


def _members_page(segment: Segment, after: int | None) -> tuple[list[Person], int | None, str]:
    """One page of members by id (keyset), the id to continue after, or why there is none."""
    try:
        people = segment_people(segment)
    except NotScoredYet as exc:
        return [], None, f"Not scored yet: this segment filters on {exc}."
    except DefinitionError as exc:
        return [], None, str(exc)
    if after is not None:
        people = people.filter(pk__gt=after)
    rows = list(people.only(*MEMBER_COLUMNS).order_by("pk")[: MEMBERS_PAGE + 1])
    more = len(rows) > MEMBERS_PAGE
    rows = rows[:MEMBERS_PAGE]
    return rows, rows[-1].pk if more else None, ""


@role_required("agent")
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # 1. The segment, its filters in words, its live count.
    segment = get_object_or_404(Segment, pk=pk)
    try:
        described = [c.describe() for c in parse_definition(segment.definition or {})]
    except DefinitionError as exc:
        described = [f"Invalid: {exc}"]
    count = live_counts([segment]).get(segment.pk)
    # 2. A page of members, keyset by id.
    after = request.GET.get("after", "")
    members, next_after, problem = _members_page(segment, int(after) if after.isdigit() else None)
    context = {
        "segment": segment,
        "described": described,
        "count": count,
        "members": members,
        "next_after": next_after,
        "problem": problem,
        "can_edit": has_role(request.user, "manager"),
        "report": RetentionReport.objects.only("computed_at", "as_of").first(),
    }
    return render(request, "retention/segment.html", context)


@role_required("manager")
def segment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    # 1. A new segment, or an existing saved one (built-ins are rules, not filters).
    segment = get_object_or_404(Segment, pk=pk) if pk is not None else None
    if segment is not None and segment.builtin:
        messages.error(request, "A built-in segment's rule cannot be edited.")
        return redirect("retention-segment", pk=segment.pk)
    form = SegmentForm(
        request.POST or None,
        instance=segment,
        initial=SegmentForm.initial_from_list(request.GET) if segment is None else None,
    )
    # 2. Save it, audited (ids and the fields it filters on, never values).
    if request.method == "POST" and form.is_valid():
        created = segment is None
        segment = segment or Segment(created_by=cast(Any, request.user))
        segment.name = form.cleaned_data["name"]
        segment.description = form.cleaned_data["description"]
        segment.definition = form.cleaned_data["definition"]
        segment.save()
        AuditEvent.record(
            "segment.created" if created else "segment.updated",
            actor=request.user,
            object_type="segment",
            object_id=segment.pk,
            fields=sorted({c["field"] for c in segment.conditions}),
        )
        messages.success(request, f"Saved the segment “{segment.name}”.")
        return redirect("retention-segment", pk=segment.pk)
    return render(
        request, "retention/segment_form.html", {"form": form, "segment": segment, "fields": FIELDS}
    )


@require_POST
@role_required("manager")
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=pk)
    if segment.builtin:
        messages.error(request, "Built-in segments stay.")
        return redirect("retention-segment", pk=pk)
    segment.delete()
    AuditEvent.record("segment.deleted", actor=request.user, object_type="segment", object_id=pk)
    messages.success(request, f"Deleted the segment “{segment.name}”.")
    return redirect("retention")


EXPORT_HEADER = (
    "id",
    "name",
    "email",
    "phone",
    "stage",
    "country",
    "orders",
    "total_spent",
    "last_activity_at",
    "first_seen_at",
)
SCORE_COLUMNS = tuple(name for name, spec in FIELDS.items() if spec.score and spec.kind != "days")


@role_required("manager")
def segment_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The segment's members as CSV (formula-safe), streamed; audited (segment, row count)."""
    segment = get_object_or_404(Segment, pk=pk)
    try:
        people = segment_people(segment)
    except (NotScoredYet, DefinitionError) as exc:
        messages.error(request, f"Nothing to export: {exc}")
        return redirect("retention-segment", pk=pk)
    scores = tuple(name for name in SCORE_COLUMNS if FIELDS[name].exists)
    user = request.user

    def lines() -> Iterator[str]:
        yield from csv_lines([(*EXPORT_HEADER, *scores)])
        count = 0
        rows = people.order_by("pk").values_list(
            "id",
            "display_name",
            "primary_email",
            "primary_phone",
            "stage",
            "country",
            "order_count",
            "total_spent",
            "last_activity_at",
            "first_seen_at",
            *scores,
        )
        for row in rows.iterator(chunk_size=2000):
            count += 1
            yield from csv_lines(
                [[value.isoformat() if hasattr(value, "isoformat") else value for value in row]]
            )
        AuditEvent.record(
            "segment.export", actor=user, object_type="segment", object_id=pk, rows=count
        )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="segment-{pk}-{stamp}.csv"'
    return response


def _day(iso: str | None) -> date | None:
    """A day stored in the analysis as ISO text, as a date the templates format."""
    return date.fromisoformat(iso) if iso else None
