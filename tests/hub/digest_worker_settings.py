"""Settings of the Celery worker that tests/hub/test_digests_e2e.py starts in a process of its own (to kill it).

The test settings, with what the test hands over as JSON in DIGEST_WORKER_SETTINGS: the test's database (its
PostgreSQL database, or a copy of its in-memory SQLite one), the broker, queue, SMTP server and search index."""

from pathlib import Path

from hub.settings.test import *  # noqa: F403
from hub.settings.test import env

_overrides = env.json("DIGEST_WORKER_SETTINGS")
if "SEARCH_SQLITE_DIR" in _overrides:
    _overrides["SEARCH_SQLITE_DIR"] = Path(_overrides["SEARCH_SQLITE_DIR"])
vars().update(_overrides)
