"""Settings shared by every environment. Every value that varies comes from the environment here, and only here."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Short name of the environment; prefixes search indexes and queues so environments never share them.
HUB_ENV = env.str("HUB_ENV", default="dev")

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "hub",
    "cases",
    "communities",
    "search",
    # For its bundled Swagger UI files: the API docs page (/api/v1/docs) then loads nothing from a CDN.
    "ninja",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hub.middleware.MemberLanguageMiddleware",
    "cases.middleware.CaseAdminPermissionMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hub.context_processors.hub",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hub.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "hub:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Korean first, English second.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "hub" / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATIC_URL = "/static/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# E-mail: to files under var/mail unless EMAIL_URL names a server (e.g. smtp+tls://user:pass@host:587).
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="가치허브 <no-reply@gachi.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Public base URL, used in e-mails and feeds.
HUB_BASE_URL = env.str("HUB_BASE_URL", default="http://127.0.0.1:8000")

# Peer hubs whose public cases are harvested every night (hub/schedule.py), e.g. https://hub.example.go.kr
HUB_HARVEST_PEERS = env.list("HUB_HARVEST_PEERS", default=[])
# Seconds to wait for each answer of a peer hub.
HUB_HARVEST_TIMEOUT = env.int("HUB_HARVEST_TIMEOUT", default=30)

# Wagtail
WAGTAIL_SITE_NAME = "가치허브"
WAGTAILADMIN_BASE_URL = HUB_BASE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "hwp", "hwpx", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024

# Search service (the hub's own index; Wagtail's admin search stays on its database backend).
ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="")
# "elasticsearch" (needs ELASTICSEARCH_URL) or "sqlite" (an FTS5 file under SEARCH_SQLITE_DIR, no server).
SEARCH_BACKEND = env.str("SEARCH_BACKEND", default="elasticsearch" if ELASTICSEARCH_URL else "sqlite")
# Index names start with this, so environments never share an index ("<prefix>-documents").
SEARCH_INDEX_PREFIX = env.str("SEARCH_INDEX_PREFIX", default=HUB_ENV)
SEARCH_SQLITE_DIR = env.path("SEARCH_SQLITE_DIR", default=str(VAR_DIR / "search"))
# Load the Korean analyser when the web server starts (hub/wsgi.py) instead of in the first search.
SEARCH_PRELOAD_ANALYSER = env.bool("SEARCH_PRELOAD_ANALYSER", default=True)
# Make every write visible to searches at once (slower bulk writes; for tests and small installs).
SEARCH_REFRESH_ON_WRITE = env.bool("SEARCH_REFRESH_ON_WRITE", default=False)

# Cache: per process by default; production uses Redis (CACHE_URL, e.g. redis://host:6379/1), so that every web
# process counts the API rate limits together.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# JSON API (/api/v1/) rate limits, "requests/period" (120/min, 10/s, 1000/5m): anonymous callers per IP address,
# signed-in members per session; token callers per token.
API_ANONYMOUS_RATE = env.str("API_ANONYMOUS_RATE", default="120/min")
API_TOKEN_RATE = env.str("API_TOKEN_RATE", default="1200/min")
# Reverse proxies in front of the web server that append to X-Forwarded-For (0: the header is ignored, as anyone can
# write it). The API limits the address that many hops from the right of the header.
API_PROXY_COUNT = env.int("API_PROXY_COUNT", default=0)

# Celery: server-less filesystem transport unless CELERY_BROKER_URL names a broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FOLDER = Path(env.str("CELERY_BROKER_FOLDER", default=str(VAR_DIR / "broker")))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "out"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "out"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": True,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_DEFAULT_QUEUE = f"{HUB_ENV}-hub"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
