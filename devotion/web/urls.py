"""URLs of the web app's own screens: sign-in, the customers list and the customer page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from devotion.team.signin import SignInForm
from devotion.team.views import PasswordResetConfirm
from devotion.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/registration/login.html",
            redirect_authenticated_user=True,
            authentication_form=SignInForm,  # throttles password guessing
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Forgotten password: the same answer whether or not the address is known (no way to
    # learn who has an account); the e-mailed link is Django's one-time, expiring token.
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="web/registration/password_reset_form.html",
            email_template_name="web/registration/password_reset_email.txt",
            html_email_template_name="web/registration/password_reset_email.html",
            subject_template_name="web/registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="web/registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        PasswordResetConfirm.as_view(template_name="web/registration/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="web/registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("customers/", views.customers, name="customers"),
    path("customers/export.csv", views.customers_export, name="customers-export"),
    path("customers/<int:pk>/", views.customer, name="customer"),
    path("customers/<int:pk>/merge/", views.merge_search, name="merge-search"),
    path("customers/<int:pk>/merge/<int:other>/", views.merge_confirm, name="merge-confirm"),
    path("customers/merges/<int:merge_id>/undo/", views.merge_undo, name="merge-undo"),
]
