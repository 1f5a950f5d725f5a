"""Settings > Team (mounted at /settings/team/); the invitation link lives at /invitation/."""

from django.urls import path

from devotion.team import views

urlpatterns = [
    path("", views.team, name="team"),
    path("invite/", views.invite, name="team-invite"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation-resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("members/<int:pk>/role/", views.member_role, name="member-role"),
    path("members/<int:pk>/active/", views.member_active, name="member-active"),
]
