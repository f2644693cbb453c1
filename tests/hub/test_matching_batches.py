"""What a digest run reads once rather than once per member or per batch (found by bench/digests.py): each local
government's own cases, each case's distinctive terms, and the snippet of a match hit from the body's opening."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub import matching
from hub.matching import members_matches
from search import service
from search.highlight import SNIPPET_CHARS
from tests.factories import make_case, make_user
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db


def test_a_run_reads_each_places_cases_and_each_cases_terms_once(search_backend, monkeypatch):
    monkeypatch.setattr(matching, "BATCH_SIZE", 2)  # three batches of colleagues
    colleagues = [make_user(role="official", place_code="26110") for _ in range(6)]
    own = make_case(
        key="own", place_code="26110", title="버스 정류장 미세먼지 측정 센서", summary="정류장 미세먼지 센서 대기질 측정값 공개"
    )
    alike = make_case(
        key="alike", place_code="41110", title="정류장 미세먼지 센서 설치", summary="버스 정류장 측정 센서 대기질 측정값 공개"
    )
    index_now()
    read_terms = []
    original = search_backend.distinctive_terms
    monkeypatch.setattr(search_backend, "distinctive_terms", lambda doc_id, **kw: read_terms.append(doc_id) or original(doc_id, **kw))
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        entries = members_matches([user.member for user in colleagues], since=now - timezone.timedelta(hours=1), until=now)
    # Everyone is told about the peer case like their own, with the same reason.
    assert all([entry.key for entry in found] == [f"case:{alike.pk}"] for found in entries.values())
    assert {entry.reasons[0].value for found in entries.values() for entry in found} == {str(own.pk)}
    assert read_terms == [f"case:{own.pk}"]
    own_case_queries = [q for q in queries.captured_queries if "cases_casestudypage_participating_places" in q["sql"]]
    assert len(own_case_queries) == 1


@pytest.mark.parametrize(
    "body",
    [
        "스마트 횡단보도 설치 " * 200,  # a long body
        "가" * 5000,  # no spaces at all
        ("줄바꿈\n\n\n   " * 300) + "끝",  # mostly whitespace: the opening alone would be too short
        "짧은 본문",
        "",
    ],
)
@pytest.mark.parametrize("summary", ["", "요약 한 줄.", "긴 요약 " * 60])
def test_a_match_hits_snippet_is_the_one_the_whole_body_gives(summary, body):
    source = {"id": "case:1", "type": "case", "key": "k", "title": "t", "url": "/cases/k/", "summary": summary, "body": body}
    fast, full = service._match_hit(source, 1.5), service._hit(source, 1.5, ())
    assert fast == full and fast.snippet == full.snippet and fast.source is source
    assert len(full.snippet) <= SNIPPET_CHARS + 4
