"""ServiceLoop settings: one file, read from the environment with safe defaults.

Variables: DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS,
HTTPS, TIME_ZONE, EMAIL_URL-style EMAIL_* settings, WARRANTY_START_ORDER, COMPANY_NAME,
SERVICELOOP_FASTPATHS, SERVICELOOP_TRUSTED_PROXIES, LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_WINDOW,
LOGIN_COOLOFF_MAX.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
TESTING = "pytest" in sys.modules
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "serviceloop.core",
    "serviceloop.accounts",
    "serviceloop.customers",
    "serviceloop.assets",
    "serviceloop.service",
    "serviceloop.feedback",
    "serviceloop.workorders",
    "serviceloop.parts",
    "serviceloop.home",  # the front: home page, role landing pages, navigation (on top of all others)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header, with a nonce per response
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "serviceloop.accounts.middleware.UserLanguageMiddleware",  # the user's own language wins over the browser's
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout answer
]

ROOT_URLCONF = "serviceloop.urls"
WSGI_APPLICATION = "serviceloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "serviceloop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "serviceloop.home.context_processors.navigation",
                "serviceloop.core.notification_context.notifications",
            ],
        },
    }
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise (PostgreSQL in production/CI).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'serviceloop.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "serviceloop_cache",
        }
    }

# Background jobs: huey on SQLite by default, Redis when REDIS_URL is set; eager in tests.
HUEY = {
    "name": env_str("HUEY_NAME", "serviceloop"),  # the queue's name in Redis: one per installation
    "immediate": env_bool("HUEY_IMMEDIATE", TESTING),
    "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"


def trusted_proxy_ipware(count: int) -> tuple[int | None, tuple[str, ...]]:
    """django-ipware's proxy count and headers for ``count`` trusted reverse proxies in front of the app.

    Each proxy appends the address it was connected from to X-Forwarded-For, and the last one connects
    to the app (REMOTE_ADDR): the client is then the ``count``-th address from the right of the header,
    whatever a client wrote to its left. With no trusted proxy the header is never read."""
    if count <= 0:
        return None, ("REMOTE_ADDR",)
    return count - 1, ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")


# Login lockout (django-axes; serviceloop/core/lockout.py): failures are counted per user name *and*
# client address; LOGIN_FAILURE_LIMIT failures make that pair wait LOGIN_FAILURE_WINDOW seconds, each
# further LOGIN_FAILURE_LIMIT attempts while it waits double the wait, up to LOGIN_COOLOFF_MAX seconds.
# Behind reverse proxies set SERVICELOOP_TRUSTED_PROXIES to their number (README, production).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900)
LOGIN_COOLOFF_MAX = env_int("LOGIN_COOLOFF_MAX", 24 * 3600)
TRUSTED_PROXIES = env_int("SERVICELOOP_TRUSTED_PROXIES", 0)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out pair before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "serviceloop.core.lockout.username"
AXES_COOLOFF_TIME = "serviceloop.core.lockout.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True  # each pair's attempts expire after its own (growing) wait
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "serviceloop.core.lockout.lockout_response"
AXES_IPWARE_PROXY_COUNT, AXES_IPWARE_META_PRECEDENCE_ORDER = trusted_proxy_ipware(TRUSTED_PROXIES)
AXES_IPWARE_PROXY_ORDER = "left-most"
IPWARE_STRICT = False  # a header longer than the proxies wrote (a client's own X-Forwarded-For) still counts from the right

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "serviceloop" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "serviceloop" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # hashed names (STATIC_MANIFEST=true, after collectstatic) for production; plain names otherwise
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: attachments go through the access gate
WHITENOISE_USE_FINDERS = True

# Fast paths that rely on framework internals (serviceloop/core/fastpaths/README.md): on unless
# SERVICELOOP_FASTPATHS is "0", "false" or "off"; off, the plain ORM/DRF/simple-history paths are used.
FASTPATHS = env_bool("SERVICELOOP_FASTPATHS", True)

# Attachments
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Warranty: the first date present in this order starts the warranty period.
WARRANTY_START_ORDER = env_list("WARRANTY_START_ORDER", "acceptance,install,ship")
COMPANY_NAME = env_str("COMPANY_NAME", "华东精工装备股份有限公司")
COMPANY_NAME_EN = env_str("COMPANY_NAME_EN", "East China Precision Equipment Co., Ltd.")
COMPANY_ADDRESS = env_str("COMPANY_ADDRESS", "江苏省苏州市工业园区星湖街 88 号 · 服务热线 400-820-8820")
# A resolved request without a follow-up answer closes after this many days.
FOLLOWUP_WAIT_DAYS = env_int("FOLLOWUP_WAIT_DAYS", 7)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# E-mail
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if env_str("EMAIL_HOST") else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # seconds: a hung mail server must not hold a delivery's lease
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "serviceloop@localhost")

# Notifications: the in-app copy always; these channels deliver it too (core/notifications.py).
NOTIFICATION_CHANNELS = env_list("NOTIFICATION_CHANNELS", "serviceloop.core.notifications.EmailChannel")
NOTIFICATION_WEBHOOK_URL = env_str("NOTIFICATION_WEBHOOK_URL")
# The outbox (core/notifications.py): a worker holds a delivery for NOTIFICATION_LEASE_SECONDS (longer than
# a channel's send may take); a failure is tried again after 30 s, 60 s, 120 s ... (at most
# NOTIFICATION_RETRY_MAX_SECONDS) until NOTIFICATION_MAX_ATTEMPTS; the sweep (every minute) queues again
# the deliveries pending NOTIFICATION_SWEEP_GRACE_SECONDS past due with no live lease.
NOTIFICATION_LEASE_SECONDS = env_int("NOTIFICATION_LEASE_SECONDS", 300)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 10)
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 30)
NOTIFICATION_RETRY_MAX_SECONDS = env_int("NOTIFICATION_RETRY_MAX_SECONDS", 3600)
NOTIFICATION_SWEEP_GRACE_SECONDS = env_int("NOTIFICATION_SWEEP_GRACE_SECONDS", 60)

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "serviceloop.accounts.auth.TokenAuthentication",  # the stock one, in one query
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's parsers; the JSON one refuses bodies nested too deeply with a 400 (core/parsers.py)
    "DEFAULT_PARSER_CLASSES": [
        "serviceloop.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "serviceloop.core.renamed.RenamedParamsFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON only, for browsers too: every /api/ answer is JSON (people read the API at /api/docs/)
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "serviceloop.core.pagination.NoCountPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "serviceloop.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ServiceLoop API",
    "DESCRIPTION": "After-sales service management (售后服务管理系统). Session or token authentication.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # one name per choice set that several fields share (and distinct names where fields share a name)
    "ENUM_NAME_OVERRIDES": {
        "CustomerLevelEnum": "serviceloop.customers.choices.CustomerLevel",
        "SlaLevelEnum": "serviceloop.assets.choices.SlaLevel",
        "WarrantyStateEnum": "serviceloop.assets.choices.WarrantyState",
        "RequestStatusEnum": "serviceloop.service.choices.RequestStatus",
        "ServicePlanEnum": "serviceloop.service.choices.ServicePlan",
        "ConfirmationChannelEnum": "serviceloop.service.choices.ConfirmationChannel",
        "ResolutionConfirmationEnum": "serviceloop.service.choices.ResolutionConfirmation",
        "PauseReasonEnum": "serviceloop.service.choices.PauseReason",
        "EscalationLevelEnum": "serviceloop.service.choices.EscalationLevel",
        "RequestChannelEnum": "serviceloop.service.choices.RequestChannel",
        "FollowUpChannelEnum": "serviceloop.feedback.choices.FollowUpChannel",
        "FollowUpOutcomeEnum": "serviceloop.feedback.choices.FollowUpOutcome",
        "UnsatisfiedActionEnum": "serviceloop.feedback.choices.UnsatisfiedAction",
        "ComplaintStatusEnum": "serviceloop.feedback.choices.ComplaintStatus",
        "ComplaintChannelEnum": "serviceloop.feedback.choices.ComplaintChannel",
        "ComplaintCategoryEnum": "serviceloop.feedback.choices.ComplaintCategory",
        "RevisitChannelEnum": "serviceloop.feedback.choices.RevisitChannel",
        "WorkOrderStatusEnum": "serviceloop.workorders.choices.WorkOrderStatus",
        "WorkResultEnum": "serviceloop.workorders.choices.WorkResult",
        "AssignmentRoleEnum": "serviceloop.workorders.choices.AssignmentRole",
        "HelpRequestStatusEnum": "serviceloop.workorders.choices.HelpRequestStatus",
        "ReportStatusEnum": "serviceloop.workorders.choices.ReportStatus",
        "FeeKindEnum": "serviceloop.workorders.choices.FeeKind",
        "ChargePayerEnum": "serviceloop.workorders.choices.ChargePayer",
        "RequisitionStatusEnum": "serviceloop.parts.choices.RequisitionStatus",
        "OldPartStatusEnum": "serviceloop.parts.choices.OldPartStatus",
    },
}

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# Security: sessions and CSRF per Django's defaults; HTTPS=true turns on the production set.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp 4): scripts and stylesheets only from this site, inline <script>
# and <style> only with the response's nonce ({{ request.csp_nonce }}), no eval (Alpine's CSP build),
# no style="" attributes, no plugins, no framing. img-src allows data: URLs (Bootstrap's icons in its CSS).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
