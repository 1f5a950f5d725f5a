"""People in the Django admin: to look at, never to change.

People, identities and merges have screens of their own in the app, and changing or deleting
them here would skip what those do: a deleted person would skip the erase (its rows elsewhere,
its audit trail), a changed identity the merge rules. So the admin shows them read-only
(identities inside their person's page).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from devotion.people.models import Identity, Merge, Person, PersonalFact


class ViewOnly:
    """No add, change or delete: the admin shows the rows and nothing more."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IdentityInline(ViewOnly, admin.TabularInline):
    model = Identity
    extra = 0
    fields = ["kind", "source", "value", "raw_value"]


class FactInline(ViewOnly, admin.TabularInline):
    model = PersonalFact
    extra = 0
    fields = ["key", "value", "source_note", "learned_at", "expires_at"]
    raw_id_fields = ["learned_from"]


@admin.register(Person)
class PersonAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["display_name", "primary_email", "stage", "order_count", "last_activity_at"]
    list_filter = ["stage", "is_advocate"]
    search_fields = ["name_key", "primary_email"]
    show_full_result_count = False  # no COUNT(*) over millions of people
    raw_id_fields = ["merged_into"]
    inlines = [IdentityInline, FactInline]


@admin.register(Merge)
class MergeAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["winner", "loser", "reason", "automatic", "created_at", "undone_at"]
    raw_id_fields = ["winner", "loser"]
