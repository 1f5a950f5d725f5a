"""The follow-up screens, under /queue/."""

from django.urls import path

from devotion.followup import views

app_name = "followup"
urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("promises/", views.promise_settings, name="promises"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("<int:pk>/", views.conversation_page, name="conversation"),
    path("<int:pk>/coach/", views.coach_panel, name="coach"),
    path("<int:pk>/reply/", views.send_reply, name="reply"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/status/", views.update_status, name="status"),
    path("<int:pk>/notes/", views.add_note, name="note"),
    path("people/<int:person_id>/owner/", views.set_owner, name="owner"),
]
