from django.contrib import admin

from devotion.team.models import StaffMember
from devotion.team.signin import AdminSignInForm

# The admin's sign-in is throttled like /login/ (devotion/team/signin.py).
admin.site.login_form = AdminSignInForm


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["display_name", "role", "user", "title"]
    list_filter = ["role"]
    search_fields = ["display_name", "user__username"]
