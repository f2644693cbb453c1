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
    # In-app notifications (hub/notifications.py): independent of the digest e-mail and its frequency.
    "notifications-refresh-all": {
        "task": "hub.tasks.notifications_refresh_all_task",
        "schedule": crontab(minute="*/15"),
    },
    # Digest e-mails at 07:00 Asia/Seoul (CELERY_TIMEZONE): daily for the day before, weekly on Mondays for the week
    # before (hub/digests.py digest_period).
    "digests-daily": {
        "task": "hub.tasks.digest_run_task",
        "schedule": crontab(hour=7, minute=0),
        "args": ("daily",),
    },
    "digests-weekly": {
        "task": "hub.tasks.digest_run_task",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
        "args": ("weekly",),
    },
    "broker-prune-processed": {
        "task": "hub.tasks.broker_prune_processed",
        "schedule": crontab(minute="*/30"),
    },
}
