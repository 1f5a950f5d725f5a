from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "devotion.team"
    label = "team"

    def ready(self) -> None:
        # Count and log failed sign-ins (devotion/team/signin.py).
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from devotion.team import signin

        user_login_failed.connect(signin.on_login_failed, dispatch_uid="devotion-signin-failed")
        user_logged_in.connect(signin.on_logged_in, dispatch_uid="devotion-signin-ok")
