"""Helpers for tests that search: index what the test wrote, synchronously."""

from search.indexing import outbox_drain_all


def index_now() -> None:
    """Drain the outbox into the configured backend (Celery does this after commit outside tests)."""
    report = outbox_drain_all()
    assert not report.failed, report.error
