"""Everything that runs on a schedule (Celery beat, Asia/Seoul). The one place to look."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "broker-prune-processed": {
        "task": "hub.tasks.broker_prune_processed",
        "schedule": crontab(minute="*/30"),
    },
}
