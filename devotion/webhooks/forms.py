"""The subscription form: where to send, which events, a note for the team."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms

from devotion.webhooks.models import EVENTS, Subscription


class SubscriptionForm(forms.ModelForm):
    """Create or edit a subscription. The secret is generated, never typed in."""

    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="Each event is sent as its own signed POST.",
        error_messages={"required": "Choose at least one event."},
    )

    class Meta:
        model = Subscription
        fields = ["url", "description", "events", "is_active"]
        labels = {"url": "Endpoint URL", "is_active": "Active"}
        help_texts = {
            "url": "An http:// or https:// URL on your own service that accepts POST requests.",
            "description": "Optional: what listens here, so the team knows.",
        }
        widgets = {"url": forms.URLInput(attrs={"placeholder": "https://example.com/hooks"})}

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError("Use an http:// or https:// URL.")
        if parts.username or parts.password:
            raise forms.ValidationError("Put credentials in your receiver, not in the URL.")
        return url

    def clean_events(self) -> list[str]:
        # Stored in the order EVENTS lists them, so lists read the same everywhere.
        chosen = set(self.cleaned_data["events"])
        return [event for event in EVENTS if event in chosen]
