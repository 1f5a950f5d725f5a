"""Settings > Scoring (/retention/health/): the health scorecard's weights, the churn model's
report card, recent scoring runs, and a "Recompute" button. Managers only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from devotion.analytics import health
from devotion.analytics.stages import RULES as STAGE_RULES
from devotion.people.models import Stage
from devotion.retention.models import HealthWeights, ScoringModel, ScoringRun
from devotion.retention.tasks import start_recompute
from devotion.team.permissions import role_required
from devotion.trust.models import AuditEvent


class WeightsForm(forms.Form):
    """One number per scorecard factor, 0-100; at least one above 0."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in health.LABELS.items():
            self.fields[key] = forms.FloatField(
                label=label,
                min_value=0,
                max_value=100,
                widget=forms.NumberInput(attrs={"step": "any"}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and sum(data.get(k, 0) for k in health.LABELS) <= 0:
            raise forms.ValidationError("At least one factor needs a weight above 0.")
        return data


@role_required("manager")
def health_settings(request: HttpRequest) -> HttpResponse:
    # 1. Save new weights (they apply from the next scoring run).
    if request.method == "POST":
        form = WeightsForm(request.POST)
        if form.is_valid():
            weights = {k: float(form.cleaned_data[k]) for k in health.LABELS}
            HealthWeights.objects.create(
                weights=weights, updated_by=request.user if request.user.is_authenticated else None
            )
            AuditEvent.record("scoring.weights_changed", actor=request.user, weights=weights)
            messages.success(request, "Weights saved. They apply from the next scoring run.")
            return redirect("retention-health")
    else:
        form = WeightsForm(initial=HealthWeights.current())
    # 2. The model in use and the latest runs.
    model = ScoringModel.objects.first()
    runs = list(ScoringRun.objects.select_related("model", "job").order_by("-id")[:5])
    labels = dict(Stage.choices)
    for run in runs:
        run.moves_ = [  # type: ignore[attr-defined]
            (labels.get(a, a), labels.get(b, b), n)
            for (a, _, b), n in ((key.partition(">"), n) for key, n in run.stage_moves.items())
        ]
    return render(
        request,
        "retention/health_settings.html",
        {
            "form": form,
            "model": model,
            "runs": runs,
            "stage_rules": [(labels.get(k, k), rule) for k, rule in STAGE_RULES.items()],
            "defaults": [(health.LABELS[k], v) for k, v in health.DEFAULT_WEIGHTS.items()],
        },
    )


@require_POST
@role_required("manager")
def recompute(request: HttpRequest) -> HttpResponse:
    # Queue a run on the scoring worker and follow it on the job page (progress bar, log).
    job = start_recompute(request.user, retrain=request.POST.get("retrain") == "1")
    AuditEvent.record("scoring.recompute", actor=request.user, object_type="job", object_id=job.pk)
    return redirect("job", job_id=job.pk)
