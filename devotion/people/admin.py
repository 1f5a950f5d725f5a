from django.contrib import admin

from devotion.people.models import Identity, Merge, Person, PersonalFact


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    fields = ["kind", "source", "value", "raw_value"]


class FactInline(admin.TabularInline):
    model = PersonalFact
    extra = 0
    fields = ["key", "value", "source_note", "learned_at", "expires_at"]
    raw_id_fields = ["learned_from"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["display_name", "primary_email", "stage", "order_count", "last_activity_at"]
    list_filter = ["stage", "is_advocate"]
    search_fields = ["name_key", "primary_email"]
    show_full_result_count = False  # no COUNT(*) over millions of people
    raw_id_fields = ["merged_into"]
    inlines = [IdentityInline, FactInline]


@admin.register(Merge)
class MergeAdmin(admin.ModelAdmin):
    list_display = ["winner", "loser", "reason", "automatic", "created_at", "undone_at"]
    raw_id_fields = ["winner", "loser"]
