"""Production: refuses to start with the embedded defaults or insecure values."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, CELERY_BROKER_URL, DATABASES, EMAIL_BACKEND, SECRET_KEY, env

DEBUG = False
HUB_ENV = env.str("HUB_ENV", default="prod")


def _refuse(reason: str) -> None:
    raise ImproperlyConfigured(f"Production settings refuse to start: {reason}")


for required in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "HUB_BASE_URL"):
    if not env.str(required, default=""):
        _refuse(f"{required} is not set.")
if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    _refuse("SECRET_KEY is the development key or too weak (use 50+ random characters).")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _refuse("DATABASE_URL points at SQLite; use PostgreSQL.")
if CELERY_BROKER_URL.startswith(("filesystem", "memory")):
    _refuse("CELERY_BROKER_URL must name a real broker (redis://...).")
if EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
    _refuse("EMAIL_URL must be an SMTP URL.")
# The API's rate limits are counted in the cache: one per process would let each web process allow the full rate.
if not env.str("CACHE_URL", default="") and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": env.cache_url_config(CELERY_BROKER_URL)}
if CACHES["default"]["BACKEND"].rsplit(".", 1)[0] in ("django.core.cache.backends.locmem", "django.core.cache.backends.dummy"):
    _refuse("CACHE_URL must name a shared cache (redis://...), or CELERY_BROKER_URL a Redis broker to share.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"  # noqa: F405
