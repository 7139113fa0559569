"""StocKing settings, driven by environment variables (12-factor; a `.env` file is optional)."""

import hashlib
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PYTHON_ENV = env.str("PYTHON_ENV", default="development")
if PYTHON_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"PYTHON_ENV must be development, production or test, not {PYTHON_ENV!r}")
IS_PRODUCTION = PYTHON_ENV == "production"

DEV_SECRET_KEY = "django-insecure-stocking-development-only"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if IS_PRODUCTION:
    # A production process with a guessable key or debug pages would leak sessions and tracebacks.
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when PYTHON_ENV=production")
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Set SECRET_KEY (50+ random characters) when PYTHON_ENV=production")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set ALLOWED_HOSTS when PYTHON_ENV=production")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "stocking.core",
    "accounts",
    "trading",
    "portfolio",
    "watchlist",
    "payments",
    "alpaca",
    "stream",
]

MIDDLEWARE = [
    # Outside everything: under /alpaca any error page another layer renders becomes Alpaca's JSON.
    "alpaca.middleware.AlpacaErrorMiddleware",
    # Outermost (but the line above), so a lost database is a 503 wherever it surfaces, inner middleware included.
    "stocking.core.database_unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages: cookie or profile language, else Korean (after auth: it reads the profile).
    "stocking.core.middleware.PageLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "stocking.urls"
WSGI_APPLICATION = "stocking.wsgi.application"
# The live stream (`uvicorn stocking.asgi:application`, port 5101); HTTP stays on gunicorn.
ASGI_APPLICATION = "stocking.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- database: SQLite by default, MySQL/MariaDB when DATABASE_URL (alias DATABASE_URI) says so
DEFAULT_DATABASE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASE_URL = env.str("DATABASE_URL", default="") or env.str("DATABASE_URI", default="") or DEFAULT_DATABASE_URL
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "charset": "utf8mb4",
            # Strict mode turns silent truncation of money and codes into errors.
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES', innodb_lock_wait_timeout=10",
            "isolation_level": "read committed",
        }
    )
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    # No expression indexes here: the case-insensitive collation enforces the lower-cased uniqueness
    # of usernames and emails that accounts.User declares for SQLite and PostgreSQL.
    SILENCED_SYSTEM_CHECKS = ["models.W044"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web + run_market) share the file: wait for the write lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
# Persistent connections: a request no longer pays a connect (and MySQL's session setup); the
# health check below replaces one the database dropped.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
# A persistent connection that died with a database restart is replaced at the next request's first query.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache: shared across gunicorn workers (throttling must hold for all of them)
# Throttle counters are the hot use: in Redis with CACHE_URL=redis://... (several machines), else in
# files under var/cache, which every gunicorn worker of this machine shares without a SQL statement
# (the database cache cost six statements per throttle scope per request).
# tmpfs (/dev/shm) where the system has one: rewriting a counter file there costs ~0.02 ms, on a
# disk ~0.6 ms; the directory is per checkout, so two checkouts on one machine never share counters.
_SHARED_MEMORY = Path("/dev/shm")
_CACHE_DIR = (
    _SHARED_MEMORY / f"stocking-cache-{hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:10]}"
    if _SHARED_MEMORY.is_dir() and os.access(_SHARED_MEMORY, os.W_OK)
    else BASE_DIR / "var" / "cache"
)
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{_CACHE_DIR}")}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Password-reset mail goes to the console unless EMAIL_URL names a server (smtp+tls://user:pass@host:587).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="StocKing <noreply@stocking.invalid>")

# --- i18n: Korean first, English available
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- security headers: on in production so `check --deploy` is clean
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- live stream (stream/): pages open a socket only when STREAM_URL is set, else they poll.
STREAM_URL = env.str("STREAM_URL", default="")
# Without Redis every stream process polls the order-event outbox and the tick records this often.
STREAM_POLL_INTERVAL = env.float("STREAM_POLL_INTERVAL", default=0.1)
if not 0 < STREAM_POLL_INTERVAL <= 0.2:
    raise ImproperlyConfigured("STREAM_POLL_INTERVAL must be more than 0 and at most 0.2 seconds")
