"""Everything that runs on a schedule (Celery beat, Asia/Seoul). The one place to look."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Outbox rows left by a failed or missed drain (the search backend was down, the broker lost a message).
    "search-outbox-drain": {
        "task": "search.tasks.search_outbox_drain_task",
        "schedule": 30.0,
    },
    # Public cases of the peer hubs in HUB_HARVEST_PEERS (cases/harvesting.py); one task per peer.
    "cases-harvest-peers": {
        "task": "cases.tasks.harvest_peers_task",
        "schedule": crontab(hour=3, minute=0),
    },
    "broker-prune-processed": {
        "task": "hub.tasks.broker_prune_processed",
        "schedule": crontab(minute="*/30"),
    },
}
