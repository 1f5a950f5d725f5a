"""Settings > Webhooks (mounted at /settings/webhooks/)."""

from django.urls import path

from devotion.webhooks import views

urlpatterns = [
    path("", views.subscription_list, name="webhooks"),
    path("new/", views.subscription_create, name="webhook-create"),
    path("<int:pk>/", views.subscription_detail, name="webhook"),
    path("<int:pk>/edit/", views.subscription_edit, name="webhook-edit"),
    path("<int:pk>/toggle/", views.subscription_toggle, name="webhook-toggle"),
    path("<int:pk>/delete/", views.subscription_delete, name="webhook-delete"),
    path("<int:pk>/test/", views.subscription_test, name="webhook-test"),
    path("<int:pk>/rotate-secret/", views.subscription_rotate, name="webhook-rotate"),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/retry/",
        views.delivery_retry,
        name="webhook-delivery-retry",
    ),
]
