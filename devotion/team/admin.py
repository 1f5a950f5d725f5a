from django.contrib import admin

from devotion.team.models import StaffMember
from devotion.team.signin import AdminSignInForm

# The admin's sign-in is throttled like /login/ (devotion/team/signin.py).
admin.site.login_form = AdminSignInForm
# The admin is for troubleshooting, not daily work: say whose it is and link back to the app
# (devotion/templates/admin/base_site.html).
admin.site.site_header = "Devotion administration"
admin.site.site_title = "Devotion admin"
admin.site.index_title = "Raw data, for troubleshooting (daily work happens in the app)"
admin.site.site_url = "/customers/"


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["display_name", "role", "user", "title"]
    list_filter = ["role"]
    search_fields = ["display_name", "user__username"]
