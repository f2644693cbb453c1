"""Production settings refuse to start with the embedded defaults or insecure values; a proper configuration starts."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

SECURE = {
    "SECRET_KEY": "k3Jx9-pQ2vLm8Zt4Rw7yBn1Hc6Fd0Gs5Ua2Ei9Ko3Lp7Mq1Nr4St8Uv6Wx0Yz-production",
    "ALLOWED_HOSTS": "hub.example.go.kr",
    "DATABASE_URL": "postgres://hub:secret@db.internal:5432/hub",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
    "EMAIL_URL": "smtp+tls://hub:secret@mail.internal:587",
    "HUB_BASE_URL": "https://hub.example.go.kr",
}


def start_production(**overrides: str | None) -> subprocess.CompletedProcess:
    """Load the production settings in a fresh interpreter, as a server would."""
    environment = {k: v for k, v in os.environ.items() if k not in SECURE and k != "DJANGO_SETTINGS_MODULE"}
    environment |= {"DJANGO_SETTINGS_MODULE": "hub.settings.production", **SECURE}
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"
    return subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60)


def test_a_complete_secure_configuration_starts_without_debug():
    result = start_production()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "dev-only-insecure-key-change-me"}, "SECRET_KEY is the development key"),
        ({"SECRET_KEY": "short"}, "too weak"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS is not set"),
        ({"DATABASE_URL": "sqlite:////tmp/hub.sqlite3"}, "use PostgreSQL"),
        ({"CELERY_BROKER_URL": "filesystem://"}, "must name a real broker"),
        ({"EMAIL_URL": None}, "EMAIL_URL is not set"),
        ({"HUB_BASE_URL": None}, "HUB_BASE_URL is not set"),
    ],
)
def test_insecure_or_missing_configuration_is_refused(overrides, reason):
    result = start_production(**overrides)
    assert result.returncode != 0
    assert "Production settings refuse to start" in result.stderr
    assert reason in result.stderr


def test_development_defaults_are_the_embedded_ones():
    """The embedded default needs no server: SQLite, filesystem broker with absolute folders, e-mail to files."""
    environment = {k: v for k, v in os.environ.items() if k not in SECURE and k not in ("DJANGO_SETTINGS_MODULE", "EMAIL_FILE_PATH")}
    environment["DJANGO_SETTINGS_MODULE"] = "hub.settings.dev"
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND, s.TIME_ZONE, s.LANGUAGE_CODE, "
        "all(v.startswith('/') for k, v in s.CELERY_BROKER_TRANSPORT_OPTIONS.items() if k.endswith('folder')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.mail.backends.filebased.EmailBackend",
        "Asia/Seoul",
        "ko",
        "True",
    ]
