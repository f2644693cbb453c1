"""The Celery app. Broker and options come from Django settings (CELERY_*); the schedule from hub.schedule."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")

app = Celery("hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_configure.connect
def _broker_folders_ensure(sender, **kwargs):
    """The filesystem transport fails on a missing folder, in the web process (sending) as in the worker."""
    from django.conf import settings

    for key in ("data_folder_out", "processed_folder", "control_folder"):
        if folder := settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key):
            Path(folder).mkdir(parents=True, exist_ok=True)


@app.on_after_finalize.connect
def _install_schedule(sender, **kwargs):
    from hub.schedule import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE
