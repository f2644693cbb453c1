#!/usr/bin/env bash
# `make test`: lint and checks, then the whole suite twice — on SQLite (the embedded default) and on PostgreSQL —
# with real Redis, Elasticsearch (8.x from Maven Central, cached; needs java and mvn), SMTP (aiosmtpd, started by the
# tests) and Chromium. Starts every server it needs and stops it at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system-packages.sh redis-server initdb chromium msgfmt
source scripts/services.sh
trap services_stop EXIT
services_start_postgres
services_start_redis
services_start_elasticsearch

export PATH="$PWD/.venv/bin:$PATH"
export PYTHONDONTWRITEBYTECODE=1

echo "== lint"
scripts/lint.sh

echo "== checks"
DJANGO_SETTINGS_MODULE=hub.settings.test python manage.py makemigrations --check --dry-run >/dev/null
DJANGO_SETTINGS_MODULE=hub.settings.production SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(60))')" \
    ALLOWED_HOSTS=hub.example.go.kr DATABASE_URL="$TEST_POSTGRES_URL" CELERY_BROKER_URL="$TEST_REDIS_URL" \
    EMAIL_URL=smtp://127.0.0.1:25 HUB_BASE_URL=https://hub.example.go.kr \
    python manage.py check --deploy --fail-level WARNING

# Both databases run even when the first fails, so one CI run reports everything.
failed=()
echo "== tests on SQLite"
env -u DATABASE_URL pytest -q "$@" || failed+=(SQLite)

echo "== tests on PostgreSQL"
DATABASE_URL="$TEST_POSTGRES_URL" pytest -q "$@" || failed+=(PostgreSQL)

if [ ${#failed[@]} -gt 0 ]; then
    echo "make test: the suite failed on ${failed[*]}" >&2
    exit 1
fi
echo "make test: lint, checks and the whole suite passed on SQLite and PostgreSQL"
