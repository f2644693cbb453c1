"""Search backends behind the one search service: Elasticsearch (production) and SQLite FTS5 (the embedded default).

`SEARCH_BACKEND` picks one ("elasticsearch" needs `ELASTICSEARCH_URL`); `get_backend()` builds it once per process
for the current settings.
"""

from __future__ import annotations

import functools

from django.conf import settings

from .base import BackendQuery, BackendResult, SearchBackend, SearchUnavailable

__all__ = ["BackendQuery", "BackendResult", "SearchBackend", "SearchUnavailable", "get_backend"]


def get_backend() -> SearchBackend:
    return _backend(settings.SEARCH_BACKEND, settings.SEARCH_INDEX_PREFIX, settings.ELASTICSEARCH_URL, str(settings.SEARCH_SQLITE_DIR))


@functools.cache
def _backend(name: str, prefix: str, url: str, sqlite_dir: str) -> SearchBackend:
    if name == "elasticsearch":
        from .elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend(url=url, prefix=prefix)
    if name == "sqlite":
        from .sqlite import SqliteBackend

        return SqliteBackend(folder=sqlite_dir, prefix=prefix)
    raise ValueError(f"SEARCH_BACKEND must be 'elasticsearch' or 'sqlite', not {name!r}")


get_backend.cache_clear = _backend.cache_clear
