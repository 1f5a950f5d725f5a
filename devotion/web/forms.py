"""Forms of the web app: the query string of the lists, read into clean values."""

from __future__ import annotations

from django import forms

from devotion.people.models import Stage
from devotion.touchpoints.kinds import TOUCHPOINT_KINDS

SORTS = {"recent": "Most recent activity", "oldest": "Least recent activity"}


class CustomerListForm(forms.Form):
    """The customers list's query string. Bad values fall back to the defaults, never a 400:
    these URLs get bookmarked and shared, and an old link should still open."""

    q = forms.CharField(required=False, max_length=200, strip=True)
    stage = forms.ChoiceField(required=False, choices=[("", "All stages"), *Stage.choices])
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()))

    def values(self) -> dict[str, str]:
        """Cleaned ``q``, ``stage`` and ``sort``; a field that does not validate is dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q") or "",
            "stage": data.get("stage") or "",
            "sort": data.get("sort") or "recent",
        }


class TimelineFilterForm(forms.Form):
    """The customer page's timeline filters: one kind and one channel (both optional)."""

    kind = forms.ChoiceField(
        required=False, choices=[("", "Everything"), *TOUCHPOINT_KINDS.items()]
    )
    channel = forms.CharField(required=False, max_length=16, strip=True)

    def values(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"kind": data.get("kind") or "", "channel": (data.get("channel") or "").lower()}