STREAM_MAX_CONNECTIONS_PER_USER = env.int("STREAM_MAX_CONNECTIONS_PER_USER", default=20)
STREAM_MAX_CODES = env.int("STREAM_MAX_CODES", default=3000)
# Redis carries "something new" wake-ups between web, engine and stream processes (never the events
# themselves); while a stream process is subscribed it polls only every STREAM_REDIS_POLL_INTERVAL.
REDIS_URL = env.str("REDIS_URL", default="")
STREAM_WAKEUP_CHANNEL = env.str("STREAM_WAKEUP_CHANNEL", default="stocking:stream:wakeup")
STREAM_REDIS_POLL_INTERVAL = env.float("STREAM_REDIS_POLL_INTERVAL", default=1.0)

# Content security policy for every response: nothing inline, nothing from another host. The PortOne
# SDK host is added on the wallet page alone when a real store is configured; /docs and /redoc get
# the inline styles their vendored UIs inject (stocking/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"] + ([STREAM_URL] if STREAM_URL else []),
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Cross-origin API access for SPA clients on other origins: none unless listed. Bearer tokens, not
# cookies, authenticate them, so credentials stay off.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False

# --- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "stocking.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "stocking.core.throttling.AnonRateThrottle",
        "stocking.core.throttling.UserRateThrottle",
        "stocking.core.throttling.ScopedRateThrottle",
    ],
    # Each scope reads THROTTLE_<SCOPE>; THROTTLE_ALL overrides every scope at once (benchmarks and
    # load tests keep the throttle classes, and their cost, with a rate nobody reaches).
    "DEFAULT_THROTTLE_RATES": {
        scope: env.str("THROTTLE_ALL", default="") or env.str(f"THROTTLE_{scope.upper()}", default=rate)
        for scope, rate in {
            "anon": "120/min",
            "user": "1200/min",
            "auth": "30/min",
            "orders": "300/min",
            "payments": "30/min",
            "webhook": "600/min",  # PortOne's notifications, per sending address
        }.items()
    },
    "EXCEPTION_HANDLER": "stocking.core.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env.str("JWT_SECRET_KEY", default=SECRET_KEY),
    "ALGORITHM": "HS256",
}
if IS_PRODUCTION and SIMPLE_JWT["SIGNING_KEY"] in {DEV_SECRET_KEY, ""}:
    raise ImproperlyConfigured("Set JWT_SECRET_KEY (or SECRET_KEY) when PYTHON_ENV=production")

SPECTACULAR_SETTINGS = {
    "TITLE": "StocKing API",
    "DESCRIPTION": "Virtual KOSPI/KOSDAQ trading: market data, orders, portfolio, watchlists, top-ups.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and ReDoc assets come from the sidecar package's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Orders and payments both have a `status` field with different choices.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "trading.models.OrderStatus",
        "PaymentStatusEnum": "payments.models.PaymentStatus",
    },
    # The API is JSON; form bodies still parse (curl -d, PortOne's webhook documents its own) but are not
    # advertised, since a form cannot carry null or nested values.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # 401/403/429, pagination 404s and the error body on every operation (stocking/core/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "stocking.core.schema.postprocess_common_responses",
        "alpaca.schema.postprocess_alpaca_responses",  # after the common hook: Alpaca's error body
    ],
}

