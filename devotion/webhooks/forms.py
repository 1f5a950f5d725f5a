"""The subscription form: where to send, which events, a note for the team."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from devotion.lib import netguard
from devotion.webhooks.models import EVENTS, Subscription


def check_address(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, a loopback, private or metadata address.

    A name that does not resolve yet is accepted: the worker checks the addresses again before
    every send, so it can never reach a refused address later either.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        netguard.checked_addresses(host, port, allow_loopback=settings.WEBHOOKS_ALLOW_LOOPBACK)
    except netguard.AddressNotAllowed as exc:
        where = exc.address if exc.address == host else f"{host} resolves to {exc.address}"
        raise forms.ValidationError(
            f"Address not allowed ({exc.reason}): {where}. Webhooks only go to public "
            "internet addresses, so they cannot reach the network Devotion runs in."
        ) from None
    except netguard.LookupFailed:
        pass
    except ValueError:
        raise forms.ValidationError("The port must be a number from 1 to 65535.") from None


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
        check_address(url)
        return url

    def clean_events(self) -> list[str]:
        # Stored in the order EVENTS lists them, so lists read the same everywhere.
        chosen = set(self.cleaned_data["events"])
        return [event for event in EVENTS if event in chosen]
