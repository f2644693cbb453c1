"""manage.py search_reindex and search_status, on both backends."""

import json

import pytest
from django.core.management import call_command

from search.backends import get_backend
from search.models import IndexOutboxEntry, SearchDocument
from search.service import SearchRequest, search
from tests.factories import make_case
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db


def status() -> tuple[dict, int]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("search_status", "--json", stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return json.loads(out.getvalue()), code


def live_index_name(backend) -> str:
    if backend.name == "sqlite":
        return backend.pointer.read_text()
    return next(iter(backend.client.indices.get_alias(name=backend.alias)))


def test_reindex_builds_a_fresh_index_from_the_database_and_swaps_it_in(search_backend):
    make_case(key="one", title="하천 수위 센서")
    make_case(key="two", title="하천 범람 예측")
    make_case(key="draft", title="하천 초안", publish=False)
    before = live_index_name(search_backend)
    IndexOutboxEntry.objects.all().delete()  # as if the worker had never run: only the reindex can find them

    call_command("search_reindex", "--no-progress")

    assert live_index_name(search_backend) != before
    assert [h.key for h in search(SearchRequest(text="하천", sort="newest"), viewer=_anonymous()).hits] == ["two", "one"]
    report, code = status()
    assert code == 0 and report["types"]["case"] == {"database": 2, "stored": 2, "index": 2}


def test_stored_only_reindex_moves_documents_without_analysing(search_backend):
    make_case(key="stored", title="공공 와이파이")
    index_now()
    document = SearchDocument.objects.get(doc_id__startswith="case:")
    document.source["title_terms"] = "xqzvk"
    document.save()
    call_command("search_reindex", "--stored-only", "--no-progress")
    assert [h.key for h in search(SearchRequest(text="xqzvk"), viewer=_anonymous()).hits] == ["stored"]


def test_status_reports_the_backlog_and_fails_while_out_of_sync(search_backend):
    make_case(key="pending", title="스마트 버스")
    report, code = status()
    assert code == 1
    assert report["outbox"]["pending"] >= 1 and report["outbox"]["oldest_pending"]
    assert report["types"]["case"] == {"database": 1, "stored": 0, "index": 0}
    index_now()
    report, code = status()
    assert code == 0 and report["outbox"]["pending"] == 0
    assert report["backend"] == get_backend().name


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
