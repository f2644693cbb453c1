#!/usr/bin/env bash
# `make run`: the embedded default — SQLite, Celery worker and beat on the filesystem broker, e-mail to var/mail —
# with the demo content, served on http://127.0.0.1:8000/. Ctrl-C stops the server, the worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PWD/.venv/bin:$PATH"
export DJANGO_SETTINGS_MODULE=hub.settings.dev
mkdir -p var/log

python manage.py migrate --noinput
python manage.py load_demo | tee var/log/demo.txt
# The search index (SQLite FTS5 under var/search/): rebuilt from the database, so it always matches it.
python manage.py search_reindex

celery -A hub worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
worker=$!
celery -A hub beat --loglevel=INFO >var/log/beat.log 2>&1 &
beat=$!
trap 'kill $worker $beat 2>/dev/null; wait $worker $beat 2>/dev/null' EXIT

echo
echo "Gachi Hub: http://127.0.0.1:8000/   (admin: http://127.0.0.1:8000/admin/)"
echo "Worker and beat logs: var/log/worker.log, var/log/beat.log; outgoing e-mail: var/mail/"
sed -n '/^Demo accounts/,$p' var/log/demo.txt
echo
python manage.py runserver --noreload 127.0.0.1:8000
