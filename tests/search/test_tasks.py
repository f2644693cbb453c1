"""Publishing reaches the index through the real path: on-commit → Redis broker → Celery worker → Elasticsearch."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser

from search.models import IndexOutboxEntry
from search.service import SearchRequest, search
from search.tasks import search_outbox_drain_task
from tests.factories import make_case


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def found(text: str) -> list[str]:
    return [hit.key for hit in search(SearchRequest(text=text), viewer=AnonymousUser()).hits]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_published_case_is_indexed_by_the_worker_after_commit(redis_worker, search_elasticsearch):
    make_case(key="worker-indexed", title="지능형 스마트 버스정류장")
    assert wait_for(lambda: found("버스정류장") == ["worker-indexed"])
    assert wait_for(lambda: not IndexOutboxEntry.objects.exists())


@pytest.mark.django_db
def test_the_task_retries_while_the_backend_is_down(settings, search_elasticsearch):
    make_case(key="waiting", title="하천 수위 센서")
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    search_outbox_drain_task.apply()  # eagerly: the automatic retry runs at once and finds the row postponed
    [row] = IndexOutboxEntry.objects.all()
    assert row.attempts >= 1 and "did not answer" in row.last_error and row.next_attempt_at > row.created_at
