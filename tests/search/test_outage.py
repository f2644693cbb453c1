"""Elasticsearch down: editing keeps working, nothing is lost, and once the node is back the index equals the database.

A node of its own (scripts/elasticsearch.sh), really stopped and resumed with its data, as after an outage.
"""

import datetime
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from cases.models import ProjectLogEntry
from cases.services import log_entry_create, log_entry_update
from communities.services import post_create, post_delete, post_hide, post_update
from search.backends import SearchUnavailable, get_backend
from search.documents import documents_for, parse_doc_id, searchable_querysets
from search.indexing import outbox_drain, outbox_retry_now
from search.models import IndexOutboxEntry, SearchDocument
from search.service import SearchRequest, search
from tests.factories import add_member, make_case, make_community, make_user
from tests.search_helpers import index_now

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "elasticsearch.sh"
pytestmark = pytest.mark.django_db


@pytest.fixture
def own_node():
    # Under /tmp itself: the node runs as an unprivileged user who cannot enter pytest's private temporary folders.
    folder = Path(tempfile.mkdtemp(prefix="gachi-es-outage."))
    folder.chmod(0o755)
    url = subprocess.run([SCRIPT, "start", folder], stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    node = {"url": url, "stop": lambda: subprocess.run([SCRIPT, "stop", folder], check=True)}
    node["resume"] = lambda: subprocess.run([SCRIPT, "resume", folder], stdout=subprocess.PIPE, check=True)
    yield node
    subprocess.run([SCRIPT, "stop", folder], check=False)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def outage_backend(settings, own_node):
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = own_node["url"]
    settings.SEARCH_INDEX_PREFIX = f"outage-{uuid.uuid4().hex[:8]}"
    get_backend.cache_clear()
    get_backend().ensure_index()
    yield own_node
    get_backend.cache_clear()


def test_two_hundred_edits_while_the_node_is_down_all_reach_the_index(outage_backend):
    cases = [make_case(key=f"outage-{n}", title=f"정전 대비 사례 {n}") for n in range(10)]
    community = make_community()
    author = make_user(role="official")
    add_member(community, author)
    topics = [post_create(community=community, author=author, title=f"주제 {n}", body="처음 내용") for n in range(10)]
    index_now()
    before = get_backend().counts_by_type()
    assert before == {"case": 10, "post": 10, "community": 1}

    outage_backend["stop"]()
    edits = _two_hundred_edits(cases, topics, community, author)
    assert edits == 200
    with pytest.raises(SearchUnavailable):
        search(SearchRequest(text="정전"), viewer=AnonymousUser())
    report = outbox_drain()
    assert report.failed > 0 and "did not answer" in report.error
    pending = IndexOutboxEntry.objects.all()
    assert pending.exists() and all(row.attempts == 1 and row.last_error for row in pending)

    outage_backend["resume"]()
    outbox_retry_now()  # the beat task would find them due after the backoff
    index_now()
    assert not IndexOutboxEntry.objects.exists()
    _assert_index_equals_database()
    titles = {hit.title for hit in search(SearchRequest(text="고친", page_size=100), viewer=AnonymousUser()).hits}
    assert {f"고친 사례 {n}" for n in range(8)} <= titles and "고친 사례 9" not in titles  # 8 and 9 were unpublished


def _two_hundred_edits(cases, topics, community, author) -> int:
    """Publishes, new and edited logs and posts, hides and deletes: 200 changes, each committed with its outbox row."""
    edits = 0
    for n, case in enumerate(cases):  # 20 publishes
        case.title = f"고친 사례 {n}"
        case.save_revision().publish()
        case.summary = f"두 번째 고침 {n}"
        case.save_revision().publish()
        edits += 2
    logs = []
    for n in range(60):  # 60 new logs, 20 of them edited again
        logs.append(
            log_entry_create(
                case=cases[n % 10], author=author, date=datetime.date(2026, 11, 1), kind=ProjectLogEntry.Kind.PROGRESS, title=f"진행 {n}"
            )
        )
        edits += 1
    for entry in logs[:20]:
        log_entry_update(entry=entry, date=entry.date, kind=entry.kind, title=f"{entry.title} 수정", body="내용", new_stage=None)
        edits += 1
    replies = []
    for n in range(60):  # 60 replies
        replies.append(post_create(community=community, author=author, body=f"댓글 {n}", parent=topics[n % 10]))
        edits += 1
    for topic in topics[:10]:  # 10 topic edits
        post_update(post=topic, title=f"{topic.title} 고침", body="새 내용")
        edits += 1
    for reply in replies[:10]:  # 10 hidden, 10 deleted replies
        post_hide(post=reply, by=author)
        edits += 1
    for reply in replies[10:20]:
        post_delete(post=reply)
        edits += 1
    for case in cases[8:]:  # 2 unpublished: they and their logs leave the index
        case.unpublish()
        edits += 1
    while edits < 200:
        post_create(community=community, author=author, title=f"추가 {edits}", body="새 글")
        edits += 1
    return edits


def _assert_index_equals_database() -> None:
    backend = get_backend()
    expected = {f"{type_}:{pk}" for type_, queryset in searchable_querysets().items() for pk in queryset.values_list("pk", flat=True)}
    indexed = backend.versions()
    assert set(indexed) == expected
    assert set(SearchDocument.objects.values_list("doc_id", flat=True)) == expected
    stored = dict(SearchDocument.objects.values_list("doc_id", "source"))
    for doc_id in expected:
        assert backend.get(doc_id) == stored[doc_id], doc_id
        type_, pk = parse_doc_id(doc_id)
        assert stored[doc_id]["title"] == documents_for(type_, [pk])[pk]["title"], doc_id
