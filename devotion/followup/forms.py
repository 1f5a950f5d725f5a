"""Forms of the follow-up screens: the reply, notes, reply promise policies, team hours."""

from __future__ import annotations

from typing import Any

from django import forms

from devotion.followup.models import Conversation, SlaPolicy, SupportTeam, parse_holidays
from devotion.lib.business_hours import BusinessHours, HoursError
from devotion.touchpoints.kinds import CHANNELS, TOUCHPOINT_KINDS

REPLY_KINDS = {
    k: TOUCHPOINT_KINDS[k]
    for k in ("message", "email", "review", "social_comment", "survey_answer", "lead")
}


class ReplyForm(forms.Form):
    """What the agent sends, and the status it leaves the conversation in."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=10_000, strip=True)
    status = forms.ChoiceField(
        choices=Conversation.Status.choices, initial=Conversation.Status.WAITING, required=False
    )
    confirm = forms.BooleanField(required=False)

    def clean_status(self) -> str:
        return str(self.cleaned_data.get("status") or Conversation.Status.WAITING)


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, strip=True)


class PolicyForm(forms.ModelForm):
    """A reply promise policy: conditions and targets in business minutes."""

    kinds = forms.MultipleChoiceField(
        choices=list(REPLY_KINDS.items()), required=False, widget=forms.CheckboxSelectMultiple
    )
    channels = forms.MultipleChoiceField(
        choices=list(CHANNELS.items()), required=False, widget=forms.CheckboxSelectMultiple
    )
    priorities = forms.MultipleChoiceField(
        choices=[("low", "Low"), ("normal", "Normal"), ("high", "High"), ("urgent", "Urgent")],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "position",
            "is_active",
            "kinds",
            "channels",
            "priorities",
            "negative_only",
            "min_customer_value",
            "first_reply_minutes",
            "next_reply_minutes",
            "resolution_minutes",
            "team",
            "warn_at_percent",
        ]

    def clean_warn_at_percent(self) -> int:
        value = self.cleaned_data["warn_at_percent"]
        if not 1 <= value <= 99:
            raise forms.ValidationError("Warn at 1 to 99 percent of the target.")
        return int(value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(
            data.get(name)
            for name in ("first_reply_minutes", "next_reply_minutes", "resolution_minutes")
        ):
            raise forms.ValidationError(
                "Set at least one target (first reply, next reply or resolution)."
            )
        return data


class TeamForm(forms.ModelForm):
    """A team's business hours, time zone, holidays, manager and members."""

    holidays_text = forms.CharField(
        label="Holidays",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Dates like 2026-12-25, separated by commas or new lines.",
    )
    channels = forms.MultipleChoiceField(
        choices=list(CHANNELS.items()), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = SupportTeam
        fields = ["name", "timezone", "hours", "channels", "manager", "members"]
        widgets = {"members": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["holidays_text"].initial = ", ".join(self.instance.holidays)

    def clean_holidays_text(self) -> list[str]:
        try:
            return parse_holidays(self.cleaned_data["holidays_text"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            BusinessHours.parse(data.get("hours", ""), tz=data.get("timezone", "UTC"))
        except HoursError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    def save(self, commit: bool = True) -> SupportTeam:
        self.instance.holidays = self.cleaned_data["holidays_text"]
        return super().save(commit)
