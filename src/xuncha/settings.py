"""Xuncha settings, read from environment variables (see docs/configuration.md).

Two modes:
- ``embedded`` (default): SQLite and files under ``XUNCHA_DATA_DIR``; the secret key and
  the audit key are generated once and kept there; background jobs in the database.
- ``production``: every setting that matters must be given; a missing or malformed one
  stops start-up with a message naming it.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import dj_database_url

from xuncha.conf import (
    SettingError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_path,
    env_secret,
    env_str,
)

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent

MODE = env_choice("XUNCHA_MODE", ("embedded", "production"), "embedded")
PRODUCTION = MODE == "production"

# Embedded default: ./var beside a source checkout, else a folder in the user's home.
_DEFAULT_DATA_DIR = (
    PROJECT_DIR / "var"
    if (PROJECT_DIR / "pyproject.toml").exists()
    else Path.home() / ".local" / "share" / "xuncha"
)
if PRODUCTION:
    env_str("XUNCHA_DATA_DIR", required=True)
DATA_DIR = env_path("XUNCHA_DATA_DIR", _DEFAULT_DATA_DIR)
if not PRODUCTION:
    (DATA_DIR / "static").mkdir(parents=True, exist_ok=True)

SECRET_KEY = env_secret(
    "XUNCHA_SECRET_KEY", generated_file=None if PRODUCTION else DATA_DIR / "secret_key"
)
# Key of the audit hash chain (HMAC-SHA256). Kept apart from SECRET_KEY so that rotating
# the session secret does not break verification of old events.
AUDIT_KEY = env_secret(
    "XUNCHA_AUDIT_KEY", generated_file=None if PRODUCTION else DATA_DIR / "audit_key"
)

DEBUG = env_bool("XUNCHA_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise SettingError("XUNCHA_DEBUG must be false in production.")

ALLOWED_HOSTS = env_list(
    "XUNCHA_ALLOWED_HOSTS",
    default=["127.0.0.1", "localhost", "[::1]"],
    required=PRODUCTION,
)
CSRF_TRUSTED_ORIGINS = env_list("XUNCHA_CSRF_TRUSTED_ORIGINS", default=[])

_database_url = env_str(
    "XUNCHA_DATABASE_URL",
    default=f"sqlite:///{DATA_DIR / 'xuncha.sqlite3'}",
    required=PRODUCTION,
)
try:
    _database = dj_database_url.parse(str(_database_url), conn_max_age=60)
except ValueError as exc:
    raise SettingError(f"XUNCHA_DATABASE_URL is not a valid database URL: {exc}") from None
if _database["ENGINE"] not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise SettingError("XUNCHA_DATABASE_URL must be a sqlite:// or postgres:// URL.")
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        # WAL lets the worker and the web server read while the other writes.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _database["TEST"] = {"NAME": None}
else:
    _database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "xuncha.core",
    "xuncha.rounds",
    "xuncha.talent",
    "xuncha.clues",
    "xuncha.intake",
    "xuncha.fieldwork",
    "xuncha.datacheck",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "xuncha.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xuncha.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "xuncha.core.middleware.LoginRequiredMiddleware",
    "xuncha.core.middleware.MethodNotAllowedPageMiddleware",
    "xuncha.intake.keyring.KeyringCookieMiddleware",
]

ROOT_URLCONF = "xuncha.urls"
WSGI_APPLICATION = "xuncha.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xuncha.core.context_processors.navigation",
            ],
        },
    },
]

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["xuncha.core.auth.LockoutModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lockout after repeated failed logins for one account name.
LOGIN_FAILURE_LIMIT = env_int("XUNCHA_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("XUNCHA_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)

SESSION_COOKIE_AGE = env_int("XUNCHA_SESSION_HOURS", 8, minimum=1) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "xuncha.core.views.csrf_failure"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("XUNCHA_TIME_ZONE", "Asia/Shanghai") or "Asia/Shanghai"
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise SettingError(f"XUNCHA_TIME_ZONE names no known time zone: {TIME_ZONE!r}.") from None
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "files"
# Department datasets: the uploaded files and the Parquet files of accepted versions.
DATACHECK_DIR = DATA_DIR / "datacheck"


def _spark_conf(name: str) -> dict[str, str]:
    """``key=value,key=value`` of Spark settings (keys start with ``spark.``)."""
    conf: dict[str, str] = {}
    for item in env_list(name, default=[]):
        key, sign, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sign or not key.startswith("spark.") or not value:
            raise SettingError(
                f"{name} must be key=value pairs separated by commas, with keys starting"
                f" with 'spark.'; got {item!r}."
            )
        conf[key] = value
    return conf


# The engine the comparison rules run on (docs/deployment.md, "Running a province's
# comparisons on Spark"): DuckDB in the worker process, or a Spark cluster for a province.
DATACHECK_ENGINE = env_choice("XUNCHA_DATACHECK_ENGINE", ("duckdb", "spark"), "duckdb")
DATACHECK_SPARK_MASTER = (
    env_str(
        "XUNCHA_SPARK_MASTER",
        "local[2]",
        required=PRODUCTION and DATACHECK_ENGINE == "spark",
    )
    or "local[2]"
)
if not DATACHECK_SPARK_MASTER.startswith(("local", "spark://", "yarn", "k8s://")):
    raise SettingError(
        "XUNCHA_SPARK_MASTER must be local[N], spark://host:port, yarn or k8s://…;"
        f" got {DATACHECK_SPARK_MASTER!r}."
    )
DATACHECK_SPARK_CONF = _spark_conf("XUNCHA_SPARK_CONF")
JOB_FILES_DIR = DATA_DIR / "jobs"
# WhiteNoise serves static files from the app in both modes; no CDN, ever.
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Background jobs: Django's Tasks API (django-tasks backport).
TASKS_BACKEND = env_choice("XUNCHA_TASKS_BACKEND", ("database", "redis", "immediate"), "database")
REDIS_URL = (
    env_str(
        "XUNCHA_REDIS_URL",
        "redis://127.0.0.1:6379/0",
        required=PRODUCTION and TASKS_BACKEND == "redis",
    )
    or ""
)
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise SettingError("XUNCHA_REDIS_URL must be a redis://, rediss:// or unix:// URL.")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
_TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
}
TASKS = {"default": _TASK_BACKENDS[TASKS_BACKEND]}

# Security headers. The Content-Security-Policy allows only this origin: every script,
# style, font and image is served by the app itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    # Behind a reverse proxy that terminates TLS (docs/deployment.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("XUNCHA_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("XUNCHA_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Intranet hosts cannot be on browsers' preload lists; preloading does not apply.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOG_LEVEL = (env_str("XUNCHA_LOG_LEVEL", "INFO") or "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR"):
    raise SettingError(
        f"XUNCHA_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR; got {LOG_LEVEL!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # django.request logs 4xx at WARNING with the path; keep only server errors.
        "django.request": {"level": "ERROR", "propagate": True},
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
    },
}

# The public channel (issue 6). The intake secret derives the salt of receipt digests
# (kept out of the database: a copied database alone cannot even test a receipt guess).
INTAKE_SECRET = env_secret(
    "XUNCHA_INTAKE_SECRET", generated_file=None if PRODUCTION else DATA_DIR / "intake_key"
)
# The address printed on posters (QR code); empty: the address the request came to.
INTAKE_PUBLIC_BASE_URL = (env_str("XUNCHA_INTAKE_PUBLIC_BASE_URL", "") or "").rstrip("/")
if INTAKE_PUBLIC_BASE_URL and not INTAKE_PUBLIC_BASE_URL.startswith(("http://", "https://")):
    raise SettingError("XUNCHA_INTAKE_PUBLIC_BASE_URL must start with http:// or https://.")
# Argon2id cost for receipts and staff key wrapping; "minimum" is for tests only.
INTAKE_ARGON2 = env_choice("XUNCHA_INTAKE_ARGON2", ("interactive", "minimum"), "interactive")
if PRODUCTION and INTAKE_ARGON2 == "minimum":
    raise SettingError("XUNCHA_INTAKE_ARGON2=minimum is for tests; not allowed in production.")
INTAKE_MAX_BODY_MB = env_int("XUNCHA_INTAKE_MAX_BODY_MB", 40, minimum=1)
INTAKE_MAX_FILE_MB = env_int("XUNCHA_INTAKE_MAX_FILE_MB", 15, minimum=1)
INTAKE_MAX_FILES = env_int("XUNCHA_INTAKE_MAX_FILES", 5, minimum=0)
# Proof of work on submission: leading zero bits of SHA-256 (16 ≈ a second on a phone).
INTAKE_POW_BITS = env_int("XUNCHA_INTAKE_POW_BITS", 16, minimum=0)
# Without JavaScript the form must have been open this long instead.
INTAKE_NOJS_WAIT_SECONDS = env_int("XUNCHA_INTAKE_NOJS_WAIT_SECONDS", 20, minimum=0)
# Rate limits: per browser session, and for receipt failures across all sessions (kept
# in memory for minutes only, never in the database).
INTAKE_SUBMISSIONS_PER_HOUR = env_int("XUNCHA_INTAKE_SUBMISSIONS_PER_HOUR", 5, minimum=1)
INTAKE_RECEIPT_TRIES_PER_HOUR = env_int("XUNCHA_INTAKE_RECEIPT_TRIES_PER_HOUR", 10, minimum=1)
INTAKE_RECEIPT_FAILURES_PER_MINUTE = env_int(
    "XUNCHA_INTAKE_RECEIPT_FAILURES_PER_MINUTE", 60, minimum=1
)

# Demo and pagination defaults.
PAGE_SIZE = env_int("XUNCHA_PAGE_SIZE", 50, minimum=10)