# --- StocKing domain settings (KRX rules and the virtual-cash policy)
INITIAL_VIRTUAL_CASH = Decimal(env.str("INITIAL_VIRTUAL_CASH", default="10000000"))
DAILY_DEPOSIT_LIMIT = Decimal(env.str("DAILY_DEPOSIT_LIMIT", default="10000000"))
ENFORCE_MARKET_HOURS = env.bool("ENFORCE_MARKET_HOURS", default=False)
MARKET_OPEN_TIME = env.str("MARKET_OPEN_TIME", default="09:00")
MARKET_CLOSE_TIME = env.str("MARKET_CLOSE_TIME", default="15:30")
# KRX closing days beyond weekends; replace via MARKET_HOLIDAYS="2027-01-01,...".
KRX_HOLIDAYS = """
    2025-01-01 2025-01-27 2025-01-28 2025-01-29 2025-01-30 2025-03-03 2025-05-01 2025-05-05 2025-05-06
    2025-06-03 2025-06-06 2025-08-15 2025-10-03 2025-10-06 2025-10-07 2025-10-08 2025-10-09 2025-12-25
    2025-12-31 2026-01-01 2026-02-16 2026-02-17 2026-02-18 2026-03-02 2026-05-01 2026-05-05 2026-05-25
    2026-06-03 2026-08-17 2026-09-24 2026-09-25 2026-10-05 2026-10-09 2026-12-25 2026-12-31
""".split()
MARKET_HOLIDAYS = env.list("MARKET_HOLIDAYS", default=KRX_HOLIDAYS)
COMMISSION_RATE = Decimal(env.str("COMMISSION_RATE", default="0.00015"))
SELL_TAX_RATES = {
    "KOSPI": Decimal(env.str("SELL_TAX_RATE_KOSPI", default="0.0020")),
    "KOSDAQ": Decimal(env.str("SELL_TAX_RATE_KOSDAQ", default="0.0020")),
    "KONEX": Decimal(env.str("SELL_TAX_RATE_KONEX", default="0.0010")),
}
PRICE_LIMIT_RATE = Decimal(env.str("PRICE_LIMIT_RATE", default="0.30"))
MAX_ORDER_QUANTITY = env.int("MAX_ORDER_QUANTITY", default=1_000_000)
# Below this capital a return says little (a few won left after withdrawals) and is not ranked.
LEADERBOARD_MIN_CAPITAL = Decimal(env.str("LEADERBOARD_MIN_CAPITAL", default="1000000"))
WATCHLIST_MAX_LISTS = env.int("WATCHLIST_MAX_LISTS", default=20)
WATCHLIST_MAX_ITEMS = env.int("WATCHLIST_MAX_ITEMS", default=200)
# --- market engine (run_market: price simulator, matching engine, day roll)
MARKET_ENGINE_INTERVAL = env.float("MARKET_ENGINE_INTERVAL", default=2.0)  # seconds between ticks
# Simulated seconds per real second: σ per tick = daily σ × sqrt(interval × speed-up / 23,400 s).
# 10 makes prices visibly move every few ticks without pinning them to the ±30% limits within a day.
SIMULATOR_SPEEDUP = env.float("SIMULATOR_SPEEDUP", default=10.0)
# Weight of the shared market factor in each stock's shock (0: independent, 1: all move as one).
SIMULATOR_MARKET_WEIGHT = env.float("SIMULATOR_MARKET_WEIGHT", default=0.5)

# --- PortOne (payments; used by the payments app)
PORTONE_STORE_ID = env.str("PORTONE_STORE_ID", default="")
PORTONE_CHANNEL_KEY = env.str("PORTONE_CHANNEL_KEY", default="")
PORTONE_V1_API_KEY = env.str("PORTONE_V1_API_KEY", default="")
PORTONE_V1_API_SECRET = env.str("PORTONE_V1_API_SECRET", default="")
PORTONE_API_URL = env.str("PORTONE_API_URL", default="https://api.iamport.kr/")
if not PORTONE_API_URL.endswith("/"):
    # The iamport client appends paths such as "payments/..." to it verbatim.
    raise ImproperlyConfigured("PORTONE_API_URL must end with '/'")
# The local PortOne server (`manage.py portone_sandbox`) lets anyone "pay" for nothing: never in production.
PORTONE_SANDBOX = env.bool("PORTONE_SANDBOX", default=False)
if IS_PRODUCTION and PORTONE_SANDBOX:
    raise ImproperlyConfigured("PORTONE_SANDBOX must be off when PYTHON_ENV=production")
# Seconds per call to PortOne; a verification makes up to four calls, and all must fit in a gunicorn timeout.
PORTONE_TIMEOUT = env.float("PORTONE_TIMEOUT", default=5.0)
PAYMENT_MIN_AMOUNT = Decimal(env.str("PAYMENT_MIN_AMOUNT", default="1000"))  # KRW per top-up
PAYMENT_MAX_AMOUNT = Decimal(env.str("PAYMENT_MAX_AMOUNT", default="1000000"))
PAYMENT_AMOUNT_STEP = Decimal(env.str("PAYMENT_AMOUNT_STEP", default="1000"))
VIRTUAL_CASH_PER_KRW = Decimal(env.str("VIRTUAL_CASH_PER_KRW", default="1"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if PYTHON_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
