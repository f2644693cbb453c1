"""Tests: fast password hashing, e-mail kept in memory. The database comes from DATABASE_URL (SQLite or PostgreSQL)."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

HUB_ENV = env.str("HUB_ENV", default="test")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = str(VAR_DIR / "test-media")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_DEFAULT_QUEUE = f"{HUB_ENV}-hub"
SEARCH_SQLITE_DIR = env.path("SEARCH_SQLITE_DIR", default=str(VAR_DIR / "test-search"))
SEARCH_REFRESH_ON_WRITE = True
