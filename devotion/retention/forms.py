"""Forms of the Retention screens: a month's spend, and a segment's filters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings

from devotion.lib import money
from devotion.retention.models import RetentionSpend, Segment
from devotion.retention.segments import FIELDS, DefinitionError, FieldSpec, parse_definition

MAX_SPEND = Decimal("999999999999")


class SpendForm(forms.Form):
    """One month's acquisition and retention spend (replaces what that month had)."""

    month = forms.CharField(
        widget=forms.DateInput(attrs={"type": "month"}), help_text="The month, e.g. 2025-03."
    )
    acquisition_spend = forms.DecimalField(
        min_value=0, max_value=MAX_SPEND, decimal_places=2, label="Spent on winning new customers"
    )
    retention_spend = forms.DecimalField(
        min_value=0, max_value=MAX_SPEND, decimal_places=2, label="Spent on keeping customers"
    )
    currency = forms.CharField(max_length=3, initial="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = settings.REPORTING_CURRENCY

    def clean_month(self) -> date:
        text = self.cleaned_data["month"].strip()
        try:
            year, month = (int(part) for part in text.split("-")[:2])
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(f"{text!r} is not a month like 2025-03.") from None

    def clean_currency(self) -> str:
        try:
            code = money.currency_code(self.cleaned_data["currency"])
        except money.MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None
        reporting = settings.REPORTING_CURRENCY
        if code != reporting and code not in settings.FX_RATES:
            raise forms.ValidationError(
                f"There is no rate from {code} to {reporting} (DEVOTION_FX_RATES): "
                f"enter the amount in {reporting}."
            )
        return code

    def save(self, user: Any) -> RetentionSpend:
        data = self.cleaned_data
        row, _ = RetentionSpend.objects.update_or_create(
            month=data["month"],
            defaults={
                "acquisition_spend": data["acquisition_spend"],
                "retention_spend": data["retention_spend"],
                "currency": data["currency"],
                "updated_by": user,
            },
        )
        return row


_ANY = [("", "Any")]


def _key(spec: FieldSpec, op: str = "") -> str:
    return f"f_{spec.name}" + (f"_{op}" if op else "")


class SegmentForm(forms.Form):
    """A segment's name and filters, one input per field (empty inputs filter nothing)."""

    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, instance: Segment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.groups: list[tuple[FieldSpec, list[str]]] = []
        for spec in FIELDS.values():
            label = spec.label + ("" if spec.exists else " (not scored yet)")
            keys = []
            if spec.kind == "choice":
                self.fields[_key(spec)] = forms.MultipleChoiceField(
                    choices=spec.choices,
                    required=False,
                    label=label,
                    widget=forms.CheckboxSelectMultiple,
                )
                keys.append(_key(spec))
            elif spec.kind == "text":
                self.fields[_key(spec)] = forms.CharField(
                    required=False, label=label, max_length=1000, help_text="Comma-separated."
                )
                keys.append(_key(spec))
            elif spec.kind in ("number", "days"):
                for op in spec.ops:
                    field: forms.Field
                    if spec.kind == "number":
                        field = forms.DecimalField(required=False, max_digits=16, decimal_places=4)
                    else:
                        field = forms.IntegerField(required=False, min_value=0, max_value=36600)
                    field.label = _OP_WORDS[spec.kind][op]
                    self.fields[_key(spec, op)] = field
                    keys.append(_key(spec, op))
            elif spec.kind == "topic":
                self.fields[_key(spec, "topic")] = forms.CharField(
                    required=False, label="Topic", max_length=100
                )
                self.fields[_key(spec, "days")] = forms.IntegerField(
                    required=False, label="in the last … days", min_value=1, max_value=36600
                )
                keys += [_key(spec, "topic"), _key(spec, "days")]
            else:
                options = (
                    [("given", "Given"), ("refused", "Refused"), ("unknown", "Unknown")]
                    if spec.kind == "consent"
                    else [("yes", "Yes"), ("no", "No")]
                )
                self.fields[_key(spec)] = forms.ChoiceField(
                    choices=_ANY + options, required=False, label=label
                )
                keys.append(_key(spec))
            self.groups.append((spec, keys))
        if instance is not None and not self.is_bound:
            self.initial.update(self._initial(instance))

    @staticmethod
    def _initial(segment: Segment) -> dict[str, Any]:
        initial: dict[str, Any] = {"name": segment.name, "description": segment.description}
        for condition in segment.conditions:
            spec = FIELDS.get(condition.get("field", ""))
            if spec is None:
                continue
            value = condition.get("value")
            if spec.kind == "choice":
                initial[_key(spec)] = value
            elif spec.kind == "text":
                initial[_key(spec)] = ", ".join(value or [])
            elif spec.kind in ("number", "days"):
                initial[_key(spec, condition.get("op", ""))] = value
            elif spec.kind == "bool":
                initial[_key(spec)] = "yes" if value else "no"
            elif spec.kind == "topic" and isinstance(value, dict):
                initial[_key(spec, "topic")] = value.get("topic")
                initial[_key(spec, "days")] = value.get("days")
            else:
                initial[_key(spec)] = value
        return initial

    @staticmethod
    def initial_from_list(params: Any) -> dict[str, Any]:
        """Filters of the customers list (``?stage=&country=&consent=email:given``) as this
        form's initial values, for "Save as segment" there (search text and source have no
        segment field and are left out)."""
        initial: dict[str, Any] = {}
        stage = params.get("stage", "")
        if stage in dict(FIELDS["stage"].choices):
            initial["f_stage"] = [stage]
        country = params.get("country", "")
        if country.isalpha() and len(country) == 2:
            initial["f_country"] = country.upper()
        purpose, _, status = params.get("consent", "").partition(":")
        if f"consent_{purpose}" in FIELDS and status in ("given", "refused", "unknown"):
            initial[f"f_consent_{purpose}"] = status
        return initial

    def bound_groups(self) -> list[tuple[FieldSpec, list[forms.BoundField]]]:
        return [(spec, [self[key] for key in keys]) for spec, keys in self.groups]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Segment.objects.filter(name__iexact=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("Another segment has this name.")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        conditions: list[dict[str, Any]] = []
        for spec, _ in self.groups:
            if spec.kind == "choice" and data.get(_key(spec)):
                conditions.append({"field": spec.name, "op": "in", "value": data[_key(spec)]})
            elif spec.kind == "text" and data.get(_key(spec), "").strip():
                values = [v.strip() for v in data[_key(spec)].split(",") if v.strip()]
                conditions.append({"field": spec.name, "op": "in", "value": values})
            elif spec.kind in ("number", "days"):
                for op in spec.ops:
                    value = data.get(_key(spec, op))
                    if value is not None:
                        number = str(value) if isinstance(value, Decimal) else value
                        conditions.append({"field": spec.name, "op": op, "value": number})
            elif spec.kind == "consent" and data.get(_key(spec)):
                conditions.append({"field": spec.name, "op": "is", "value": data[_key(spec)]})
            elif spec.kind == "bool" and data.get(_key(spec)):
                conditions.append(
                    {"field": spec.name, "op": "is", "value": data[_key(spec)] == "yes"}
                )
            elif spec.kind == "topic":
                topic = (data.get(_key(spec, "topic")) or "").strip()
                days = data.get(_key(spec, "days"))
                if topic and days is None:
                    self.add_error(_key(spec, "days"), "Say how many days back to look.")
                elif days is not None and not topic:
                    self.add_error(_key(spec, "topic"), "Name the topic.")
                elif topic:
                    value = {"topic": topic, "days": days}
                    conditions.append({"field": spec.name, "op": "within", "value": value})
        if not conditions and not self.errors:
            raise forms.ValidationError(
                "Choose at least one filter: a segment of everyone is the customers list."
            )
        try:
            data["definition"] = {
                "conditions": [c.as_json() for c in parse_definition({"conditions": conditions})]
            }
        except DefinitionError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


_OP_WORDS = {
    "number": {"gte": "at least", "lte": "at most"},
    "days": {"within": "within the last … days", "over": "more than … days ago (or never)"},
}
