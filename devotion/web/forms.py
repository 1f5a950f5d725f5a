"""Forms of the web app: the query string of the lists, read into clean values."""

from __future__ import annotations

from django import forms

from devotion.people.models import Stage
from devotion.touchpoints.kinds import TOUCHPOINT_KINDS

# Sortable columns of the customers list: the URL name and the Person field it sorts on.
# Each is served by an index (see Person.Meta.indexes); "-name" is the descending order.
SORT_COLUMNS = {
    "name": "name_key",
    "orders": "order_count",
    "spend": "total_spent",
    "since": "first_seen_at",
    "activity": "last_activity_at",
    # Scores (retention): null until scored, listed after the scored in both directions.
    "health": "health_score",
    "risk": "churn_probability",
    "value": "lifetime_value",
}
SORTS = {f"{d}{name}": name for name in SORT_COLUMNS for d in ("", "-")}
# Older links ("?sort=recent") keep working.
LEGACY_SORTS = {"recent": "-activity", "oldest": "activity"}
DEFAULT_SORT = "-activity"
CONSENT_FILTERS = {
    f"{purpose}:{status}": f"{label}: {status}"
    for purpose, label in (("email", "E-mail"), ("sms", "SMS"), ("profiling", "Profiling"))
    for status in ("given", "refused", "unknown")
}


class CustomerListForm(forms.Form):
    """The customers list's query string. Bad values fall back to the defaults, never a 400:
    these URLs get bookmarked and shared, and an old link should still open."""

    q = forms.CharField(required=False, max_length=200, strip=True)
    stage = forms.ChoiceField(required=False, choices=[("", "All stages"), *Stage.choices])
    country = forms.RegexField(required=False, regex=r"^[A-Za-z]{2}$", strip=True)
    consent = forms.ChoiceField(required=False, choices=[("", ""), *CONSENT_FILTERS.items()])
    source = forms.RegexField(required=False, regex=r"^[\w.-]{1,40}$", strip=True)
    sort = forms.CharField(required=False, max_length=20, strip=True)

    def values(self) -> dict[str, str]:
        """Cleaned ``q``, ``stage``, ``country``, ``consent``, ``source`` and ``sort``; a field
        that does not validate is dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        sort = data.get("sort") or ""
        sort = LEGACY_SORTS.get(sort, sort)
        return {
            "q": data.get("q") or "",
            "stage": data.get("stage") or "",
            "country": (data.get("country") or "").upper(),
            "consent": data.get("consent") or "",
            "source": (data.get("source") or "").lower(),
            "sort": sort if sort in SORTS else DEFAULT_SORT,
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
