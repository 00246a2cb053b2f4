"""Settings shared by every environment; everything variable comes from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="django-insecure-demo-only-never-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    # project apps
    "core",
    "access",
    "audit",
    "federations",
    "ledger",
    "funds",
    "projects",
    "escrow",
    "approvals",
    "config",  # the demo seeding command
]

# The apps whose models must all carry history (see tests/audit/test_model_history.py).
PROJECT_APPS = [
    "core",
    "access",
    "audit",
    "federations",
    "ledger",
    "funds",
    "projects",
    "escrow",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # API bounds (query string, body, upload size) before anything reads the request.
    "core.api.limits.ApiLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # API_GUARD_PERMISSION_CLASSES before every API view, whatever its own permission list.
    "core.api.guards.ApiGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# SQLite in a file unless DATABASE_URL says otherwise (the demo default).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Database roles (docs/database-roles.md): `migrate` runs as the owner named by
# DATABASE_OWNER_URL (same database), the application as DATABASE_URL's role, which every
# migrate grants exactly the application's privileges (core/roles.py). Without an owner URL
# (the demo) one role does both and no grants are made.
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", default="")
DATABASE_APP_ROLE = env(
    "DATABASE_APP_ROLE",
    default=DATABASES["default"].get("USER", "") if DATABASE_OWNER_URL else "",
)
# The key of every transfer's proof that the ledger service wrote it (ledger/proof.py); kept
# with the application, never in the database. Unset: derived from SECRET_KEY.
LEDGER_PROOF_KEY = env("LEDGER_PROOF_KEY", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "access.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# API tokens expire after this many days without use; a password change or deactivation
# revokes them, and their owner may revoke any of them (api/v1/auth/tokens/).
API_TOKEN_IDLE_DAYS = env.int("API_TOKEN_IDLE_DAYS", default=30)

# Repeated failed logins (admin and API token) are throttled by django-axes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "access.lockout.lockout_response"
# Logins and failed attempts are recorded in axes' tables (the login record, not model
# history); nobody manages them by hand, so their English admin pages are not shown.
AXES_ENABLE_ADMIN = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded documents (contract scans, evidence, vouchers): outside MEDIA_ROOT and the web
# root, served only through scoped views (core/uploads.py).
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private")
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Redis is the Celery broker and the cache when REDIS_URL is set; otherwise tasks run
# in-process and the cache is local memory (the demo).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # redelivered after a worker crash; tasks are idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE: dict = {}
# The one hash chain (core/chain.py): a cheap regular sealing pass every 10 s over every
# chained table (history and ledger); the nightly verification makes a full pass and checks
# everything once: chain, triggers, backstop, ledger balances (audit/tasks.py).
CELERY_BEAT_SCHEDULE["core-seal-chain"] = {"task": "core.seal_chain", "schedule": 10.0}
CELERY_BEAT_SCHEDULE["audit-verify-nightly"] = {
    "task": "audit.verify",
    "schedule": crontab(hour=3, minute=0),
}
# Approvals: flag overdue requests and remind their approvers (one notice per request and day).
CELERY_BEAT_SCHEDULE["approvals-remind-overdue"] = {
    "task": "approvals.remind_overdue",
    "schedule": crontab(minute=5),
}
# Projects: milestone reminders (due within 7 days, overdue) and expired reservations, daily.
CELERY_BEAT_SCHEDULE["projects-remind-milestones"] = {
    "task": "projects.remind_milestones",
    "schedule": crontab(hour=8, minute=0),
}
CELERY_BEAT_SCHEDULE["projects-release-expired-allocations"] = {
    "task": "projects.release_expired_allocations",
    "schedule": crontab(hour=1, minute=30),
}
# Escrow: last month's statement of every custodial account (idempotent: run again, nothing
# new), on the 1st at 01:30; overdue advances reminded every morning.
CELERY_BEAT_SCHEDULE["escrow-monthly-statements"] = {
    "task": "escrow.monthly_statements",
    "schedule": crontab(day_of_month=1, hour=1, minute=30),
}
CELERY_BEAT_SCHEDULE["escrow-remind-advances"] = {
    "task": "escrow.remind_overdue_advances",
    "schedule": crontab(hour=8, minute=0),
}
# Days an advance (a claim paid before its vouchers) has to bring them, for new accounts.
ESCROW_ADVANCE_VOUCHER_DAYS = env.int("ESCROW_ADVANCE_VOUCHER_DAYS", default=30)

REST_FRAMEWORK = {
    # Token first: DRF answers an anonymous request with the first class's challenge, so
    # it gets 401 with `WWW-Authenticate: Token` (session authentication has none: 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.authentication.TokenAuthentication",  # expiring, revocable (access.ApiToken)
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A view may replace this list; the rules every endpoint keeps are in
    # API_GUARD_PERMISSION_CLASSES below.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttles.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env("API_USER_RATE", default="1200/min")},
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Permission classes run for every API request before its view (core/api/guards.py), so no
# view's own permission_classes can leave them out.
API_GUARD_PERMISSION_CLASSES = [
    "audit.permissions.AuditorsReadOnly",  # auditors change nothing, whatever the endpoint
]

SPECTACULAR_SETTINGS = {
    "TITLE": "Community fund manager API",
    "DESCRIPTION": "社区社会组织资金管理系统 API (东民〔2020〕14号)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # federations
        "FederationKindEnum": "federations.models.FederationKind",
        "OrganizationStateEnum": "federations.models.OrganizationState",
        "OrganizationLegalStatusEnum": "federations.models.LegalStatus",
        "PartyFormEnum": "federations.models.PartyForm",
        "OrganizationCategoryEnum": "federations.models.Category",
        # ledger
        "LedgerAccountKindEnum": "ledger.models.AccountKind",
        "LedgerTransferKindEnum": "ledger.models.TransferKind",
        "LedgerTransferStateEnum": "ledger.models.TransferState",
        # core
        "VerificationStatusEnum": "core.models.VerificationRun.Status",
        # escrow
        "EscrowAccountStateEnum": "escrow.models.AccountState",
        "EscrowDepositStateEnum": "escrow.models.DepositState",
        "EscrowDepositKindEnum": "escrow.models.DepositKind",
        "EscrowClaimStateEnum": "escrow.models.ClaimState",
        "EscrowExpenseCategoryEnum": "escrow.models.ExpenseCategory",
        "EscrowMatchStateEnum": "escrow.models.MatchState",
        "EscrowBankStatementStateEnum": "escrow.models.BankStatementState",
        # funds
        "FundsSourceKindEnum": "funds.models.SourceKind",
        "FundsApprovalStateEnum": "funds.models.ApprovalState",
        "FundsFiscalYearStateEnum": "funds.models.FiscalYearState",
        "FundsPurchaseCategoryEnum": "funds.models.PurchaseCategory",
        "FundsCampaignStateEnum": "funds.campaigns.models.CampaignState",
        "FundsCharityFundStateEnum": "funds.campaigns.models.CharityFundState",
        "FundsDonationStateEnum": "funds.campaigns.models.DonationState",
        "FundsReceiptStateEnum": "funds.campaigns.models.ReceiptState",
        "FundsHolderKindEnum": "funds.campaigns.models.HolderKind",
        "FundsOutcomeRuleEnum": "funds.campaigns.models.OutcomeRule",
        "FundsDonorTypeEnum": "funds.campaigns.models.DonorType",
        "FundsDonationChannelEnum": "funds.campaigns.models.Channel",
        "FundsDonationNatureEnum": "funds.campaigns.models.Nature",
        # approvals
        "ApprovalLevelEnum": "approvals.models.Level",
        "ApprovalRequestStateEnum": "approvals.models.RequestState",
        "ApprovalVerdictEnum": "approvals.models.Verdict",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
}

# History: who and why on every change; revert from the admin is switched off.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Bounds on what one request may send.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# Under /api/ (core/api/limits.py): a multipart request, files included, the query string,
# and how deep a JSON body's arrays and objects may nest.
API_MAX_UPLOAD_SIZE = env.int("API_MAX_UPLOAD_SIZE", default=10 * 1024 * 1024)
API_MAX_QUERY_STRING = env.int("API_MAX_QUERY_STRING", default=2048)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    # Django's own loggers print through the root handler only: its default console handler
    # (active when DEBUG) would print every line a second time.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}

CSRF_FAILURE_VIEW = "config.api.views.csrf_failure"
