"""Django settings for Devotion, read from environment variables (see .env.example).

Works with zero configuration: SQLite under ``$DEVOTION_HOME`` (default ``./var``), a secret
key generated on first start and kept there, the database task backend. ``DATABASE_URL``
switches to PostgreSQL for production.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from devotion.core.queues import QUEUES as TASK_QUEUES
from devotion.lib import money
from devotion.lib.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_parsed,
    env_path,
    env_str,
)
from devotion.lib.private_files import DIR_MODE, FILE_MODE, make_private

BASE_DIR = Path(__file__).resolve().parent
HOME = env_path("DEVOTION_HOME", Path.cwd() / "var")
# Everything Devotion writes is its own user's only: umask 077 for this process, and an older
# home (database, media...) tightened to 0600 files / 0700 folders. Before anything is written.
make_private(HOME)

DEBUG = env_bool("DEVOTION_DEBUG", False)


def _secret_key() -> str:
    """The configured key, or one generated once and kept in DEVOTION_HOME (never logged)."""
    configured = env_str("DEVOTION_SECRET_KEY")
    if configured:
        return configured
    path = HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))  # 0600 through the umask
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DEVOTION_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DEVOTION_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs page assets locally
    "django_tasks_db",
    "devotion.core",
    "devotion.team",
    "devotion.people",
    "devotion.touchpoints",
    "devotion.ingest",
    "devotion.retention",
    "devotion.voice",
    "devotion.followup",
    "devotion.api",
    "devotion.webhooks",
    "devotion.trust",
    "devotion.web",
    "devotion.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "devotion.team.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "devotion.urls"
WSGI_APPLICATION = "devotion.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "devotion.team.context_processors.staff",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=600)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "devotion.sqlite3"),
            "OPTIONS": {
                # WAL lets the web app read while the worker or an import writes; IMMEDIATE
                # takes the write lock at BEGIN so concurrent writers queue instead of failing.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            # Keep each server process's connection: opening one costs more than a request
            # (SQLite parses the whole schema again on every new connection).
            "CONN_MAX_AGE": 600,
        }
    }
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a dropped connection is replaced
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        # Shared by every server process, so API rate limits hold across workers.
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(HOME / "cache"),
    }
}

TASKS = {
    "default": {
        "BACKEND": env_str("DEVOTION_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        # Every task names its queue; a worker process serves a group of them (core/queues.py).
        "QUEUES": TASK_QUEUES,
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Password guessing: after this many failed sign-ins within LOGIN_LOCKOUT_MINUTES, sign-in for
# the account (or from the client address) is refused for LOGIN_LOCKOUT_MINUTES.
LOGIN_FAILURES_PER_ACCOUNT = env_int("DEVOTION_LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = env_int("DEVOTION_LOGIN_FAILURES_PER_ADDRESS", 20, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("DEVOTION_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Reverse proxies in front of Devotion that append to X-Forwarded-For (0: none, use the peer).
PROXY_COUNT = env_int("DEVOTION_PROXY_COUNT", 0, minimum=0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DEVOTION_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Money: amounts show in their own currency, formatted for this locale; totals across
# currencies are converted into the reporting currency with the business's own rates
# (one unit of each currency in the reporting currency), never fetched from the network.
MONEY_LOCALE = env_parsed("DEVOTION_LOCALE", "en_US", money.locale_name)
REPORTING_CURRENCY = env_parsed("DEVOTION_CURRENCY", "USD", money.currency_code)
FX_RATES = env_parsed(
    "DEVOTION_FX_RATES", "", lambda raw: money.parse_rates(raw, REPORTING_CURRENCY)
)

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = HOME / "media"
# Django chmods stored files to 0644 by default, whatever the umask says.
FILE_UPLOAD_PERMISSIONS = FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = DIR_MODE
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DEVOTION_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Django 6.1 mailers. DEVOTION_MAIL=smtp (the default) sends through the business's own SMTP
# server; DEVOTION_MAIL=outbox sends nothing and keeps each message for admins to read. Either
# way every message is logged in the outbox (Settings > Outbox). `devotion demo` writes
# "outbox" to DEVOTION_HOME/mail-mode, so the demo never tries to send; the variable wins.
MAIL_MODES = ("smtp", "outbox")
MAIL_MODE_FILE = HOME / "mail-mode"


def _mail_mode() -> str:
    """DEVOTION_MAIL if set, else what DEVOTION_HOME/mail-mode says, else smtp."""
    default = "smtp"
    if MAIL_MODE_FILE.exists():
        default = MAIL_MODE_FILE.read_text().strip().lower()
        if default not in MAIL_MODES:
            raise ConfigError(f"{MAIL_MODE_FILE} says {default!r}; use one of smtp, outbox")
    return env_choice("DEVOTION_MAIL", MAIL_MODES, default)


MAIL_MODE = _mail_mode()
SMTP_OPTIONS = {
    "host": env_str("DEVOTION_SMTP_HOST", "127.0.0.1"),
    "port": env_int("DEVOTION_SMTP_PORT", 25, minimum=1),
    "username": env_str("DEVOTION_SMTP_USER"),
    "password": env_str("DEVOTION_SMTP_PASSWORD"),
    "use_tls": env_bool("DEVOTION_SMTP_TLS", False),
    "timeout": 10,
}
MAILERS = {
    "default": (
        {"BACKEND": "devotion.core.mail.OutboxBackend"}
        if MAIL_MODE == "outbox"
        else {"BACKEND": "devotion.core.mail.SmtpOutboxBackend", "OPTIONS": SMTP_OPTIONS}
    )
}
DEFAULT_FROM_EMAIL = env_str("DEVOTION_FROM_EMAIL", "devotion@localhost")
# Seconds between sweeps of the reply promise timer (warnings and escalations).
FOLLOWUP_TIMER_SECONDS = env_int("DEVOTION_FOLLOWUP_TIMER_SECONDS", 30, minimum=1)
# Where people reach this installation: links in e-mails the worker sends (reply alerts).
DEVOTION_URL = env_str("DEVOTION_URL", "http://127.0.0.1:8000/")
# How long an invitation link works; password reset links use Django's PASSWORD_RESET_TIMEOUT.
INVITATION_DAYS = env_int("DEVOTION_INVITATION_DAYS", 7, minimum=1)

# Surveys: nobody is asked more often than once per recontact period, across all surveys; a
# survey link works for LINK_DAYS after it was sent. PUBLIC_URL is where customers reach this
# installation (links in survey e-mails); empty: the address the manager used to send it.
SURVEY_RECONTACT_DAYS = env_int("DEVOTION_SURVEY_RECONTACT_DAYS", 90, minimum=0)
SURVEY_LINK_DAYS = env_int("DEVOTION_SURVEY_LINK_DAYS", 30, minimum=1)
PUBLIC_URL = env_str("DEVOTION_PUBLIC_URL").rstrip("/")

# API: requests per minute per key, before a 429 with Retry-After.
API_RATE_LIMIT_PER_MINUTE = env_int("DEVOTION_API_RATE_LIMIT", 6000, minimum=1)
API_MAX_BATCH = 1000

# Webhooks go to public addresses only; this lets a development setup post to 127.0.0.1 / ::1
# (loopback only: private networks, link-local and metadata addresses stay refused).
WEBHOOKS_ALLOW_LOOPBACK = env_bool("DEVOTION_WEBHOOKS_ALLOW_LOOPBACK", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DEVOTION_LOG_LEVEL", "INFO")},
    "loggers": {"django.tasks": {"level": "WARNING"}},
}
