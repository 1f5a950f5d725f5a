from django.contrib import admin

from devotion.team.models import StaffMember


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["display_name", "role", "user", "title"]
    list_filter = ["role"]
    search_fields = ["display_name", "user__username"]
