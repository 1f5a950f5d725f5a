"""The survey form (managers) and the public answer form (customers)."""

from __future__ import annotations

from typing import Any

from django import forms

from devotion.voice.surveys import targeting
from devotion.voice.surveys.answers import MAX_COMMENT
from devotion.voice.surveys.models import TARGET_KINDS, Survey
from devotion.voice.surveys.scales import SCALES

MAX_TARGET_DAYS = 3650


def _target_choices() -> list[tuple[str, str]]:
    choices = [(f"kind:{kind}", label) for kind, label in TARGET_KINDS.items()]
    segments = [
        (f"segment:{pk}", f"Saved segment: {name}") for pk, name in targeting.segment_choices()
    ]
    return choices + segments


class SurveyForm(forms.ModelForm):
    """Create a survey: what to ask, who it is from, and whom to ask."""

    target = forms.ChoiceField(
        label="Ask people with",
        help_text="A touchpoint of this kind in the window below, or a saved segment (the "
        "window then does not apply).",
    )
    question = forms.CharField(
        max_length=500,
        required=False,
        help_text="Leave empty for the standard question of the kind you chose.",
    )
    follow_up = forms.CharField(
        label="Open follow-up question",
        max_length=500,
        required=False,
        help_text="Leave empty for the standard one; customers may skip it.",
    )

    class Meta:
        model = Survey
        fields = ["name", "sender", "kind", "question", "follow_up", "thank_you", "target_days"]
        labels = {
            "name": "Name (for the team)",
            "sender": "From (shown to customers)",
            "kind": "Kind",
            "thank_you": "Thank-you text",
            "target_days": "Window (days)",
        }
        help_texts = {
            "sender": "Your business or team name, e.g. Hearth & Bean.",
            "target_days": "Only people with such a touchpoint in the last this many days.",
        }
        widgets = {"thank_you": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = _target_choices()
        self.fields["target"].initial = "kind:any"
        self.fields["thank_you"].initial = "Thank you! Every answer is read by our team."
        self.fields["target_days"].widget.attrs.update(min=1, max=MAX_TARGET_DAYS)

    def clean_target_days(self) -> int:
        days = self.cleaned_data["target_days"]
        if not 1 <= days <= MAX_TARGET_DAYS:
            raise forms.ValidationError(f"Choose from 1 to {MAX_TARGET_DAYS} days.")
        return int(days)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scale = SCALES.get(data.get("kind") or "")
        if scale is not None:
            data["question"] = (data.get("question") or "").strip() or scale.question
            data["follow_up"] = (data.get("follow_up") or "").strip() or scale.follow_up
        return data

    def save(self, commit: bool = True) -> Survey:
        survey: Survey = super().save(commit=False)
        what, _, value = self.cleaned_data["target"].partition(":")
        survey.question = self.cleaned_data["question"]
        survey.follow_up = self.cleaned_data["follow_up"]
        if what == "segment":
            survey.target_segment_id = int(value)
            survey.target_segment_name = dict(targeting.segment_choices()).get(int(value), "")[:200]
        else:
            survey.target_kind, survey.target_segment_id = value, None
        if commit:
            survey.save()
        return survey


class AnswerForm(forms.Form):
    """A customer's answer: a score on the survey's scale and an optional comment."""

    score = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False, max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, survey: Survey, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scale = survey.scale
        score = self.fields["score"]
        assert isinstance(score, forms.TypedChoiceField)
        score.choices = [(v, str(v)) for v in scale.values]
        score.label = survey.question
        score.error_messages["required"] = "Choose a score: tap one of the numbers."
        score.error_messages["invalid_choice"] = f"Choose a score from {scale.low} to {scale.high}."
        self.fields["comment"].label = survey.follow_up or "Anything you would like to add?"
