from django.urls import path

from devotion.voice import views_text

urlpatterns = [
    path("", views_text.voice, name="voice"),
    path("messages/", views_text.voice_messages, name="voice-messages"),
    path("segments/", views_text.save_problem_segment, name="voice-save-segment"),
    path("text/<int:pk>/correct/", views_text.correct, name="voice-correct"),
]
