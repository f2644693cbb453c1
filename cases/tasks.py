"""Background jobs of cases. Tasks take ids or plain values, call one service, retry with backoff, are safe to repeat."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from cases.harvesting import HarvestError, PeerUnavailable, harvest_peer

logger = logging.getLogger(__name__)


# Harvesting from peer hubs ----------------------------------------------------------------------------------------


@shared_task
def harvest_peers_task() -> int:
    """Queue one harvest per peer in HUB_HARVEST_PEERS, so that a failing peer neither stops nor delays the others."""
    for base_url in settings.HUB_HARVEST_PEERS:
        harvest_peer_task.delay(base_url=base_url)
    return len(settings.HUB_HARVEST_PEERS)


@shared_task(autoretry_for=(PeerUnavailable,), retry_backoff=60, retry_backoff_max=3600, max_retries=5)
def harvest_peer_task(base_url: str) -> None:
    """Harvest one peer. Retried with backoff while it does not answer; a peer that answers nonsense is only logged."""
    try:
        report = harvest_peer(base_url=base_url)
    except PeerUnavailable:
        raise
    except HarvestError:
        logger.exception("harvest of %s refused", base_url)
        return
    logger.info("harvest %s", report.summary())
    for key, reason in report.skipped:
        logger.warning("harvest %s: skipped %s: %s", base_url, key, reason)
    if report.errors:  # some details did not come or could not be read: try again (what came is kept; repeats are cheap)
        raise PeerUnavailable(base_url, "; ".join(report.errors))
