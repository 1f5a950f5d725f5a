"""/surveys/: the survey pages, and the public answer and unsubscribe pages under /surveys/a/."""

from django.urls import path

from devotion.voice.surveys import views

urlpatterns = [
    path("", views.survey_list, name="surveys"),
    path("new/", views.survey_create, name="survey-create"),
    path("<int:pk>/", views.survey_detail, name="survey"),
    path("<int:pk>/send/", views.survey_send, name="survey-send"),
    path("<int:pk>/delete/", views.survey_delete, name="survey-delete"),
    # Public: the signed token says who it is.
    path("a/<str:token>/", views.answer, name="survey-answer"),
    path("a/<str:token>/thanks/", views.thanks, name="survey-thanks"),
    path("a/<str:token>/unsubscribe/", views.opt_out, name="survey-opt-out"),
]
