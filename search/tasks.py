"""Background jobs of the search index. They take no arguments: the outbox says what to do."""

import logging

from celery import shared_task

from .backends import SearchUnavailable
from .indexing import outbox_drain_all

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(SearchUnavailable,), retry_backoff=5, retry_backoff_max=300, max_retries=5, ignore_result=True)
def search_outbox_drain_task(self) -> dict:
    """Index what changed. The backend being down is retried with backoff here, and by the beat schedule after that."""
    report = outbox_drain_all()
    if report.failed:
        raise SearchUnavailable(report.error)
    return {"indexed": report.indexed, "deleted": report.deleted}
